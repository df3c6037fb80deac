using CheckoutAgent.Worker.Bench;

namespace CheckoutAgent.Tests.Bench;

/// <summary>Keeps <c>bench intake</c> working; it measures nothing (benchmarks are not tests).</summary>
public class IntakeBenchmarkTests
{
    [Test]
    public async Task Intake_bench_posts_every_purchase_into_a_real_service_and_reports_each_level()
    {
        var progress = new StringWriter();
        var result = await IntakeBenchmark.RunAsync(new IntakeBenchSettings { Clients = [1, 4], Requests = 20, WarmUp = 5 }, progress, CancellationToken.None);

        Assert.That(result.Runs.Select(r => r.Clients), Is.EqualTo(new[] { 1, 4 }));
        Assert.That(result.Runs.Select(r => (r.Accepted, r.Errors)), Is.All.EqualTo((20, 0)), progress.ToString());
        Assert.That(result.PurchasesStored, Is.EqualTo(45), "warm-up and both levels reached the store, each once");
        Assert.That(result.Runs, Has.All.Matches<IntakeRun>(r => r.AcceptedPerSecond > 0 && r.P50Ms > 0 && r.P95Ms >= r.P50Ms));
        Assert.That(IntakeBenchmark.Format(result), Does.Contain("accepted/s"));
    }
}
