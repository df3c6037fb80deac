using System.Diagnostics;
using System.Globalization;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Bench;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Tests.Browser;

/// <summary>
/// The worker's browser and its limits, through the real host and Chromium against the demo shop: one browser
/// restarted when it dies, <c>Worker:Concurrency</c> and <c>Worker:PerMerchantConcurrency</c> as upper bounds on
/// checkouts at once, watched from the shop's side (how many buyers are between the form's two halves at once).
/// </summary>
[Category("Browser")]
public class WorkerConcurrencyTests
{
    [Test]
    public async Task Purchase_AfterChromiumWasKilled_StartsANewBrowserAndSucceeds()
    {
        var before = ChromiumPids();
        var sandbox = new LinkSandbox(new LinkSandboxOptions());
        var shopOptions = new DemoShopOptions();
        await using var shop = await DemoShop.StartAsync(shopOptions, new SandboxIssuer(sandbox));
        await using var worker = await TestWorker.StartAsync(sandbox, new Dictionary<string, string?>(DemoRunner.ShopConfiguration(shop)));
        var request = DemoRunner.Request(shop, shopOptions, "pour-over-dripper", 1, "demo-shop");

        var first = await worker.WaitForEndAsync((await worker.EnqueueAsync(request)).Id);
        Assert.That(first.Status, Is.EqualTo(PurchaseStatus.Succeeded), first.Outcome?.Message);
        var browsers = BrowserRoots(ChromiumPids().Except(before));
        Assert.That(browsers, Has.Count.EqualTo(1), "the worker runs one Chromium");
        using (var chromium = Process.GetProcessById(browsers[0]))
        {
            chromium.Kill(entireProcessTree: true);
            await chromium.WaitForExitAsync();
        }

        // Straight away: the pool may learn of the death only when it asks the dead browser for a context.
        var second = await worker.WaitForEndAsync((await worker.EnqueueAsync(request)).Id);
        Assert.That(second.Status, Is.EqualTo(PurchaseStatus.Succeeded), second.Outcome?.Message);
        var restarted = BrowserRoots(ChromiumPids().Except(before));
        Assert.That(restarted, Has.Count.EqualTo(1).And.No.Member(browsers[0]), "a new Chromium replaced the killed one");
        Assert.That(shop.Orders, Has.Count.EqualTo(2));
    }

    [TestCase(4, 2, 5, ExpectedResult = 2, Description = "the per-merchant limit binds below the worker's concurrency")]
    [TestCase(2, 8, 4, ExpectedResult = 2, Description = "the worker's concurrency binds below the per-merchant limit")]
    public async Task<int> Checkouts_AtOneMerchant_NeverExceedTheLowerLimit(int concurrency, int perMerchant, int purchases)
    {
        // Each buyer is held a while between the form's two halves: buyers let through together overlap there.
        var inside = 0;
        var most = 0;
        var shopOptions = new DemoShopOptions
        {
            BeforeCardFields = async ct =>
            {
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(1500), ct);
                }
                finally
                {
                    Interlocked.Decrement(ref inside);
                }
            },
        };
        var sandbox = new LinkSandbox(new LinkSandboxOptions());
        await using var shop = await DemoShop.StartAsync(shopOptions, new SandboxIssuer(sandbox));
        var configuration = new Dictionary<string, string?>(DemoRunner.ShopConfiguration(shop))
        {
            ["Worker:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["Worker:PerMerchantConcurrency"] = perMerchant.ToString(CultureInfo.InvariantCulture),
        };
        await using var worker = await TestWorker.StartAsync(sandbox, configuration);
        var request = DemoRunner.Request(shop, shopOptions, "pour-over-dripper", 1, "demo-shop");

        var queued = new List<string>();
        for (var i = 0; i < purchases; i++)
        {
            queued.Add((await worker.EnqueueAsync(request)).Id);
        }
        foreach (var id in queued)
        {
            var ended = await worker.WaitForEndAsync(id, TimeSpan.FromMinutes(2));
            Assert.That(ended.Status, Is.EqualTo(PurchaseStatus.Succeeded), ended.Outcome?.Message);
        }
        Assert.That(shop.Orders, Has.Count.EqualTo(purchases));
        return most;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static HashSet<int> ChromiumPids() =>
        ProcessTree.Descendants(Environment.ProcessId).Where(p => IsChromium(p.Name)).Select(p => p.Pid).ToHashSet();

    /// <summary>The full browser's processes or the headless shell's (whichever the worker chose).</summary>
    private static bool IsChromium(string name) => name is "chromium" or "chromium-headless-shell";

    /// <summary>The browser processes among <paramref name="pids"/>: those whose parent is not Chromium (renderers, GPU and zygotes are).</summary>
    private static List<int> BrowserRoots(IEnumerable<int> pids)
    {
        var tree = ProcessTree.Descendants(Environment.ProcessId).ToDictionary(p => p.Pid);
        return pids.Where(pid => tree.TryGetValue(pid, out var p) && !(tree.TryGetValue(p.ParentPid, out var parent) && IsChromium(parent.Name))).ToList();
    }
}
