using Serilog.Core;
using Serilog.Events;

namespace CheckoutAgent.Worker.Observability;

/// <summary>
/// The HTTP handler under Serilog.Sinks.Seq. It bounds each post (<see cref="RequestTimeout"/>) and, once
/// <see cref="GiveUpAfter"/> is called at shutdown, stops waiting for a Seq that does not answer: the package's
/// disposal otherwise waits for its post in flight, up to HttpClient's 100 s, and then for a final one.
/// </summary>
internal sealed class SeqHttpHandler : DelegatingHandler
{
    /// <summary>Longest one post to Seq may take.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _shutdown = new();

    public SeqHttpHandler()
        : base(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
    }

    /// <summary>Cancels posts still running (and refuses new ones) <paramref name="grace"/> from now.</summary>
    public void GiveUpAfter(TimeSpan grace)
    {
        try
        {
            _shutdown.CancelAfter(grace);
        }
        catch (ObjectDisposedException)
        {
            // The sink already let go of its HttpClient: nothing left to wait for.
        }
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        bounded.CancelAfter(RequestTimeout);
        return await base.SendAsync(request, bounded.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _shutdown.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// The inner logger (all sinks) as one sink; disposing it flushes the sinks, giving Seq <paramref name="grace"/> to
/// take what is still queued before its posts are canceled, so shutdown is never held up by Seq for long.
/// </summary>
internal sealed class SinksWithBoundedShutdown(Logger sinks, SeqHttpHandler? seq, TimeSpan grace) : ILogEventSink, IDisposable
{
    /// <inheritdoc />
    public void Emit(LogEvent logEvent) => ((ILogEventSink)sinks).Emit(logEvent);

    /// <inheritdoc />
    public void Dispose()
    {
        seq?.GiveUpAfter(grace);
        sinks.Dispose();
    }
}
