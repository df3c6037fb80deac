using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;
using Serilog.Events;

namespace CheckoutAgent.Tests.EndToEnd;

/// <summary>
/// Every demo shop variant, bought from with its shipped recipe in headless Chromium through the real worker: each must
/// end in its own outcome, with the side effects that outcome implies, and write the issued card nowhere. Console
/// capture is process-wide, so these run alone.
/// </summary>
[Category("Browser")]
[NonParallelizable]
public class DemoVariantTests : DataDirectoryTest
{
    /// <summary>What must be true after a variant's run.</summary>
    public sealed record Expectation(string Variant, string Status, bool Clicked, int PaymentAttempts, bool Typed,
        SandboxAuthenticationMode Authentication = SandboxAuthenticationMode.Auto)
    {
        public override string ToString() => Authentication == SandboxAuthenticationMode.Auto ? Variant : $"{Variant} ({Authentication})";
    }

    public static readonly Expectation[] Expectations =
    [
        new("single-page", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
        new("multi-step", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
        new("iframe-card", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
        new("shadow-dom", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
        // The card holder confirms (after 1 s), refuses, or never answers: one click each time, the wait does the rest.
        new("three-ds", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
        new("three-ds", "authentication_failed", Clicked: true, PaymentAttempts: 1, Typed: true, SandboxAuthenticationMode.Deny),
        new("three-ds", "authentication_timeout", Clicked: true, PaymentAttempts: 1, Typed: true, SandboxAuthenticationMode.Manual),
        new("captcha", "captcha_required", Clicked: false, PaymentAttempts: 0, Typed: false),
        new("decline", "card_declined", Clicked: true, PaymentAttempts: 1, Typed: true),
        new("out-of-stock", "out_of_stock", Clicked: false, PaymentAttempts: 0, Typed: false),
        new("price-change", "total_mismatch", Clicked: false, PaymentAttempts: 0, Typed: true),
        new("foreign-iframe", "origin_violation", Clicked: false, PaymentAttempts: 0, Typed: false),
        new("account", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
        new("consent", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
        new("expiry-selects", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
        new("late-total", "succeeded", Clicked: true, PaymentAttempts: 1, Typed: true),
    ];

    private static readonly Dictionary<string, string> ReportFor = new(StringComparer.Ordinal)
    {
        ["succeeded"] = "success:",
        ["authentication_failed"] = "blocked:3ds_challenge",
        ["authentication_timeout"] = "abandoned:3ds_challenge,timeout",
        ["captcha_required"] = "blocked:captcha",
        ["card_declined"] = "blocked:payment_declined",
        ["out_of_stock"] = "abandoned:out_of_stock",
        ["total_mismatch"] = "abandoned:total_mismatch",
        ["origin_violation"] = "blocked:origin_violation",
    };

    [TestCaseSource(nameof(Expectations))]
    public async Task Variant_EndsInItsOutcome_AndWritesTheCardNowhere(Expectation expected)
    {
        Assert.That(DemoVariants.TryParse(expected.Variant, out var variant), Is.True);
        var started = DateTime.UtcNow.AddSeconds(-1);
        var (run, stdout, stderr) = await DemoRun.CaptureAsync(
            new DemoSettings
            {
                DataDirectory = DataDirectory, Variant = variant, ConsoleLogLevel = LogEventLevel.Verbose, Authentication = expected.Authentication,
                // Nobody answers in Manual: the deadline must pass quickly.
                Configuration = new Dictionary<string, string?> { ["Browser:AuthenticationTimeout"] = "00:00:03" },
            }, asJson: true);

        Assert.That(run.Result, Is.Not.Null, stderr);
        var result = run.Result!;
        using var json = JsonDocument.Parse(stdout);
        Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo(expected.Status), result.Outcome.Message);
        Assert.That(run.ExitCode, Is.EqualTo(expected.Status == "succeeded" ? 0 : 1));
        Assert.That(result.Timeline.Count(e => e.Kind == PurchaseStatus.Submitting), Is.EqualTo(expected.Clicked ? 1 : 0), "final clicks");
        Assert.That(result.Timeline.Count(e => e.Kind == PurchaseStatus.AwaitingAuthentication), Is.EqualTo(expected.Variant == "three-ds" ? 1 : 0),
            "the 3-D Secure wait is recorded, once");
        Assert.That(result.PaymentAttempts, Is.EqualTo(expected.PaymentAttempts), "payment attempts the shop saw");
        Assert.That(result.Orders, Has.Count.EqualTo(expected.Status == "succeeded" ? 1 : 0));
        // What Link is told once a card was in hand: the outcome, and what blocked it.
        var reported = result.Sandbox.Observations.Single();
        Assert.That($"{reported.Outcome}:{string.Join(',', reported.Tags)}", Is.EqualTo(ReportFor[expected.Status]));
        if (expected.Status == "succeeded")
        {
            Assert.That(result.Outcome.OrderNumber, Is.EqualTo(result.Orders[0].OrderNumber));
            Assert.That(result.Outcome.ChargedTotal, Is.EqualTo("$24.00"));
        }
        if (!expected.Typed)
        {
            Assert.That(result.Timeline.Any(e => e.Kind == "step" && e.Message.Contains("${card.", StringComparison.Ordinal)), Is.False,
                "no card step may have run");
            Assert.That(result.CardTokenRequests, Is.Zero, "no card frame may have received a card");
        }
        Assert.That(result.Outcome.ScreenshotPath, Does.Exist);

        var card = result.Sandbox.IssuedCards.Single();
        var scanner = new LeakScanner(card.Number, card.Cvc, card.ExpMonth, card.ExpYear);
        scanner.ScanText("stdout", stdout);
        scanner.ScanText("stderr", stderr);
        scanner.ScanText("timeline", string.Join('\n', result.Timeline.Select(e => $"{e.Kind} {e.Message}")));
        var scanned = scanner.ScanDirectory(DataDirectory);
        scanner.ScanDirectory(Path.GetTempPath(), since: started);
        scanner.ScanDirectory(CardDirectory);
        Assert.That(scanner.Findings, Is.Empty);
        Assert.That(scanned, Is.GreaterThanOrEqualTo(3), "the database, a log file and the screenshot must have been scanned");
        Assert.That(stderr, Does.Contain("Purchase"), "verbose logs reached the console, so the console was really scanned");
    }
}
