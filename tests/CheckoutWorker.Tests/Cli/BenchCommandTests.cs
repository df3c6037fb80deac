using System.Text.Json.Nodes;
using System.Xml.Linq;
using CheckoutAgent.Worker.Bench;
using CheckoutAgent.Worker.Cli;

namespace CheckoutAgent.Tests.Cli;

/// <summary>Keeps <c>checkout-agent bench</c> working: a tiny run, checked for shape, not speed (benchmarks are not tests).</summary>
public class BenchCommandTests : DataDirectoryTest
{
    [Test, Category("Browser")]
    public async Task Bench_TinyRun_WritesJsonWithTheRunsAndAWellFormedSvg()
    {
        Directory.CreateDirectory(DataDirectory);
        var json = Path.Combine(DataDirectory, "bench.json");
        var svg = Path.Combine(DataDirectory, "bench.svg");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exitCode = await BenchCommand.ExecuteAsync(new BenchSettings { Purchases = 2, Concurrency = [1, 2], MeasureFirstPurchase = false, IntakeRequests = 10 },
            json, svg, stdout, stderr, CancellationToken.None);

        Assert.That(exitCode, Is.Zero, stderr.ToString());
        var report = JsonNode.Parse(await File.ReadAllTextAsync(json))!.AsObject();
        Assert.That(report["baseline_ratio"]!.GetValue<double>(), Is.GreaterThan(0));
        Assert.That(report["baseline_ms"]!.GetValue<double>(), Is.GreaterThan(0));
        var runs = report["runs"]!.AsArray();
        Assert.That(runs.Select(r => r!["concurrency"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 2 }));
        foreach (var run in runs)
        {
            Assert.That(run!["succeeded"]!.GetValue<int>(), Is.EqualTo(2));
            foreach (var field in new[] { "purchases_per_minute", "p50_ms", "p95_ms", "peak_memory_mb" })
            {
                Assert.That(run[field]!.GetValue<double>(), Is.GreaterThan(0), field);
            }
            Assert.That(run["phases"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(PhaseBreakdown.Names));
            Assert.That(run["phases"]!["recipe_steps"]!.GetValue<double>(), Is.GreaterThan(0));
        }
        var intake = report["intake"]!["runs"]!.AsArray();
        Assert.That(intake.Select(r => r!["clients"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 8, 32 }), "HTTP intake measured in the same run");
        Assert.That(intake.Select(r => r!["accepted"]!.GetValue<int>()), Is.All.EqualTo(10));
        Assert.That(report["targets"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()), Does.Contain("intake_per_second"));

        var chart = XDocument.Load(svg);
        Assert.That(chart.Root!.Name, Is.EqualTo(XName.Get("svg", "http://www.w3.org/2000/svg")));
        Assert.That(chart.Descendants(XName.Get("polyline", "http://www.w3.org/2000/svg")), Is.Not.Empty);
        Assert.That(stdout.ToString(), Does.Contain("purchases/min").And.Contain("worker/baseline").And.Contain("accepted/s"));
    }

    [TestCase("1,2,4,8", new[] { 1, 2, 4, 8 })]
    [TestCase(" 4 , 1", new[] { 4, 1 })]
    [TestCase("0,2", null)]
    [TestCase("two", null)]
    [TestCase("", null)]
    public void ParseConcurrency_ReadsCommaSeparatedCounts(string text, int[]? expected) =>
        Assert.That(BenchCommand.ParseConcurrency(text), Is.EqualTo(expected));

    [Test]
    public void Phases_AddUpToTheEndToEndTime()
    {
        static long At(double ms) => (long)(ms * System.Diagnostics.Stopwatch.Frequency / 1000);
        SeenEvent[] events =
        [
            new("queued", At(5)), new("policy", At(5)), new("spend_request", At(40)), new("approved", At(50)),
            new("step", At(300)), new("submitting", At(900)), new("step", At(1000)), new("reported", At(1200)), new("succeeded", At(1210)),
        ];
        Timing[] timings =
        [
            new("validate", 3), new("spend_request", 10), new("approval", 2), new("merchant_wait", 1), new("context", 30),
            new("step 1 navigate", 200), new("confirmation", 60), new("screenshot", 80),
        ];

        var phases = PhaseBreakdown.Of(At(0), events, timings)!;

        Assert.That(phases.Values.Sum(), Is.EqualTo(1210).Within(0.01));
        Assert.That(phases["queue"], Is.EqualTo(22).Within(0.01));
        Assert.That(phases["recipe_steps"], Is.EqualTo(820).Within(0.01));
        Assert.That(phases["report"], Is.EqualTo(70).Within(0.01));
    }
}
