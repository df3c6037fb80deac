using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Tests.Observability;

/// <summary>
/// A real HTTP listener (Kestrel on 127.0.0.1) standing in for Seq's ingestion endpoints (<c>/api/events/raw</c>, where
/// Serilog.Sinks.Seq posts CLEF, and <c>/ingest/clef</c>): it records what it receives and answers as Seq does (201),
/// or with a chosen failure status, or slowly. Seq itself is not installed here.
/// </summary>
internal sealed class FakeSeq : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _attempts;

    private FakeSeq(WebApplication app) => _app = app;

    public ConcurrentQueue<(string ContentType, string? ApiKey, string Body)> Posts { get; } = new();

    /// <value>Status to answer with; 201 like Seq.</value>
    public int Status { get; set; } = StatusCodes.Status201Created;

    /// <value>Delay before answering, to play a slow Seq.</value>
    public TimeSpan Delay { get; set; }

    public Uri BaseUrl { get; private set; } = null!;

    /// <value>POSTs received, whatever was answered: shows the sender kept trying while Seq failed.</value>
    public int Attempts => Volatile.Read(ref _attempts);

    public IEnumerable<string> Lines => Posts.SelectMany(p => p.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries));

    public static async Task<FakeSeq> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var seq = new FakeSeq(app);
        async Task Ingest(HttpContext context)
        {
            Interlocked.Increment(ref seq._attempts);
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            if (seq.Delay > TimeSpan.Zero)
            {
                await Task.Delay(seq.Delay, context.RequestAborted);
            }
            if (seq.Status is >= 200 and < 300)
            {
                seq.Posts.Enqueue((context.Request.ContentType ?? "", context.Request.Headers["X-Seq-ApiKey"].FirstOrDefault(), body));
            }
            context.Response.StatusCode = seq.Status;
        }
        app.MapPost("/api/events/raw", Ingest);
        app.MapPost("/ingest/clef", Ingest);
        await app.StartAsync();
        seq.BaseUrl = new Uri(app.Urls.First());
        return seq;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
