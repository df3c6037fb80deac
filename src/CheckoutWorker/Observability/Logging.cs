using System.Globalization;
using CheckoutAgent.Worker.Hosting;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace CheckoutAgent.Worker.Observability;

/// <summary>Serilog for the worker: human-readable lines on stderr, and a rolling JSON file in the data directory.</summary>
public static class Logging
{
    public static Serilog.ILogger Create(WorkerOptions worker, LogEventLevel consoleLevel)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning)
            .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.File(new JsonFormatter(renderMessage: true, formatProvider: CultureInfo.InvariantCulture),
                Path.Combine(worker.DataDirectoryFullPath, "logs", "checkout-agent-.json"),
                rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14);
        const string template = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";
        // Logs go to stderr so that stdout stays for results (demo --json prints exactly one JSON object there).
        return configuration
            .WriteTo.Console(consoleLevel, template, CultureInfo.InvariantCulture, standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();
    }
}
