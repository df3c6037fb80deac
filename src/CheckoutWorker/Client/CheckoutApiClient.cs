using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace CheckoutAgent.Worker.Client;

/// <summary>Filters and paging of <c>GET /v1/purchases</c>; null means not sent.</summary>
public sealed record PurchaseListQuery
{
    public string? Status { get; init; }
    public string? Recipe { get; init; }
    public string? ScheduleId { get; init; }
    public DateTimeOffset? CreatedAfter { get; init; }
    public DateTimeOffset? CreatedBefore { get; init; }
    public int? Limit { get; init; }
    public string? StartingAfter { get; init; }
}

/// <summary>The answer to <c>POST /v1/purchases</c>: the purchase, whether it was replayed for this key, and the key sent.</summary>
public sealed record PurchaseCreated(JsonElement Purchase, bool Replayed, string IdempotencyKey, int StatusCode);

/// <summary>
/// A small typed client of a running <c>checkout-agent serve</c>: one method per API operation, each returning the
/// response's JSON. Errors throw <see cref="CheckoutApiException"/> with the API's code, field and message; a server
/// that does not answer gives code <see cref="CheckoutApiException.UnreachableCode"/> and says to start it.
/// The bearer token is sent in a header and never appears in a message.
/// </summary>
public sealed class CheckoutApiClient : IDisposable
{
    /// <summary>Where <c>serve</c> listens unless told otherwise (<c>ServiceHost.DefaultUrl</c>).</summary>
    public const string DefaultServerUrl = Hosting.ServiceHost.DefaultUrl;

    public const string ServerUrlVariable = "CHECKOUT_AGENT_URL";
    public const string TokenVariable = "CHECKOUT_AGENT_TOKEN";

    private readonly HttpClient _http;

