using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Webhooks;

/// <summary>
/// Sends the webhook outbox. Claims due deliveries with a lease (so several workers on one database never send the same
/// attempt twice), POSTs each stored body with a fresh signature made with its agent's secret, and records every attempt
/// in the purchase's timeline. Any answer but 2xx, a timeout or a connection error is retried with exponential backoff
/// until <see cref="WebhookOptions.RetryFor"/> after the event. Redirects are not followed, and the receiver's answer
/// body is never read. Wakes when a delivery is queued in this process, and polls for the others.
/// On stop it finishes the POSTs in flight and claims nothing more; the rest stays pending for the next start.
/// </summary>
public sealed class WebhookDispatcher : BackgroundService
{
    /// <summary>Deliveries sent at once: one slow receiver does not hold up the others.</summary>
    internal const int MaxParallel = 4;

    /// <summary>Timeline event kind of every attempt.</summary>
    public const string TimelineKind = "webhook";

    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(5);

    private readonly WebhookOutbox _outbox;
    private readonly PurchaseStore _store;
    private readonly AgentStore _agents;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <param name="resolver">Resolves callback hosts; default DNS.</param>
    public WebhookDispatcher(CheckoutDatabase database, PurchaseStore store, AgentStore agents, IOptions<WebhookOptions> options,
        TimeProvider time, ILogger<WebhookDispatcher> logger, ICallbackResolver? resolver = null)
    {
        _outbox = new WebhookOutbox(database);
        _store = store;
        _agents = agents;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _http = CallbackGuard.CreateClient(_options, resolver);
        _store.WebhookQueued += Wake;
    }

    /// <summary>How long a claim holds a delivery: the POST's timeout plus ample time to record its result.</summary>
    private TimeSpan Lease => _options.RequestTimeout + TimeSpan.FromMinutes(1);

