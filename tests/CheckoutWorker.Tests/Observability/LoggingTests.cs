using System.Diagnostics;
using System.Text.Json;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Worker.Hosting;
using CheckoutAgent.Worker.Observability;
using Serilog;
using Serilog.Events;
using Serilog.Parsing;

namespace CheckoutAgent.Tests.Observability;

/// <summary>The masking stage in front of every sink, and the Seq sink, against a real local HTTP listener.</summary>
[NonParallelizable]
public class LoggingTests : DataDirectoryTest
{
    private const string Pan = "4000056655665556";
    private const string OtherPan = "5555555555554444";

    [Test]
    public async Task A_card_number_logged_on_purpose_is_masked_in_console_file_and_Seq()
    {
        await using var seq = await FakeSeq.StartAsync();
        var stderr = new StringWriter();
        var original = Console.Error;
        Console.SetError(stderr);
        try
        {
            var logger = Logging.Create(new WorkerOptions { DataDirectory = DataDirectory }, LogEventLevel.Verbose,
                new SeqSinkOptions { ServerUrl = seq.BaseUrl.ToString(), ApiKey = "test-key" });
            logger.Information("Typed {Card} into the form", "4000 0566 5566 5556");
            logger.Information("Template with a number in it: " + Pan);
            logger.Warning("Nested {@Payload}", new { Card = new { Number = "5555-5555-5555-4444" }, Numbers = new[] { Pan } });
            logger.Information("As a number {Value}", 4000056655665556L);
            logger.Information("A card secret {@Secret} and {Plain}", Secret(), Secret());
            logger.Error(new InvalidOperationException($"fill(\"{Pan}\") failed"), "A step failed");
            logger.Information("Not a card {Order}", "1234567890123");
            ((IDisposable)logger).Dispose();
        }
        finally
        {
            Console.SetError(original);
        }

        var console = stderr.ToString();
        var file = string.Join('\n', Directory.GetFiles(Path.Combine(DataDirectory, "logs")).Select(File.ReadAllText));
        var seqText = string.Join('\n', seq.Lines);
        foreach (var (sink, text) in new[] { ("console", console), ("file", file), ("seq", seqText) })
        {
            Assert.That(text, Does.Contain("Typed"), $"{sink} received the events");
            foreach (var form in new[] { Pan, "4000 0566 5566 5556", "4000-0566-5566-5556", OtherPan, "5555-5555-5555-4444" })
            {
                Assert.That(text, Does.Not.Contain(form), $"{sink} holds {form}");
            }
            Assert.That(text, Does.Contain("5556").And.Contain("4444"), $"{sink} keeps the last 4");
            Assert.That(text, Does.Contain("1234567890123"), $"{sink}: a number that is not Luhn-valid is left alone");
        }
        Assert.That(console, Does.Contain("InvalidOperationException"), "the exception's type survives masking");
    }