    /// <param name="serverUrl">The server's base URL, e.g. http://127.0.0.1:8417.</param>
    /// <param name="token">An agent token (<c>cat_…</c>) from <c>checkout-agent agent add</c>.</param>
    /// <param name="handler">Replaces the default handler (tests).</param>
    /// <param name="timeout">Per request; 30 seconds by default.</param>
    public CheckoutApiClient(Uri serverUrl, string token, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);
        if (!serverUrl.IsAbsoluteUri || serverUrl.Scheme is not ("http" or "https") || serverUrl.Query.Length > 0)
        {
            throw new ArgumentException($"the server URL must be an http(s) URL such as {DefaultServerUrl}; got '{serverUrl}'", nameof(serverUrl));
        }
        if (string.IsNullOrEmpty(token) || token.Any(c => c is <= ' ' or > '~'))
        {
            // Never echo the token: it is a secret.
            throw new ArgumentException("the token is empty or holds spaces or control characters; give it exactly as 'checkout-agent agent add' printed it (cat_…)", nameof(token));
        }
        Server = serverUrl;
        var baseAddress = serverUrl.AbsoluteUri.EndsWith('/') ? serverUrl : new Uri(serverUrl.AbsoluteUri + "/");
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = baseAddress;
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(30);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("checkout-agent-client", "1"));
    }

    /// <summary>The server URL as given.</summary>
    public Uri Server { get; }

    /// <summary>The URL a user should see: without a trailing slash.</summary>
    public string ServerDisplay => Server.AbsoluteUri.TrimEnd('/');

    // ---- purchases ----

    /// <summary><c>POST /v1/purchases</c> with an <c>Idempotency-Key</c>: the same key and body replay the first answer.</summary>
    public async Task<PurchaseCreated> CreatePurchaseAsync(JsonElement body, string idempotencyKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/purchases") { Content = Json(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        var (json, status, replayed) = await SendAsync(request, cancellationToken);
        return new PurchaseCreated(json, replayed, idempotencyKey, status);
    }

    /// <summary><c>GET /v1/purchases/{id}</c>: one purchase with its timeline.</summary>
    public Task<JsonElement> GetPurchaseAsync(string id, CancellationToken cancellationToken = default) =>
        GetJsonAsync(HttpMethod.Get, $"v1/purchases/{Id(id)}", cancellationToken);

    /// <summary><c>GET /v1/purchases</c>: <c>{"object":"list","data":[…],"has_more":bool}</c>, newest first.</summary>
    public Task<JsonElement> ListPurchasesAsync(PurchaseListQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new PurchaseListQuery();
        var parameters = new List<(string, string?)>
        {
            ("status", query.Status), ("recipe", query.Recipe), ("schedule_id", query.ScheduleId),
            ("created_after", query.CreatedAfter?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
            ("created_before", query.CreatedBefore?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
            ("limit", query.Limit?.ToString(CultureInfo.InvariantCulture)), ("starting_after", query.StartingAfter),
        };
        var text = string.Join("&", parameters.Where(p => !string.IsNullOrEmpty(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
        return GetJsonAsync(HttpMethod.Get, text.Length == 0 ? "v1/purchases" : $"v1/purchases?{text}", cancellationToken);
    }

    /// <summary><c>POST /v1/purchases/{id}/cancel</c>; 409 <c>purchase_submitting</c> or <c>purchase_ended</c> when too late.</summary>
    public Task<JsonElement> CancelPurchaseAsync(string id, CancellationToken cancellationToken = default) =>
        GetJsonAsync(HttpMethod.Post, $"v1/purchases/{Id(id)}/cancel", cancellationToken);

    /// <summary>
    /// <c>POST /v1/purchases/{id}/reconcile</c> (admin scope): settles an <c>outcome_unknown</c> purchase. The same
    /// decision again replays (Replayed true); another is 409 <c>reconcile_conflict</c>.
    /// </summary>
    /// <param name="decision"><c>order_exists</c> or <c>no_order</c>.</param>
    /// <param name="orderNumber">The merchant's order number, for <c>order_exists</c>.</param>
    public async Task<(JsonElement Purchase, bool Replayed)> ReconcilePurchaseAsync(string id, string decision, string? orderNumber,
        CancellationToken cancellationToken = default)
    {
        var body = new System.Text.Json.Nodes.JsonObject { ["decision"] = decision };
        if (orderNumber is not null)
        {
            body["order_number"] = orderNumber;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/purchases/{Id(id)}/reconcile")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        var (json, _, replayed) = await SendAsync(request, cancellationToken);
        return (json, replayed);
    }

    /// <summary><c>GET /v1/recipes</c>: <c>{"data":[{name, merchant_name, merchant_url, steps}]}</c>.</summary>
    public Task<JsonElement> ListRecipesAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync(HttpMethod.Get, "v1/recipes", cancellationToken);

    // ---- schedules ----

    /// <summary><c>POST /v1/schedules</c> with <c>{"name","cron","time_zone","purchase":{…}}</c>.</summary>
    public async Task<JsonElement> CreateScheduleAsync(JsonElement body, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/schedules") { Content = Json(body) };
        return (await SendAsync(request, cancellationToken)).Json;
    }

    /// <summary><c>GET /v1/schedules</c>.</summary>
    public Task<JsonElement> ListSchedulesAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync(HttpMethod.Get, "v1/schedules", cancellationToken);

    /// <summary><c>GET /v1/schedules/{id}</c>.</summary>
    public Task<JsonElement> GetScheduleAsync(string id, CancellationToken cancellationToken = default) =>
        GetJsonAsync(HttpMethod.Get, $"v1/schedules/{Id(id)}", cancellationToken);

    /// <summary><c>POST /v1/schedules/{id}/pause</c>.</summary>
    public Task<JsonElement> PauseScheduleAsync(string id, CancellationToken cancellationToken = default) =>
        GetJsonAsync(HttpMethod.Post, $"v1/schedules/{Id(id)}/pause", cancellationToken);

    /// <summary><c>POST /v1/schedules/{id}/resume</c>.</summary>
    public Task<JsonElement> ResumeScheduleAsync(string id, CancellationToken cancellationToken = default) =>
        GetJsonAsync(HttpMethod.Post, $"v1/schedules/{Id(id)}/resume", cancellationToken);

    /// <summary><c>DELETE /v1/schedules/{id}</c>: <c>{"id","object":"schedule","deleted":true}</c>.</summary>
    public Task<JsonElement> DeleteScheduleAsync(string id, CancellationToken cancellationToken = default) =>
        GetJsonAsync(HttpMethod.Delete, $"v1/schedules/{Id(id)}", cancellationToken);

    public void Dispose() => _http.Dispose();

    // ---- plumbing ----

    private async Task<JsonElement> GetJsonAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        return (await SendAsync(request, cancellationToken)).Json;
    }

    private async Task<(JsonElement Json, int Status, bool Replayed)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var what = $"{request.Method} /{request.RequestUri}";
        HttpResponseMessage response;
        string text;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable($"cannot reach the server at {ServerDisplay}: is `checkout-agent serve` running? ({Reason(ex)})", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable($"the server at {ServerDisplay} did not answer {what} within {_http.Timeout.TotalSeconds:0} s: is `checkout-agent serve` running and healthy?", ex);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            JsonElement? json = null;
            if (text.Length > 0 && IsJson(response))
            {
                try
                {
                    using var document = JsonDocument.Parse(text);
                    json = document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Reported below as a response that is not the API's JSON.
                }
            }
            if (response.IsSuccessStatusCode)
            {
                var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true", StringComparer.OrdinalIgnoreCase);
                return json is { } body
                    ? (body, status, replayed)
                    : throw new CheckoutApiException(status, [new CheckoutApiProblem("invalid_response", null,
                        $"{what} answered HTTP {status} without JSON: is {ServerDisplay} a checkout-agent server?")]);
            }
            throw new CheckoutApiException(status, Problems(status, response.ReasonPhrase, json, what)) { RetryAfter = RetryAfter(response) };
        }
    }

    /// <summary>The Retry-After header as a wait (seconds or a date), or null.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - TimeProvider.System.GetUtcNow() is { Ticks: > 0 } wait ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static CheckoutApiException Unreachable(string message, Exception inner) =>
        new(0, [new CheckoutApiProblem(CheckoutApiException.UnreachableCode, null, message)], inner);

    private static string Reason(HttpRequestException ex) => ex.HttpRequestError switch
    {
        HttpRequestError.ConnectionError => "connection refused or failed",
        HttpRequestError.NameResolutionError => "host name not found",
        HttpRequestError.SecureConnectionError => "TLS handshake failed",
        _ => (ex.InnerException?.Message ?? ex.Message).TrimEnd('.'),
    };

    private List<CheckoutApiProblem> Problems(int status, string? reason, JsonElement? json, string what)
    {
        var problems = new List<CheckoutApiProblem>();
        if (json is { ValueKind: JsonValueKind.Object } body)
        {
            if (body.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                problems.AddRange(errors.EnumerateArray().Select(Problem).OfType<CheckoutApiProblem>());
            }
            if (problems.Count == 0 && body.TryGetProperty("error", out var error) && Problem(error) is { } single)
            {
                problems.Add(single);
            }
        }
        if (problems.Count == 0)
        {
            // No API error body: a route this server does not have, a proxy, or a crash.
            problems.Add(status == (int)HttpStatusCode.NotFound
                ? new CheckoutApiProblem("not_found", null, $"the server at {ServerDisplay} has no {what}: is it an older checkout-agent without this API?")
                : new CheckoutApiProblem($"http_{status}", null, $"{what} failed with HTTP {status} {reason}".TrimEnd()));
        }
        return problems;
    }

    private static CheckoutApiProblem? Problem(JsonElement error)
    {
        if (error.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        string? Text(string name) => error.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return Text("code") is { } code ? new CheckoutApiProblem(code, Text("field"), Text("message") ?? "") : null;
    }

    private static bool IsJson(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType is not { } type || type.Contains("json", StringComparison.OrdinalIgnoreCase);

    private static StringContent Json(JsonElement body) => new(body.GetRawText(), Encoding.UTF8, "application/json");

    private static string Id(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return Uri.EscapeDataString(id);
    }
}
