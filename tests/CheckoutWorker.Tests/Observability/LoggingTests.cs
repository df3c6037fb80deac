using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Parsing;

namespace CheckoutAgent.Tests.Observability;

/// <summary>
/// The masking stage in front of every sink (ours and those the <c>Serilog</c> section adds), the CLEF log file, and
/// Serilog.Sinks.Seq as wired by <see cref="Logging"/>, against a real local HTTP listener.
/// </summary>
[NonParallelizable]
public class LoggingTests : DataDirectoryTest
{
    private const string Pan = "4000056655665556";
    private const string OtherPan = "5555555555554444";
    private static readonly string[] CardForms = [Pan, "4000 0566 5566 5556", "4000-0566-5566-5556", OtherPan, "5555-5555-5555-4444"];

    private TextWriter _originalError = null!;
    private StringWriter _stderr = null!;

    [SetUp]
    public void CaptureStderr()
    {
        _originalError = Console.Error;
        _stderr = new StringWriter();
        Console.SetError(TextWriter.Synchronized(_stderr));
    }

    [TearDown]
    public void RestoreStderr()
    {
        Console.SetError(_originalError);
        _stderr.Dispose();
    }

    [Test]
    public async Task A_card_number_logged_on_purpose_is_masked_in_console_file_and_Seq()
    {
        await using var seq = await FakeSeq.StartAsync();
        using (var logger = Create(LogEventLevel.Verbose, ("Seq:ServerUrl", seq.BaseUrl.ToString()), ("Seq:ApiKey", "test-key")))
        {
            LogCardMistakes(logger);
        }

        var console = _stderr.ToString();
        var file = LogFileText();
        var seqText = string.Join('\n', seq.Lines);
        foreach (var (sink, text) in new[] { ("console", console), ("file", file), ("seq", seqText) })
        {
            Assert.That(text, Does.Contain("Typed"), $"{sink} received the events");
            foreach (var form in CardForms)
            {
                Assert.That(text, Does.Not.Contain(form), $"{sink} holds {form}");
            }
            Assert.That(text, Does.Contain("5556").And.Contain("4444"), $"{sink} keeps the last 4");
            Assert.That(text, Does.Contain("1234567890123"), $"{sink}: a number that is not Luhn-valid is left alone");
        }
        Assert.That(console, Does.Contain("InvalidOperationException"), "the exception's type survives masking");
    }