    [Test]
    public async Task Seq_receives_CLEF_with_the_api_key_and_structured_properties()
    {
        await using var seq = await FakeSeq.StartAsync();
        using (var sink = new SeqSink(new SeqSinkOptions { ServerUrl = seq.BaseUrl.ToString(), ApiKey = "k1", Period = TimeSpan.FromMilliseconds(10) }))
        {
            var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
            logger.ForContext("PurchaseId", "pur_1").Warning("Step {Step} took {Ms} ms", "fill email", 42);
            logger.Error(new TimeoutException("slow"), "Failed {@What}", new { A = 1 });
        }

        var post = seq.Posts.Single();
        Assert.That(post.ContentType, Is.EqualTo("application/vnd.serilog.clef"));
        Assert.That(post.ApiKey, Is.EqualTo("k1"));
        var lines = seq.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(lines, Has.Count.EqualTo(2));
        var first = lines[0];
        Assert.That(first.GetProperty("@mt").GetString(), Is.EqualTo("Step {Step} took {Ms} ms"));
        Assert.That(first.GetProperty("@m").GetString(), Is.EqualTo("Step \"fill email\" took 42 ms"));
        Assert.That(first.GetProperty("@l").GetString(), Is.EqualTo("Warning"));
        Assert.That(DateTimeOffset.Parse(first.GetProperty("@t").GetString()!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
        Assert.That(first.GetProperty("PurchaseId").GetString(), Is.EqualTo("pur_1"));
        Assert.That(first.GetProperty("Ms").GetInt32(), Is.EqualTo(42));
        Assert.That(lines[1].GetProperty("@x").GetString(), Does.StartWith("System.TimeoutException: slow"));
        Assert.That(lines[1].GetProperty("What").GetProperty("A").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public void Seq_down_never_blocks_logging_and_counts_what_it_drops()
    {
        // Port 1 on loopback: connection refused at once, as when Seq is down.
        using var sink = new SeqSink(new SeqSinkOptions
        {
            ServerUrl = "http://127.0.0.1:1",
            BufferSize = 50,
            Period = TimeSpan.FromMilliseconds(10),
            MinimumBackoff = TimeSpan.FromMilliseconds(50),
            ShutdownTimeout = TimeSpan.FromMilliseconds(200),
        });
        var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();

        for (var i = 0; i < 1000; i++)
        {
            logger.Information("Event {I}", i);
        }

        Assert.That(sink.DroppedCount, Is.GreaterThanOrEqualTo(1000 - 50 - 500), "events beyond the buffer are dropped, not queued without bound");
        Assert.That(() => sink.FailedAttempts, Is.GreaterThan(0).After(5000, 20), "the sender keeps trying");
        Assert.That(sink.SentCount, Is.Zero);
    }

    [Test]
    public async Task A_slow_Seq_does_not_hold_up_logging_or_shutdown_beyond_the_flush_limit()
    {
        await using var seq = await FakeSeq.StartAsync();
        seq.Delay = TimeSpan.FromSeconds(30);
        var sink = new SeqSink(new SeqSinkOptions { ServerUrl = seq.BaseUrl.ToString(), Period = TimeSpan.FromMilliseconds(10), ShutdownTimeout = TimeSpan.FromMilliseconds(300) });
        var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        for (var i = 0; i < 100; i++)
        {
            logger.Information("Event {I}", i);
        }

        var disposing = Task.Run(sink.Dispose);

        Assert.That(disposing.Wait(TimeSpan.FromSeconds(10)), Is.True, "disposal gives up after its flush limit instead of waiting for Seq");
        Assert.That(sink.SentCount, Is.Zero);
    }

    [Test]
    public async Task Seq_recovering_after_failures_receives_the_retried_batch()
    {
        await using var seq = await FakeSeq.StartAsync();
        seq.Status = 503;
        using var sink = new SeqSink(new SeqSinkOptions { ServerUrl = seq.BaseUrl.ToString(), Period = TimeSpan.FromMilliseconds(10), MinimumBackoff = TimeSpan.FromMilliseconds(20) });
        var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        logger.Information("Kept while Seq is down");
        Assert.That(() => sink.FailedAttempts, Is.GreaterThan(0).After(5000, 20));

        seq.Status = 201;

        Assert.That(() => seq.Lines.Any(l => l.Contains("Kept while Seq is down", StringComparison.Ordinal)), Is.True.After(5000, 20));
        Assert.That(sink.DroppedCount, Is.Zero);
    }

    [TestCase("localhost:5341")]
    [TestCase("ftp://seq.example")]
    [TestCase("")]
    public void A_bad_Seq_url_is_refused_with_the_setting_named(string url)
    {
        var ex = Assert.Throws<ArgumentException>(() => new SeqSink(new SeqSinkOptions { ServerUrl = url }).Dispose());

        Assert.That(ex!.Message, Does.Contain("Seq:ServerUrl"));
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

    private static CardSecret Secret() => new(Pan, "987", 4, 2031, "visa", "Jane Doe", null);
}
