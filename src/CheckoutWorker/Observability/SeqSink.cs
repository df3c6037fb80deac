using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;

namespace CheckoutAgent.Worker.Observability;

/// <summary>
/// Ships events to Seq as CLEF batches (<c>POST {server}/ingest/clef</c>, <c>X-Seq-ApiKey</c>). Stands in for
/// Serilog.Sinks.Seq, which cannot be restored here. <see cref="Emit"/> never blocks: events go into a bounded
/// buffer; a background loop sends them in batches and retries with backoff while Seq is slow or down. When the
/// buffer is full, new events are dropped and counted (<see cref="DroppedCount"/>): a checkout never waits for Seq.
/// </summary>
public sealed class SeqSink : ILogEventSink, IDisposable
{
    private readonly Channel<LogEvent> _buffer;
    private readonly HttpClient _http;
    private readonly Uri _ingestUrl;
    private readonly SeqSinkOptions _options;
    private readonly ClefFormatter _formatter = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _dropped;
    private long _sent;
    private long _failedAttempts;

    /// <summary>Starts the background sender.</summary>
    /// <param name="options">Server, key, batching and buffer limits.</param>
    /// <param name="handler">HTTP handler (tests); a plain <see cref="SocketsHttpHandler"/> when null.</param>
    public SeqSink(SeqSinkOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Uri.TryCreate(options.ServerUrl, UriKind.Absolute, out var server) || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Seq:ServerUrl must be an absolute http or https URL (e.g. http://localhost:5341); got '{options.ServerUrl}'.", nameof(options));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));
        _options = options;
        _ingestUrl = new Uri(server.AbsoluteUri.TrimEnd('/') + "/ingest/clef");
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }, disposeHandler: true)
        {
            Timeout = options.RequestTimeout,
        };
        _buffer = Channel.CreateBounded<LogEvent>(new BoundedChannelOptions(options.BufferSize)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        }, _ => Interlocked.Increment(ref _dropped));
        _loop = Task.Run(SendLoopAsync);
    }

    /// <value>Events dropped because the buffer was full (Seq slow or down for long).</value>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <value>Events Seq accepted.</value>
    public long SentCount => Interlocked.Read(ref _sent);

    /// <value>Batch posts that failed and were retried (or dropped at shutdown).</value>
    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <inheritdoc />
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        // DropWrite: a full buffer drops this event (and the channel's callback counts it); never waits.
        _buffer.Writer.TryWrite(logEvent);
    }

    /// <summary>Stops taking events and gives the sender <see cref="SeqSinkOptions.ShutdownTimeout"/> to flush.</summary>
    public void Dispose()
    {
        _buffer.Writer.TryComplete();
        if (!_loop.Wait(_options.ShutdownTimeout))
        {
            _stop.Cancel();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(1));
            }
            catch (AggregateException)
            {
                // Shutting down: what could not be sent is lost, as with any buffered sink.
            }
        }
        _stop.Dispose();
        _http.Dispose();
    }

    private async Task SendLoopAsync()
    {
        var batch = new List<LogEvent>(_options.BatchSize);
        var reader = _buffer.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                // A short pause lets a burst gather into one batch.
                await Task.Delay(_options.Period, _stop.Token);
                while (batch.Count < _options.BatchSize && reader.TryRead(out var next))
                {
                    batch.Add(next);
                }
                await SendWithRetryAsync(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Interlocked.Add(ref _dropped, batch.Count);
        }
    }

    private async Task SendWithRetryAsync(List<LogEvent> batch)
    {
        var payload = Format(batch);
        var delay = _options.MinimumBackoff;
        while (true)
        {
            try
            {
                using var content = new StringContent(payload, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.serilog.clef");
                using var request = new HttpRequestMessage(HttpMethod.Post, _ingestUrl) { Content = content };
                if (!string.IsNullOrEmpty(_options.ApiKey))
                {
                    request.Headers.Add("X-Seq-ApiKey", _options.ApiKey);
                }
                using var response = await _http.SendAsync(request, _stop.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Add(ref _sent, batch.Count);
                    return;
                }
                if ((int)response.StatusCode is 400 or 413)
                {
                    // Seq refused the payload itself: retrying the same bytes cannot help.
                    SelfLog.WriteLine("Seq refused a batch of {0} events with HTTP {1}; dropped.", batch.Count, (int)response.StatusCode);
                    Interlocked.Add(ref _dropped, batch.Count);
                    return;
                }
                SelfLog.WriteLine("Seq answered HTTP {0}; retrying.", (int)response.StatusCode);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !_stop.IsCancellationRequested)
            {
                SelfLog.WriteLine("Seq unreachable ({0}); retrying.", e.GetType().Name);
            }
            Interlocked.Increment(ref _failedAttempts);
            // Retry while the buffer holds out: a full buffer drops new events rather than old ones being resent forever.
            if (_buffer.Reader.Completion.IsCompleted || (_buffer.Reader.CanCount && _buffer.Reader.Count >= _options.BufferSize))
            {
                Interlocked.Add(ref _dropped, batch.Count);
                return;
            }
            await Task.Delay(delay, _stop.Token);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaximumBackoff.Ticks));
        }
    }

    private string Format(List<LogEvent> batch)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        foreach (var logEvent in batch)
        {
            _formatter.Format(logEvent, writer);
        }
        return writer.ToString();
    }
}

/// <summary>Settings of <see cref="SeqSink"/>; configuration section <c>Seq</c> (<c>Seq__ServerUrl</c>, <c>Seq__ApiKey</c>).</summary>
public sealed class SeqSinkOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Seq";

    /// <value>Seq's base URL, e.g. <c>http://localhost:5341</c>. Empty: no Seq.</value>
    public string? ServerUrl { get; set; }

    /// <value>Optional API key, sent as <c>X-Seq-ApiKey</c>.</value>
    public string? ApiKey { get; set; }

    /// <value>Most events in one POST. Default 500.</value>
    public int BatchSize { get; set; } = 500;

    /// <value>Most events waiting to be sent; beyond it new events are dropped and counted. Default 10 000.</value>
    public int BufferSize { get; set; } = 10_000;

    /// <value>Pause before each batch so bursts travel together. Default 500 ms.</value>
    public TimeSpan Period { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <value>Longest one POST may take. Default 10 s.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <value>First retry delay; doubles up to <see cref="MaximumBackoff"/>. Default 1 s.</value>
    public TimeSpan MinimumBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <value>Longest retry delay. Default 1 min.</value>
    public TimeSpan MaximumBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <value>How long disposal waits to flush. Default 2 s.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary><c>WriteTo.Seq(...)</c> in the shape of Serilog.Sinks.Seq's, so the package can replace this sink by
/// swapping the <c>using</c>.</summary>
public static class SeqSinkExtensions
{
    /// <summary>Ships events to Seq at <paramref name="serverUrl"/>.</summary>
    public static LoggerConfiguration Seq(this LoggerSinkConfiguration sinkConfiguration, string serverUrl, LogEventLevel restrictedToMinimumLevel = LevelAlias.Minimum, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(sinkConfiguration);
        return sinkConfiguration.Sink(new SeqSink(new SeqSinkOptions { ServerUrl = serverUrl, ApiKey = apiKey }), restrictedToMinimumLevel);
    }
}
