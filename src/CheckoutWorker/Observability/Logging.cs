using System.Globalization;
using CheckoutAgent.Worker.Configuration;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Settings.Configuration;

namespace CheckoutAgent.Worker.Observability;

/// <summary>
/// Serilog for the worker: human-readable lines on stderr, a rolling CLEF file in the data directory, Seq when
/// <c>Seq:ServerUrl</c> is set, and whatever the <c>Serilog</c> configuration section adds.
/// </summary>
/// <remarks>
/// Two loggers, so that no configuration can get around the masking wall. The outer one takes the levels, enrichers,
/// properties, filters and destructuring (ours first, then the <c>Serilog</c> section's, all but its sinks); its only
/// sink is <see cref="MaskingSink"/>. Behind it, an inner logger holds every sink: ours and the section's
/// <c>WriteTo</c>/<c>AuditTo</c>. Every event any sink sees has passed both <see cref="CardSecretDestructuringPolicy"/>
/// and the masking.
/// </remarks>
public static class Logging
{
    /// <summary>Serilog.Settings.Configuration's section: levels, enrichers and extra sinks.</summary>
    public const string SectionName = "Serilog";

    /// <summary>Seq's base URL, e.g. <c>http://localhost:5341</c>; empty: no Seq.</summary>
    public const string SeqServerUrlKey = "Seq:ServerUrl";

    /// <summary>Optional Seq API key, sent as <c>X-Seq-ApiKey</c>.</summary>
    public const string SeqApiKeyKey = "Seq:ApiKey";

    /// <summary>Most events waiting for Seq; beyond it new events are dropped, so a dead Seq costs bounded memory.</summary>
    public const int SeqQueueLimit = 10_000;

    /// <summary>How long disposal lets Seq take what is still queued before giving up on it.</summary>
    public static readonly TimeSpan SeqShutdownGrace = TimeSpan.FromSeconds(2);

    /// <summary>Sections of <see cref="SectionName"/> that add sinks: read into the inner logger only.</summary>
    private static readonly string[] SinkSections = ["WriteTo", "AuditTo"];

    /// <summary>Sections both loggers need: assemblies to search, and declared level switches sinks may refer to.</summary>
    private static readonly string[] SharedSections = ["Using", "LevelSwitches"];

    /// <summary>The worker's logger. Dispose it to flush the file and Seq.</summary>
    /// <param name="worker">Where the data directory (and so the log files) is.</param>
    /// <param name="consoleLevel">Least level shown on stderr.</param>
    /// <param name="configuration">Holds <c>Seq:ServerUrl</c>, <c>Seq:ApiKey</c> and the <c>Serilog</c> section; null: defaults only.</param>
    public static Serilog.Core.Logger Create(WorkerOptions worker, LogEventLevel consoleLevel, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(worker);
        configuration ??= new ConfigurationBuilder().Build();
        var seqUrl = SeqServerUrl(configuration[SeqServerUrlKey]);
        var readerOptions = new ConfigurationReaderOptions { SectionName = SectionName, FormatProvider = CultureInfo.InvariantCulture };

        const string template = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";
        // The inner logger lets everything through: levels are decided once, by the outer logger.
        var sinks = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.File(new CompactJsonFormatter(),
                Path.Combine(worker.DataDirectoryFullPath, "logs", "checkout-agent-.json"),
                rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14)
            // Logs go to stderr so that stdout stays for results (demo --json prints exactly one JSON object there).
            .WriteTo.Console(consoleLevel, template, CultureInfo.InvariantCulture, standardErrorFromLevel: LogEventLevel.Verbose);
        SeqHttpHandler? seqHandler = null;
        if (seqUrl is not null)
        {
            // Batched and asynchronous: Emit only queues (dropping beyond the limit); a background loop posts CLEF and
            // retries with backoff, so a slow or dead Seq never holds up a checkout.
            var apiKey = configuration[SeqApiKeyKey];
            seqHandler = new SeqHttpHandler();
            sinks.WriteTo.Seq(seqUrl, apiKey: string.IsNullOrWhiteSpace(apiKey) ? null : apiKey, queueSizeLimit: SeqQueueLimit,
                messageHandler: seqHandler, formatProvider: CultureInfo.InvariantCulture);
        }
        sinks.ReadFrom.Configuration(Subset(configuration, keep: name => SinkSections.Contains(name, StringComparer.OrdinalIgnoreCase) || SharedSections.Contains(name, StringComparer.OrdinalIgnoreCase)), readerOptions);

        var outer = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning)
            .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
            // Ours first: destructuring policies are asked in order, so a configured one cannot take a CardSecret apart.
            .Destructure.With<CardSecretDestructuringPolicy>()
            .Enrich.FromLogContext()
            .ReadFrom.Configuration(Subset(configuration, keep: name => !SinkSections.Contains(name, StringComparer.OrdinalIgnoreCase)), readerOptions)
            // Not configurable: ASP.NET Core's own "Request starting" lines carry the query string. Requests are logged
            // by RequestLogging (method, path, status, time) instead.
            .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LogEventLevel.Warning)
            .WriteTo.Sink(new MaskingSink(new SinksWithBoundedShutdown(sinks.CreateLogger(), seqHandler, SeqShutdownGrace)));
        return outer.CreateLogger();
    }

    /// <summary>The Seq URL when set and valid; null when unset; refused, naming the setting, when not an absolute http(s) URL.</summary>
    internal static string? SeqServerUrl(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var server) || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"{SeqServerUrlKey} must be an absolute http or https URL (e.g. http://localhost:5341); got '{value}'.", nameof(value));
        }
        return server.AbsoluteUri;
    }

    /// <summary>A copy of the <see cref="SectionName"/> section holding only the subsections <paramref name="keep"/> accepts.</summary>
    private static IConfiguration Subset(IConfiguration configuration, Func<string, bool> keep)
    {
        var section = configuration.GetSection(SectionName);
        var entries = section.GetChildren()
            .Where(child => keep(child.Key))
            .SelectMany(child => child.AsEnumerable())
            .Where(entry => entry.Value is not null);
        return new ConfigurationBuilder().AddInMemoryCollection(entries).Build();
    }
}
