using System.Diagnostics;
using System.Text.Json;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;
using Serilog.Events;

namespace CheckoutAgent.Tests.EndToEnd;

/// <summary>
/// Runs the demo and searches everything it wrote for the card it was issued. Console capture is process-wide,
/// so these tests run alone.
/// </summary>
[Category("Browser")]
[NonParallelizable]
public class LeakTests : DataDirectoryTest
{
    [TestCase(false)]
    [TestCase(true)]
    public async Task Demo_WritesTheIssuedCardNowhere(bool asJson)
    {
        var started = DateTime.UtcNow.AddSeconds(-1);
        // Every log level on, so the console and the log file carry all the worker has to say.
        var (run, stdout, stderr) = await DemoRun.CaptureAsync(
            new DemoSettings { DataDirectory = DataDirectory, ConsoleLogLevel = LogEventLevel.Verbose }, asJson);

        Assert.That(run.Result, Is.Not.Null, stderr);
        Assert.That(run.Result!.Outcome.Status, Is.EqualTo(PurchaseStatus.Succeeded), run.Result.Outcome.Message);
        var card = run.Result.Sandbox.IssuedCards.Single();
        var scanner = new LeakScanner(card.Number, card.Cvc, card.ExpMonth, card.ExpYear);

        scanner.ScanText("stdout", stdout);
        scanner.ScanText("stderr", stderr);
        scanner.ScanText("outcome", JsonSerializer.Serialize(run.Result.Outcome));
        scanner.ScanText("timeline", string.Join('\n', run.Result.Timeline.Select(e => $"{e.Kind} {e.Message}")));
        var dataFiles = scanner.ScanDirectory(DataDirectory);
        scanner.ScanDirectory(Path.GetTempPath(), since: started);
        scanner.ScanDirectory("/dev/shm", since: started);
        scanner.ScanDirectory(CardDirectory);

        Assert.That(scanner.Findings, Is.Empty);
        Assert.That(dataFiles, Is.GreaterThanOrEqualTo(3), "the database, a log file and the screenshot must have been scanned");
        Assert.That(Directory.GetFiles(DataDirectory, "*.json", SearchOption.AllDirectories).Any(f => f.Contains("logs", StringComparison.Ordinal)), Is.True);
        Assert.That(stderr, Does.Contain("Purchase"), "verbose logs reached the console, so the console was really scanned");
        Assert.That(stdout, Does.Contain(card.Last4), "the masked card (last 4) is reported");
        Assert.That(Directory.Exists(CardDirectory), Is.True, "the worker's card folder is where this test looks");
        Assert.That(Directory.GetFiles(CardDirectory), Is.Empty, "the card file must be gone");
    }

    [Test]
    public async Task DemoCommand_AsAChildProcess_PrintsOneJsonOutcomeAndNoCardNumber()
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "checkout-agent.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { worker, "demo", "--json", "--data-dir", DataDirectory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        using var process = Process.Start(start)!;
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        var (stdout, stderr) = (await stdoutTask, await stderrTask);

        Assert.That(process.ExitCode, Is.Zero, stderr);
        using var outcome = JsonDocument.Parse(stdout);
        Assert.That(outcome.RootElement.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(outcome.RootElement.GetProperty("order_number").GetString(), Does.StartWith("DCS-"));
        Assert.That(outcome.RootElement.GetProperty("card_last4").GetString(), Has.Length.EqualTo(4));
        Assert.That(stderr, Does.Contain("submitting"), "progress goes to stderr in --json mode");
        // The child's sandbox is out of reach, so look for any number shaped like the cards it issues, and say where.
        var places = new Dictionary<string, string> { ["stdout"] = stdout, ["stderr"] = stderr };
        foreach (var file in Directory.GetFiles(DataDirectory, "*", SearchOption.AllDirectories))
        {
            places[Path.GetRelativePath(DataDirectory, file)] = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file));
        }
        var found = places.SelectMany(p => LeakScanner.FindVisaLikeNumbers(p.Value).Select(n => $"{n} in {p.Key}")).ToList();
        Assert.That(found, Is.Empty, $"the card issued ended in {outcome.RootElement.GetProperty("card_last4").GetString()}");
    }
}
