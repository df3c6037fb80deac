namespace CheckoutAgent.Link;

/// <summary>A request to a merchant resource that may answer HTTP 402 with a Machine Payment Protocol challenge.</summary>
public sealed class MppPaymentRequest
{
    /// <value>The resource to pay for (absolute http/https URL).</value>
    public required Uri Url { get; init; }
    /// <value>The approved spend request (credential type <c>shared_payment_token</c>) whose token pays.</value>
    public required string SpendRequestId { get; init; }
    /// <value>HTTP method. Default GET.</value>
    public string Method { get; init; } = "GET";
    /// <value>Request body, sent unchanged on the paid retry.</value>
    public string? Body { get; init; }
    /// <value>Extra request headers (<c>Name: value</c> semantics).</value>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>The merchant's final answer to a paid request, whatever its status.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Headers">Response headers, names lower-cased.</param>
/// <param name="Body">Raw body text.</param>
public sealed record MppPaymentResult(int Status, IReadOnlyDictionary<string, string> Headers, string Body);
