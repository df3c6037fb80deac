using System.Globalization;
using CheckoutAgent.Worker.Hosting;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace CheckoutAgent.Worker.Observability;

/// <summary>
/// Serilog for the worker: human-readable lines on stderr, a rolling JSON file in the data directory, and Seq when
/// <c>Seq:ServerUrl</c> is set. Every sink sits behind <see cref="MaskingSink"/>, so a card-like number that reached a
/// log event by mistake is masked before any sink sees it.
/// </summary>
public static class Logging
{
    public static Serilog.ILogger Create(WorkerOptions worker, LogEventLevel consoleLevel, SeqSinkOptions? seq = null)
    {
        ArgumentNullException.ThrowIfNull(worker);
        const string template = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";
        var sinks = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.File(new JsonFormatter(renderMessage: true, formatProvider: CultureInfo.InvariantCulture),
                Path.Combine(worker.DataDirectoryFullPath, "logs", "checkout-agent-.json"),
                rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14)
            // Logs go to stderr so that stdout stays for results (demo --json prints exactly one JSON object there).
            .WriteTo.Console(consoleLevel, template, CultureInfo.InvariantCulture, standardErrorFromLevel: LogEventLevel.Verbose);
        if (!string.IsNullOrWhiteSpace(seq?.ServerUrl))
        {
            // Our own CLEF sink stands in for Serilog.Sinks.Seq, with the same call shape: swapping in the package
            // changes only the using directive.
            sinks.WriteTo.Seq(seq.ServerUrl, apiKey: seq.ApiKey);
        }

        return new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning)
            .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Destructure.With<CardSecretDestructuringPolicy>()
            .WriteTo.Sink(new MaskingSink(sinks.CreateLogger()))
            .CreateLogger();
    }
}
