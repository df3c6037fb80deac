using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Tests.Webhooks;

/// <summary>One request as the receiver got it: raw body bytes decoded as UTF-8, headers, path and when it arrived.</summary>
internal sealed record ReceivedWebhook(string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A real Kestrel endpoint on a free loopback port that records every request and answers with the status the test
/// chooses (by the 0-based number of the request). Answers carry a body the worker must never repeat.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    /// <summary>Text every answer carries: it must show up in no timeline or log.</summary>
    public const string AnswerBody = "receiver-private-answer-7c1f";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly Func<ReceivedWebhook, int, Task<int>> _respond;
    private int _count;

    private WebhookReceiver(WebApplication app, Func<ReceivedWebhook, int, Task<int>> respond)
    {
        _app = app;
        _respond = respond;
    }

    public Uri BaseAddress => new(_app.Urls.First());

    /// <summary>The callback URL for <paramref name="path"/>.</summary>
    public string Url(string path = "/hooks/checkout") => new Uri(BaseAddress, path).ToString();

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>
    /// The worker setting every test that delivers to this loopback receiver gives, explicitly: webhooks to loopback
    /// and other private addresses are refused otherwise (intake 422, and at connect time).
    /// </summary>
    public const string AllowPrivateNetworksKey = "Webhooks:AllowPrivateNetworks";

    /// <summary><paramref name="configuration"/> (or none) with <see cref="AllowPrivateNetworksKey"/> on.</summary>
    public static Dictionary<string, string?> AllowingLoopback(IReadOnlyDictionary<string, string?>? configuration = null) =>
        new(configuration ?? new Dictionary<string, string?>()) { [AllowPrivateNetworksKey] = "true" };

    /// <param name="respond">Status to answer for a request and its number; default 200 for all.</param>
    public static async Task<WebhookReceiver> StartAsync(Func<ReceivedWebhook, int, Task<int>>? respond = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, respond ?? ((_, _) => Task.FromResult(200)));
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Answers by a fixed list of statuses; requests past its end get its last one.</summary>
    public static Task<WebhookReceiver> StartAsync(params int[] statuses) =>
        StartAsync((_, n) => Task.FromResult(statuses[Math.Min(n, statuses.Length - 1)]));

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, System.Text.Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var received = new ReceivedWebhook(context.Request.Path + context.Request.QueryString, headers, body, DateTimeOffset.UtcNow);
        var number = Interlocked.Increment(ref _count) - 1;
        _received.Enqueue(received);
        var status = await _respond(received, number);
        context.Response.StatusCode = status;
        if (status is >= 300 and < 400)
        {
            context.Response.Headers.Location = new Uri(BaseAddress, "/redirected").ToString();
        }
        await context.Response.WriteAsync(AnswerBody, context.RequestAborted);
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived and returns them all.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        await Poll.UntilAsync(() => _received.Count >= count, timeout ?? TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20),
            () => $"the receiver got {_received.Count} of {count} expected webhook(s)");
        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