    private void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Host start-up goes on at once; the first look at the outbox happens on the thread pool.
        await Task.Yield();
        var inFlight = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = _options.PollInterval;
            try
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                while (inFlight.Count < MaxParallel && !stoppingToken.IsCancellationRequested
                    && await _outbox.ClaimAsync(_time.GetUtcNow(), Lease, CancellationToken.None) is { } delivery)
                {
                    // Not tied to the stopping token: a POST that has started is finished and recorded.
                    inFlight.Add(Task.Run(() => DeliverAsync(delivery), CancellationToken.None));
                }
                if (inFlight.Count < MaxParallel)
                {
                    var now = _time.GetUtcNow();
                    if (await _outbox.NextDueAsync(now, stoppingToken) is { } due)
                    {
                        wait = due - now < MinimumWait ? MinimumWait : due - now < wait ? due - now : wait;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The database busy beyond its timeout, a disk error: try again shortly rather than stop the host.
                Log.WebhookDispatcherError(_logger, ex.GetType().Name, "claiming");
                wait = ErrorPause;
            }
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timer.CancelAfter(wait);
            try
            {
                await _wake.Reader.WaitToReadAsync(timer.Token);
            }
            catch (OperationCanceledException)
            {
                // The poll interval passed, or the host is stopping (the loop condition sees that).
            }
            _wake.Reader.TryRead(out _);
        }
        await Task.WhenAll(inFlight);
    }

    private async Task DeliverAsync(WebhookDelivery delivery)
    {
        try
        {
            await AttemptAsync(delivery);
        }
        catch (Exception ex)
        {
            // Its lease runs out and the delivery is tried again.
            Log.WebhookDispatcherError(_logger, ex.GetType().Name, "delivering " + delivery.Id);
        }
        finally
        {
            // A slot is free again.
            Wake();
        }
    }

    private async Task AttemptAsync(WebhookDelivery delivery)
    {
        var subject = $"webhook {delivery.EventType} to {Describe(delivery.Url)}";
        var agent = delivery.AgentId is null ? null : await _agents.GetAsync(delivery.AgentId, CancellationToken.None);
        var refusal = delivery.AgentId is null ? "the purchase has no agent whose secret could sign it"
            : agent is null ? $"agent {delivery.AgentId} no longer exists"
            : agent.RevokedAt is not null ? $"agent {agent.Id} was revoked"
            : null;
        if (refusal is not null)
        {
            if (await _outbox.RecordAsync(delivery, delivery.Attempts, WebhookStates.Failed, null, CancellationToken.None))
            {
                await _store.AppendAsync(delivery.PurchaseId, TimelineKind, $"{subject}: not sent, {refusal}; given up", CancellationToken.None);
                Log.WebhookNotSent(_logger, delivery.Id, delivery.EventType, delivery.PurchaseId, refusal);
            }
            return;
        }

        var attempt = delivery.Attempts + 1;
        var (status, problem, elapsed, refused) = await SendAsync(delivery, agent!.SigningSecrets(_time.GetUtcNow()));
        var now = _time.GetUtcNow();
        string message;
        bool recorded;
        if (refused)
        {
            // The rules would refuse every retry as well: the delivery ends now.
            recorded = await _outbox.RecordAsync(delivery, attempt, WebhookStates.Failed, null, CancellationToken.None);
            message = $"{subject}: not sent, the callback is refused: {problem}; given up (Webhooks:AllowedTargets can allow an on-premise receiver)";
            if (recorded)
            {
                Log.WebhookNotSent(_logger, delivery.Id, delivery.EventType, delivery.PurchaseId, "callback refused: " + problem);
            }
        }
        else if (status is >= 200 and < 300)
        {
            recorded = await _outbox.RecordAsync(delivery, attempt, WebhookStates.Delivered, null, CancellationToken.None);
            message = $"{subject}: delivered ({status}) on attempt {attempt} in {elapsed} ms";
            if (recorded)
            {
                Log.WebhookDelivered(_logger, delivery.Id, delivery.EventType, delivery.PurchaseId, status.Value, attempt);
            }
        }
        else
        {
            var result = status is { } code
                ? $"answered {code}{(code is >= 300 and < 400 ? " (redirects are not followed)" : "")} in {elapsed} ms"
                : $"got no answer ({problem}) after {elapsed} ms";
            var delay = _options.DelayAfter(attempt);
            if (now + delay > delivery.CreatedAt + _options.RetryFor)
            {
                recorded = await _outbox.RecordAsync(delivery, attempt, WebhookStates.Failed, null, CancellationToken.None);
                var attempts = attempt == 1 ? "1 attempt" : $"{attempt} attempts";
                message = $"{subject}: attempt {attempt} {result}; gave up after {attempts} over {FormatDuration(now - delivery.CreatedAt)}";
                if (recorded)
                {
                    Log.WebhookGaveUp(_logger, delivery.Id, delivery.EventType, delivery.PurchaseId, attempt, result);
                }
            }
            else
            {
                recorded = await _outbox.RecordAsync(delivery, attempt, WebhookStates.Pending, now + delay, CancellationToken.None);
                message = $"{subject}: attempt {attempt} {result}; next attempt in {FormatDuration(delay)}";
                if (recorded)
                {
                    Log.WebhookRetrying(_logger, delivery.Id, delivery.EventType, delivery.PurchaseId, attempt, result, FormatDuration(delay));
                }
            }
        }
        if (!recorded)
        {
            message += "; not recorded: the lease expired meanwhile and another sender took the delivery over";
            Log.WebhookLeaseLost(_logger, delivery.Id, attempt);
        }
        await _store.AppendAsync(delivery.PurchaseId, TimelineKind, message, CancellationToken.None, elapsed);
    }

    /// <summary>
    /// One POST: the status code, or why there was none (Refused: the callback rules refused its address); the answer's
    /// body is never read. Signed with every current secret of the agent (two during a secret rotation).
    /// </summary>
    private async Task<(int? Status, string? Problem, long ElapsedMs, bool Refused)> SendAsync(WebhookDelivery delivery, IReadOnlyList<string> secrets)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url);
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(delivery.Body));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("User-Agent", WebhookSignature.UserAgent);
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventIdHeader, delivery.Id);
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventTypeHeader, delivery.EventType);
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(secrets, _time.GetUtcNow(), delivery.Body));
        using var timeout = new CancellationTokenSource(_options.RequestTimeout);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, null, clock.ElapsedMilliseconds, false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (null, "timed out", clock.ElapsedMilliseconds, false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is CallbackRefusedException refused)
        {
            return (null, refused.Message, clock.ElapsedMilliseconds, true);
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.HttpRequestError switch
            {
                HttpRequestError.NameResolutionError => "host name not found",
                HttpRequestError.ConnectionError => "could not connect",
                HttpRequestError.SecureConnectionError => "TLS handshake failed",
                HttpRequestError.ProxyTunnelError => "proxy refused",
                HttpRequestError.HttpProtocolError or HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded => "invalid HTTP response",
                _ => "request failed",
            }, clock.ElapsedMilliseconds, false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            return (null, "the URL cannot be requested", clock.ElapsedMilliseconds, false);
        }
    }

    /// <summary>Scheme, host, port and path of the callback URL: its query and user info may hold the receiver's secrets.</summary>
    internal static string Describe(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}{(uri.Query.Length > 0 ? "?…" : "")}"
            : "(invalid URL)";

    /// <summary>35 ms, 60 s, 16 min, 24 h.</summary>
    internal static string FormatDuration(TimeSpan span) => span switch
    {
        { TotalSeconds: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (long)span.TotalMilliseconds)} ms"),
        { TotalMinutes: < 2 } => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(span.TotalSeconds)} s"),
        { TotalHours: < 2 } => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(span.TotalMinutes)} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(span.TotalHours)} h"),
    };

    public override void Dispose()
    {
        _store.WebhookQueued -= Wake;
        _http.Dispose();
        base.Dispose();
    }
}
