using Microsoft.Extensions.Logging;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Webhooks;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.RecipeHealth;

/// <summary>The body of a <c>recipe.broken</c> event: the envelope of purchase webhooks around the failed check.</summary>
public sealed record RecipeBrokenEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("data")] RecipeBrokenData Data);

public sealed record RecipeBrokenData([property: JsonPropertyName("check")] RecipeCheckView Check);

/// <summary>
/// Posts <c>recipe.broken</c> to <see cref="RecipeHealthOptions.WebhookUrl"/>: signed like purchase webhooks when a secret
/// is set, through the same callback rules, tried three times over about half a minute. Not queued in the outbox: the
/// next failing check after a lost alert is not re-sent (the console and the API still show the recipe broken).
/// </summary>
public sealed class RecipeAlerts : IDisposable
{
    public const string BrokenType = "recipe.broken";
    private static readonly TimeSpan[] Pauses = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20)];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly RecipeHealthOptions _options;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger<RecipeAlerts> _logger;
    private readonly HttpClient _http;

    public RecipeAlerts(IOptions<RecipeHealthOptions> options, IOptions<WebhookOptions> webhooks, TimeProvider time, ILogger<RecipeAlerts> logger,
        ICallbackResolver? resolver = null)
    {
        _options = options.Value;
        _requestTimeout = webhooks.Value.RequestTimeout;
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = _requestTimeout,
            ConnectCallback = new CallbackGuard(webhooks.Value.Rules(), resolver ?? new DnsCallbackResolver()).ConnectAsync,
        }, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <returns>How the alert went, for the check's record (e.g. <c>recipe.broken delivered (204)</c>); null when no URL is set.</returns>
    public async Task<string?> SendBrokenAsync(RecipeCheckRecord check, CancellationToken cancellationToken)
    {
        if (_options.WebhookUrl is not { Length: > 0 } url)
        {
            return null;
        }
        var eventId = CheckoutAgent.Link.ObjectIds.New("evt_");
        var body = JsonSerializer.Serialize(new RecipeBrokenEvent(eventId, BrokenType, _time.GetUtcNow(), new RecipeBrokenData(RecipeCheckView.From(check))), Json);
        string outcome = "not sent";
        for (var attempt = 1; attempt <= Pauses.Length + 1; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url);
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("User-Agent", WebhookSignature.UserAgent);
            request.Headers.TryAddWithoutValidation(WebhookSignature.EventIdHeader, eventId);
            request.Headers.TryAddWithoutValidation(WebhookSignature.EventTypeHeader, BrokenType);
            if (_options.WebhookSecret is { Length: > 0 } secret)
            {
                request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(secret, _time.GetUtcNow(), body));
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_requestTimeout);
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    Log.RecipeAlertSent(_logger, check.Recipe, status, attempt);
                    return $"{BrokenType} delivered ({status}) on attempt {attempt}";
                }
                outcome = $"answered {status}";
            }
            catch (HttpRequestException ex) when (ex.InnerException is CallbackRefusedException refused)
            {
                // Every retry would be refused as well.
                Log.RecipeAlertFailed(_logger, check.Recipe, "callback refused: " + refused.Message);
                return $"{BrokenType} not sent: the callback is refused: {refused.Message}";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                outcome = "timed out";
            }
            catch (HttpRequestException)
            {
                outcome = "could not connect";
            }
            if (attempt <= Pauses.Length)
            {
                await Task.Delay(Pauses[attempt - 1], _time, cancellationToken);
            }
        }
        Log.RecipeAlertFailed(_logger, check.Recipe, outcome);
        return $"{BrokenType} not delivered after {Pauses.Length + 1} attempts: {outcome}";
    }

    public void Dispose() => _http.Dispose();
}
