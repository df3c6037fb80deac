using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;
using Serilog.Events;

namespace CheckoutAgent.Tests.EndToEnd;

/// <summary>
/// The demo purchase through the CLI transport: the worker runs link-cli (tests/LinkCliStandIn, standing in for the
/// Node program that cannot be installed here) as a child process, which talks HTTP to the Link emulator; the demo
/// shop authorizes the card against the emulator's sandbox. Console capture is process-wide, so these run alone.
/// </summary>
[Category("Browser")]
[NonParallelizable]
public class LinkCliTransportTests : DataDirectoryTest
{
    private static readonly string StandInDirectory = Path.GetFullPath(typeof(LinkCliTransportTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LinkCliStandInDirectory").Value!);

    // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>: lets the stand-in's apphost find this .NET.
    private static readonly string DotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    internal static DemoLinkCli StandIn() => new(
        Path.Combine(DotnetRoot, "dotnet"), [Path.Combine(StandInDirectory, "link-cli.dll")], new Dictionary<string, string>());

    [Test]
    public async Task The_demo_purchase_succeeds_through_link_cli_with_one_spend_request_and_no_card_in_any_output()
    {
        var started = DateTime.UtcNow.AddSeconds(-1);
        var (run, stdout, stderr) = await RunDemoAsync(SandboxApprovalMode.Auto);

        Assert.That(run.Result, Is.Not.Null, stderr);
        var result = run.Result!;
        Assert.That(result.Outcome.Status, Is.EqualTo(PurchaseStatus.Succeeded), result.Outcome.Message + "\n" + stderr);
        Assert.That(stderr + stdout, Does.Contain("Link emulator at"), "the demo really went through the emulator");
        Assert.That(result.Sandbox.SpendRequestCount, Is.EqualTo(1));
        Assert.That(result.Sandbox.AuthorizationCount, Is.EqualTo(1));
        Assert.That(result.Orders, Has.Count.EqualTo(1));
        var report = result.Sandbox.Observations.Single();
        Assert.That(report.Outcome, Is.EqualTo(ObservationOutcomes.Success));
        Assert.That(report.SpendRequestId, Is.EqualTo(result.Outcome.SpendRequestId));
        Assert.That(result.Timeline.Select(e => e.Kind), Does.Contain("reported"));

        var card = result.Sandbox.IssuedCards.Single();
        var scanner = new LeakScanner(card.Number, card.Cvc, card.ExpMonth, card.ExpYear);
        scanner.ScanText("stdout", stdout);
        scanner.ScanText("stderr", stderr);
        scanner.ScanText("outcome", JsonSerializer.Serialize(result.Outcome));
        scanner.ScanText("timeline", string.Join('\n', result.Timeline.Select(e => $"{e.Kind} {e.Message}")));
        scanner.ScanDirectory(DataDirectory);
        scanner.ScanDirectory(Path.GetTempPath(), since: started);
        scanner.ScanDirectory("/dev/shm", since: started);
        Assert.That(scanner.Findings, Is.Empty);
        Assert.That(Directory.GetFiles(CardDirectory), Is.Empty, "the card file link-cli wrote must be gone");
    }

    [Test]
    public async Task A_denied_request_through_link_cli_ends_approval_denied_without_a_checkout()
    {
        var (run, _, stderr) = await RunDemoAsync(SandboxApprovalMode.Deny);

        Assert.That(run.Result, Is.Not.Null, stderr);
        Assert.That(run.Result!.Outcome.Code, Is.EqualTo(FailureCodes.ApprovalDenied), run.Result.Outcome.Message);
        Assert.That(run.Result.Sandbox.SpendRequestCount, Is.EqualTo(1));
        Assert.That(run.Result.Orders, Is.Empty);
        Assert.That(run.Result.Sandbox.Observations, Is.Empty, "nothing happened at the merchant, so nothing is reported");
    }

    private Task<((int ExitCode, DemoResult? Result) Run, string Stdout, string Stderr)> RunDemoAsync(SandboxApprovalMode approval) =>
        DemoRun.CaptureAsync(
            new DemoSettings { DataDirectory = DataDirectory, Approval = approval, ConsoleLogLevel = LogEventLevel.Verbose, LinkCli = StandIn() },
            asJson: false);
}