    [Test]
    public async Task Seq_receives_CLEF_with_the_api_key_structured_properties_and_masked_values()
    {
        await using var seq = await FakeSeq.StartAsync();
        using (var logger = Create(LogEventLevel.Fatal, ("Seq:ServerUrl", seq.BaseUrl.ToString()), ("Seq:ApiKey", "k1")))
        {
            logger.ForContext("PurchaseId", "pur_1").Warning("Step {Step} took {Ms} ms", "fill email", 42);
            logger.Error(new TimeoutException($"slow {Pan}"), "Failed {@What} with {Card}", new { A = 1 }, "4000 0566 5566 5556");
        }

        var post = seq.Posts.First();
        Assert.That(post.ContentType, Does.StartWith("application/vnd.serilog.clef"));
        Assert.That(post.ApiKey, Is.EqualTo("k1"));
        var lines = seq.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(lines, Has.Count.EqualTo(2));
        var first = lines[0];
        Assert.That(first.GetProperty("@mt").GetString(), Is.EqualTo("Step {Step} took {Ms} ms"));
        Assert.That(first.GetProperty("@l").GetString(), Is.EqualTo("Warning"));
        Assert.That(DateTimeOffset.Parse(first.GetProperty("@t").GetString()!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
        Assert.That(first.GetProperty("PurchaseId").GetString(), Is.EqualTo("pur_1"));
        Assert.That(first.GetProperty("Step").GetString(), Is.EqualTo("fill email"));
        Assert.That(first.GetProperty("Ms").GetInt32(), Is.EqualTo(42));
        var second = lines[1];
        Assert.That(second.GetProperty("@x").GetString(), Does.StartWith("System.TimeoutException: slow •••• 5556"));
        Assert.That(second.GetProperty("What").GetProperty("A").GetInt32(), Is.EqualTo(1));
        Assert.That(second.GetProperty("Card").GetString(), Is.EqualTo("•••• 5556"));
        Assert.That(string.Join('\n', seq.Lines), Does.Not.Contain(Pan).And.Not.Contain("4000 0566"));
    }

    [Test]
    public void The_log_file_is_CLEF_one_JSON_event_per_line()
    {
        using (var logger = Create(LogEventLevel.Fatal))
        {
            logger.ForContext("PurchaseId", "pur_2").Information("Step {Step} took {Ms} ms", "fill email", 42);
            logger.Error(new TimeoutException("slow"), "Failed {Card}", Pan);
        }

        var files = Directory.GetFiles(Path.Combine(DataDirectory, "logs"));
        Assert.That(files, Has.Length.EqualTo(1));
        Assert.That(Path.GetFileName(files[0]), Does.StartWith("checkout-agent-").And.EndWith(".json"));
        var lines = File.ReadAllLines(files[0]).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(lines, Has.Count.EqualTo(2));
        Assert.That(lines[0].GetProperty("@mt").GetString(), Is.EqualTo("Step {Step} took {Ms} ms"));
        Assert.That(lines[0].TryGetProperty("@l", out _), Is.False, "CLEF leaves out the Information level");
        Assert.That(lines[0].TryGetProperty("@t", out _), Is.True);
        Assert.That(lines[0].GetProperty("PurchaseId").GetString(), Is.EqualTo("pur_2"));
        Assert.That(lines[0].GetProperty("Ms").GetInt32(), Is.EqualTo(42));
        Assert.That(lines[1].GetProperty("@l").GetString(), Is.EqualTo("Error"));
        Assert.That(lines[1].GetProperty("@x").GetString(), Does.StartWith("System.TimeoutException: slow"));
        Assert.That(lines[1].GetProperty("Card").GetString(), Is.EqualTo("•••• 5556"));
    }

    [Test]
    public void A_sink_added_only_through_configuration_receives_masked_text_and_the_configured_levels()
    {
        var extra = Path.Combine(DataDirectory, "extra", "configured.log");
        using (var logger = Create(LogEventLevel.Fatal,
            ("Serilog:WriteTo:0:Name", "File"),
            ("Serilog:WriteTo:0:Args:path", extra),
            ("Serilog:WriteTo:0:Args:outputTemplate", "{Level:u3} {Message:lj} canary={Canary} {Properties:j}{NewLine}{Exception}"),
            // Enrichment from configuration: a property holding a card number must be masked like any other.
            ("Serilog:Properties:Canary", "5555 5555 5555 4444"),
            ("Serilog:MinimumLevel:Default", "Debug"),
            ("Serilog:MinimumLevel:Override:Noisy", "Error")))
        {
            LogCardMistakes(logger);
            logger.Debug("Debug shown at the configured level {Card}", Pan);
            logger.Verbose("Verbose stays below it");
            logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Noisy.Component").Warning("Overridden away");
        }

        Assert.That(File.Exists(extra), Is.True, "the File sink named only in configuration was created");
        var text = File.ReadAllText(extra);
        Assert.That(text, Does.Contain("Typed").And.Contain("Debug shown at the configured level"), "the configured sink received the events");
        Assert.That(text, Does.Contain("canary=•••• 4444 "), "the configured property went through the masking too:\n" + text);
        foreach (var form in CardForms)
        {
            Assert.That(text, Does.Not.Contain(form), $"the configured sink holds {form}");
        }
        Assert.That(text, Does.Contain("5556").And.Contain("1234567890123"));
        Assert.That(text, Does.Not.Contain("Verbose stays below it").And.Not.Contain("Overridden away"), "the configured levels apply");
        Assert.That(LogFileText(), Does.Contain("Debug shown at the configured level"), "the configured level applies to our own sinks too");
    }

    [Test]
    public void Without_a_Serilog_section_the_levels_are_as_before()
    {
        using (var logger = Create(LogEventLevel.Verbose))
        {
            logger.Debug("Debug is below the default level");
            logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Microsoft.AspNetCore.Routing").Information("Framework chatter");
            logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Quartz.Core").Information("Quartz chatter");
            logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Microsoft.AspNetCore.Hosting").Warning("Framework warning");
            logger.Information("Our information");
        }

        foreach (var (sink, text) in new[] { ("console", _stderr.ToString()), ("file", LogFileText()) })
        {
            Assert.That(text, Does.Contain("Our information").And.Contain("Framework warning"), sink);
            Assert.That(text, Does.Not.Contain("Debug is below").And.Not.Contain("Framework chatter").And.Not.Contain("Quartz chatter"), sink);
        }
    }

    [Test]
    public void The_console_takes_the_level_the_verb_chose()
    {
        using (var logger = Create(LogEventLevel.Warning))
        {
            logger.Information("Information for the file only");
            logger.Warning("A warning for both");
        }

        Assert.That(_stderr.ToString(), Does.Contain("A warning for both").And.Not.Contain("Information for the file only"));
        Assert.That(LogFileText(), Does.Contain("A warning for both").And.Contain("Information for the file only"));
    }

    [Test]
    public async Task A_dead_or_hanging_Seq_does_not_slow_logging()
    {
        const int events = 20_000;
        var baseline = MeasureLogging(events);
        var refused = MeasureLogging(events, ("Seq:ServerUrl", $"http://127.0.0.1:{ClosedPort()}"));
        await using var hanging = await FakeSeq.StartAsync();
        hanging.Delay = TimeSpan.FromMinutes(5);
        var hangs = MeasureLogging(events, ("Seq:ServerUrl", hanging.BaseUrl.ToString()));

        TestContext.Out.WriteLine($"per log call (masking, CLEF file, console below its level), {events} events: no Seq {Micro(baseline)} µs, " +
            $"Seq refusing connections {Micro(refused)} µs, Seq accepting but never answering {Micro(hangs)} µs");
        Assert.That(hanging.Attempts, Is.GreaterThan(0), "the hanging Seq was really asked (and held the sender up)");
        // A sink that sent in line would take a connection attempt (refused) or the HTTP timeout (hanging) per event.
        Assert.That(refused.TotalSeconds, Is.LessThan(Math.Max(5, baseline.TotalSeconds * 5)), "Seq down costs a log call next to nothing");
        Assert.That(hangs.TotalSeconds, Is.LessThan(Math.Max(5, baseline.TotalSeconds * 5)), "a Seq that never answers costs a log call next to nothing");

        static string Micro(TimeSpan total) => (total.TotalMicroseconds / events).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Test]
    public async Task While_Seq_is_down_events_wait_in_a_bounded_queue_and_are_sent_when_it_recovers()
    {
        await using var seq = await FakeSeq.StartAsync();
        seq.Status = 503;
        const int events = Logging.SeqQueueLimit * 2;
        using (var logger = Create(LogEventLevel.Fatal, ("Seq:ServerUrl", seq.BaseUrl.ToString())))
        {
            logger.Information("Kept while Seq is down");
            Assert.That(() => seq.Attempts, Is.GreaterThan(0).After(10_000, 50), "the sender tried, and Seq refused");
            for (var i = 0; i < events; i++)
            {
                logger.Information("Event {I}", i);
            }

            seq.Status = 201;

            Assert.That(() => seq.Lines.Any(l => l.Contains("Kept while Seq is down", StringComparison.Ordinal)), Is.True.After(60_000, 100),
                "the batch Seq refused was retried once it recovered");
            Assert.That(() => seq.Lines.Any(l => l.Contains("\"I\":9999", StringComparison.Ordinal)), Is.True.After(60_000, 100),
                "events queued while Seq was down followed");
        }

        var received = seq.Lines.Count();
        TestContext.Out.WriteLine($"logged {events + 1} events while Seq was down; Seq received {received} once it recovered");
        Assert.That(received, Is.LessThan(events), "events beyond the queue limit were dropped, not queued without bound");
        Assert.That(received, Is.GreaterThanOrEqualTo(Logging.SeqQueueLimit / 2));
    }

    [Test]
    public async Task A_slow_Seq_does_not_hold_up_shutdown_for_long()
    {
        await using var seq = await FakeSeq.StartAsync();
        seq.Delay = TimeSpan.FromMinutes(5);
        var logger = Create(LogEventLevel.Fatal, ("Seq:ServerUrl", seq.BaseUrl.ToString()));
        for (var i = 0; i < 100; i++)
        {
            logger.Information("Event {I}", i);
        }
        Assert.That(() => seq.Attempts, Is.GreaterThan(0).After(10_000, 50), "a post is in flight to the slow Seq");

        var clock = Stopwatch.StartNew();
        var disposing = Task.Run(logger.Dispose);

        Assert.That(disposing.Wait(Logging.SeqShutdownGrace + TimeSpan.FromSeconds(5)), Is.True, "disposal does not wait for a Seq that never answers");
        TestContext.Out.WriteLine($"disposal with a post in flight to a Seq that never answers: {clock.ElapsedMilliseconds} ms");
        Assert.That(seq.Posts, Is.Empty);
    }

    [TestCase("localhost:5341")]
    [TestCase("ftp://seq.example")]
    [TestCase("/relative")]
    public void A_bad_Seq_url_is_refused_with_the_setting_named(string url)
    {
        var ex = Assert.Throws<ArgumentException>(() => Create(LogEventLevel.Fatal, ("Seq:ServerUrl", url)).Dispose());

        Assert.That(ex!.Message, Does.Contain("Seq:ServerUrl"));
    }

    [TestCase("")]
    [TestCase("  ")]
    public void An_empty_Seq_url_means_no_Seq(string url)
    {
        Assert.That(Logging.SeqServerUrl(url), Is.Null);
        Assert.DoesNotThrow(() => Create(LogEventLevel.Fatal, ("Seq:ServerUrl", url)).Dispose());
    }

    [Test]
    public void Masking_leaves_an_event_without_card_numbers_untouched()
    {
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null,
            new MessageTemplateParser().Parse("Order {Order}"), [new LogEventProperty("Order", new ScalarValue("A-1001"))]);

        Assert.That(MaskingSink.Mask(logEvent), Is.SameAs(logEvent));
    }

    [Test]
    public void A_card_secret_serializes_as_brand_and_last4_only_and_never_deserializes()
    {
        var json = JsonSerializer.Serialize(new { Card = Secret() });

        Assert.That(json, Does.Not.Contain(Pan).And.Not.Contain("987").And.Not.Contain("2031"));
        Assert.That(JsonDocument.Parse(json).RootElement.GetProperty("Card").GetString(), Is.EqualTo("visa •••• 5556"));
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Deserialize<CardSecret>("\"visa •••• 5556\""));
    }

