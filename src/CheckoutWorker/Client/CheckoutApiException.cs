namespace CheckoutAgent.Worker.Client;

/// <summary>One problem the API reported: its stable code, the field it is about (if any), and what to do.</summary>
public sealed record CheckoutApiProblem(string Code, string? Field, string Message)
{
    /// <summary><c>code (field): message</c>, or <c>code: message</c> without a field.</summary>
    public override string ToString() => Field is { Length: > 0 } ? $"{Code} ({Field}): {Message}" : $"{Code}: {Message}";
}

/// <summary>
/// A call to the CheckoutAgent API that did not succeed: an error response (<see cref="StatusCode"/> 4xx or 5xx, with the
/// problems from its <c>{"error": …, "errors": […]}</c> body) or no response at all (<see cref="StatusCode"/> 0, code
/// <see cref="UnreachableCode"/>). Messages come from the server's error body or from this client, never from a
/// request body, so they carry no card data or token.
/// </summary>
public sealed class CheckoutApiException : Exception
{
    /// <summary>The code when no HTTP response came back (connection refused, DNS, timeout).</summary>
    public const string UnreachableCode = "unreachable";

    public CheckoutApiException()
        : this(0, [new CheckoutApiProblem(UnreachableCode, null, "the CheckoutAgent API call failed")])
    {
    }

    public CheckoutApiException(string message)
        : this(0, [new CheckoutApiProblem(UnreachableCode, null, message)])
    {
    }

    public CheckoutApiException(string message, Exception innerException)
        : this(0, [new CheckoutApiProblem(UnreachableCode, null, message)], innerException)
    {
    }

    public CheckoutApiException(int statusCode, IReadOnlyList<CheckoutApiProblem> problems, Exception? innerException = null)
        : base(problems.Count > 0 ? problems[0].ToString() : $"HTTP {statusCode}", innerException)
    {
        ArgumentOutOfRangeException.ThrowIfZero(problems.Count);
        StatusCode = statusCode;
        Problems = problems;
    }

    /// <summary>The HTTP status, or 0 when the server could not be reached.</summary>
    public int StatusCode { get; }

    /// <summary>Every problem reported, the first one being the main one.</summary>
    public IReadOnlyList<CheckoutApiProblem> Problems { get; }

    public string Code => Problems[0].Code;

    public string? Field => Problems[0].Field;

    /// <summary>The first problem's message alone (<see cref="Exception.Message"/> also names its code and field).</summary>
    public string Detail => Problems[0].Message;

    /// <summary>True when no response came back or the server failed (5xx): retrying later may help.</summary>
    public bool IsServerSide => StatusCode is 0 or >= 500;

    /// <summary>True for 429: the agent went over a rate limit of its policy; retry after <see cref="RetryAfter"/>.</summary>
    public bool IsRateLimited => StatusCode == 429;

    /// <value>The server's <c>Retry-After</c>, when it sent one (429).</value>
    public TimeSpan? RetryAfter { get; init; }
}