    private static void LogCardMistakes(Serilog.ILogger logger)
    {
        logger.Information("Typed {Card} into the form", "4000 0566 5566 5556");
        logger.Information("Template with a number in it: " + Pan);
        logger.Warning("Nested {@Payload}", new { Card = new { Number = "5555-5555-5555-4444" }, Numbers = new[] { Pan } });
        logger.Information("As a number {Value}", 4000056655665556L);
        logger.Information("A card secret {@Secret} and {Plain}", Secret(), Secret());
        logger.Error(new InvalidOperationException($"fill(\"{Pan}\") failed"), "A step failed");
        logger.Information("Not a card {Order}", "1234567890123");
    }

    private Serilog.Core.Logger Create(LogEventLevel consoleLevel, params (string Key, string? Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return Logging.Create(new WorkerOptions { DataDirectory = DataDirectory }, consoleLevel, configuration);
    }

    private TimeSpan MeasureLogging(int events, params (string Key, string? Value)[] settings)
    {
        using var logger = Create(LogEventLevel.Fatal, settings);
        for (var i = 0; i < 1000; i++)
        {
            logger.Information("Warm-up {I}", i);
        }
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < events; i++)
        {
            logger.Information("Purchase {PurchaseId} step {Step} done in {Elapsed} ms", "pur_bench", i, 12L);
        }
        return clock.Elapsed;
    }

    private string LogFileText() => string.Join('\n', Directory.GetFiles(Path.Combine(DataDirectory, "logs")).Select(File.ReadAllText));

    /// <summary>A loopback port nothing listens on (bound, then released): connections are refused at once.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static CardSecret Secret() => new(Pan, "987", 4, 2031, "visa", "Jane Doe", null);
}
