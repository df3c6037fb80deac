using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Hosting;
using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Purchases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace CheckoutAgent.Worker.Bench;

/// <summary>How to run the checkout benchmark.</summary>
internal sealed record BenchSettings
{
    /// <value>Measured purchases per concurrency (and baseline checkouts). Default 30.</value>
    public int Purchases { get; init; } = 30;

    /// <value>Concurrencies to run, each with a fresh worker. Default 1, 2, 4, 8.</value>
    public IReadOnlyList<int> Concurrency { get; init; } = [1, 2, 4, 8];

    /// <value>Also time <c>checkout-agent demo</c> in a new process, from its start to its purchase confirmed. Default true.</value>
    public bool MeasureFirstPurchase { get; init; } = true;

    /// <value>Purchases per client count for the HTTP intake measurement that follows the checkouts; 0 skips it.</value>
    public int IntakeRequests { get; init; }

    /// <value>Where the worker's data directories go while the benchmark runs (removed afterwards). Default: a new temp folder.</value>
    public string? WorkDirectory { get; init; }

    /// <value>
    /// Also run concurrency 1 once more with the demo recipe plus <c>block: [images, fonts, media]</c>, to show what the
    /// recipe's resource blocking saves (the shop serves real images). Default true.
    /// </value>
    public bool MeasureBlocking { get; init; } = true;

    /// <value>One purchase may take at most this long before the benchmark gives up.</value>
    public TimeSpan PurchaseTimeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// <c>checkout-agent bench</c>: purchases against the demo shop's single-page checkout with the Link sandbox approving at
/// once, through the real worker (SQLite, Quartz, the recipe runner, one Chromium) at each concurrency, beside a
/// hand-written Playwright baseline doing the same clicks in the same browser. Everything runs in this process except
/// Playwright's driver and Chromium, whose memory is counted with it.
/// </summary>
internal static class CheckoutBench
{
    private const string Sku = "pour-over-dripper";
    private const string Recipe = "demo-shop";

    public static async Task<BenchReport> RunAsync(BenchSettings settings, TextWriter progress, CancellationToken cancellationToken)
    {
        // As the worker chooses for a headless run: the headless shell when installed (Browser__ExecutablePath forces one).
        var chromium = ChromiumLocator.Find(null, headless: true);
        var loadBefore = MachineInfo.LoadAverage();
        var workDirectory = settings.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "checkout-agent-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(workDirectory);
        try
        {
            var firstPurchase = settings.MeasureFirstPurchase ? await FirstPurchaseAsync(workDirectory, progress, cancellationToken) : null;

            var sandbox = new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Auto });
            var shopOptions = new DemoShopOptions { Variant = DemoVariant.SinglePage };
            await using var shop = await DemoShop.StartAsync(shopOptions, new SandboxIssuer(sandbox), ct: cancellationToken);
            var request = DemoRunner.Request(shop, shopOptions, Sku, 1, Recipe);
            progress.WriteLine($"Demo shop on {shop.BaseUrl}; Chromium {ChromiumLocator.Describe(chromium)}; {settings.Purchases} purchases per run");

            // The baseline runs in blocks between the blocks of concurrency 1, so both see the same machine: on a shared
            // box the load drifts within minutes, and the ratio of two figures taken at different times would measure that.
            var baseline = new BaselineRun(sandbox, request, chromium, workDirectory, progress);
            var runs = new List<RunResult>();
            foreach (var concurrency in settings.Concurrency)
            {
                var interleave = concurrency == 1 ? baseline : null;
                runs.Add(await WorkerRunAsync(settings, concurrency, sandbox, shop, request, chromium, workDirectory, interleave, progress, cancellationToken));
            }
            if (baseline.Checkouts == 0)
            {
                await baseline.RunBlockAsync(settings.Purchases, cancellationToken);
            }
            RunResult? blocked = null;
            if (settings.MeasureBlocking)
            {
                var recipes = BlockingRecipes(workDirectory);
                blocked = await WorkerRunAsync(settings, 1, sandbox, shop, request with { Recipe = BlockingRecipe }, chromium, workDirectory, null, progress,
                    cancellationToken, recipes, "blocking");
            }
            var baselineResult = baseline.Result();
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Baseline: p50 {baselineResult.P50Ms:0} ms, p95 {baselineResult.P95Ms:0} ms"));

            var atOne = runs.FirstOrDefault(r => r.Concurrency == 1);
            var ratio = atOne is null ? (double?)null : Stats.Round(atOne.P50Ms / baselineResult.P50Ms, 2);
            var cpuRatio = atOne is null || baselineResult.CpuMsPerPurchase <= 0 ? (double?)null : Stats.Round(atOne.CpuMsPerPurchase / baselineResult.CpuMsPerPurchase, 2);
            var limit = Limit(Environment.ProcessorCount, baselineResult.CpuMsPerPurchase);
            runs = runs.Select(r => r with { LimitFraction = limit is { } l ? Stats.Round(r.PurchasesPerMinute / l, 2) : null }).ToList();
            return new BenchReport
            {
                GeneratedAt = TimeProvider.System.GetUtcNow(),
                Machine = new MachineInfo(RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, Environment.ProcessorCount,
                    MachineInfo.CpuModel(), baseline.BrowserVersion, ChromiumLocator.Describe(chromium), loadBefore, MachineInfo.LoadAverage()),
                Purchases = settings.Purchases,
                FirstPurchaseSeconds = firstPurchase,
                Baseline = baselineResult,
                BaselineMs = baselineResult.P50Ms,
                BaselineRatio = ratio,
                CpuRatio = cpuRatio,
                LimitPerMinute = limit,
                Runs = runs,
                Blocking = blocked,
                Targets = Targets(ratio, cpuRatio, runs, firstPurchase),
            };
        }
        finally
        {
            TryDelete(workDirectory);
        }
    }

    /// <summary>
    /// Checkouts per minute this machine can do at most: every core busy with nothing but what the baseline needs per
    /// checkout (cores × 60 s ÷ its CPU seconds per checkout). Null when the baseline's CPU is unknown.
    /// </summary>
    internal static double? Limit(int cores, double baselineCpuMsPerCheckout) =>
        baselineCpuMsPerCheckout > 0 ? Stats.Round(cores * 60.0 / (baselineCpuMsPerCheckout / 1000), 1) : null;

    /// <summary>The issue's targets, evaluated on what this run measured (null where it did not measure the input).</summary>
    internal static IReadOnlyList<TargetResult> Targets(double? ratio, double? cpuRatio, IReadOnlyList<RunResult> runs, double? firstPurchase)
    {
        var four = runs.FirstOrDefault(r => r.Concurrency == 4);
        var widest = runs.Count == 0 ? null : runs.MaxBy(r => r.Concurrency);
        var narrowest = runs.Count == 0 ? null : runs.MinBy(r => r.Concurrency);
        var marginal = widest is null || narrowest is null || widest.Concurrency == narrowest.Concurrency ? (double?)null
            : Stats.Round((widest.PeakMemoryMb - narrowest.PeakMemoryMb) / (widest.Concurrency - narrowest.Concurrency));
        var fraction = four?.LimitFraction;
        return
        [
            new("baseline_ratio", "worker/baseline wall time at concurrency 1 <= 1.15", ratio, ratio is null ? null : ratio <= 1.15),
            new("cpu_ratio", "worker/baseline CPU per checkout at concurrency 1 <= 1.25", cpuRatio, cpuRatio is null ? null : cpuRatio <= 1.25),
            new("limit_fraction_4", "purchases/min at concurrency 4 >= 0.8 x the machine's limit (cores x 60 s / baseline CPU per checkout)",
                fraction, fraction is null ? null : fraction >= 0.8),
            new("memory_per_added_checkout_mb", $"(peak at {widest?.Concurrency} - peak at {narrowest?.Concurrency}) / added checkouts <= 60 MB (what each checkout adds beyond the fixed worker and browser)",
                marginal, marginal is null ? null : marginal <= 60),
            new("first_purchase_s", "demo's first purchase confirmed <= 3 s after the command starts", firstPurchase, firstPurchase is null ? null : firstPurchase <= 3),
        ];
    }

    /// <summary>Starts <c>checkout-agent demo</c> as a new process and times it until its purchase is confirmed.</summary>
    private static async Task<double?> FirstPurchaseAsync(string workDirectory, TextWriter progress, CancellationToken cancellationToken)
    {
        if (Environment.ProcessPath is not { } executable || !Path.GetFileNameWithoutExtension(executable).Equals("checkout-agent", StringComparison.Ordinal))
        {
            // Under a test host or `dotnet some.dll` there is no checkout-agent executable to start.
            progress.WriteLine("First purchase: not measured (not running as the checkout-agent executable)");
            return null;
        }
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var dataDirectory = Path.Combine(workDirectory, "demo");
        foreach (var argument in new[] { "demo", "--data-dir", dataDirectory })
        {
            start.ArgumentList.Add(argument);
        }
        var clock = Stopwatch.StartNew();
        using var demo = Process.Start(start) ?? throw new InvalidOperationException("checkout-agent demo did not start.");
        _ = demo.StandardError.ReadToEndAsync(cancellationToken);
        double? confirmed = null;
        while (await demo.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (confirmed is null && line.Contains("] succeeded ", StringComparison.Ordinal))
            {
                confirmed = Stats.Round(clock.Elapsed.TotalSeconds, 2);
            }
        }
        await demo.WaitForExitAsync(cancellationToken);
        TryDelete(CardVault.Resolve(null, dataDirectory));
        progress.WriteLine(confirmed is { } s
            ? string.Create(CultureInfo.InvariantCulture, $"First purchase: checkout-agent demo confirmed its order {s:0.00} s after starting")
            : $"First purchase: checkout-agent demo exited {demo.ExitCode} without a confirmed order");
        return confirmed;
    }

    internal static async Task<CardSecret> IssueCardAsync(SandboxLinkClient link, PurchaseRequest request, string cardPath, CancellationToken cancellationToken)
    {
        var created = await link.CreateSpendRequestAsync(new SpendRequestCreateOptions
        {
            Amount = request.Amount,
            Currency = request.Currency,
            MerchantName = "Demo Coffee Supply",
            MerchantUrl = request.MerchantUrl,
            Context = request.Context,
            LineItems = request.Items.Select(i => new LineItem(i.Name, i.Quantity, i.UnitAmount, i.ProductUrl)).ToList(),
            Totals = [new Total("total", "Total", request.Amount)],
            RequestApproval = true,
        }, cancellationToken);
        await link.WaitForApprovalAsync(created.Id, cardPath, TimeSpan.FromMilliseconds(20), TimeProvider.System.GetUtcNow().AddSeconds(30), cancellationToken);
        try
        {
            return CardFile.Read(cardPath);
        }
        finally
        {
            File.Delete(cardPath);
        }
    }

    private const string BlockingRecipe = "demo-shop-blocking";

    /// <summary>A recipes folder holding <c>recipes/demo-shop.yaml</c> as <see cref="BlockingRecipe"/>, with <c>block: [images, fonts, media]</c> added.</summary>
    private static string BlockingRecipes(string workDirectory)
    {
        var source = Path.Combine(RecipesDirectory.Resolve(null), Recipe + ".yaml");
        var folder = Path.Combine(workDirectory, "recipes");
        Directory.CreateDirectory(folder);
        var text = File.ReadAllText(source);
        var at = text.IndexOf("\nsteps:", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException($"{source} has no top-level 'steps:' line to put 'block:' before.");
        }
        File.WriteAllText(Path.Combine(folder, BlockingRecipe + ".yaml"), text[..at] + "\nblock: [images, fonts, media]" + text[at..]);
        return folder;
    }

    private static async Task<RunResult> WorkerRunAsync(BenchSettings settings, int concurrency, LinkSandbox sandbox, DemoShop shop,
        PurchaseRequest request, string chromium, string workDirectory, BaselineRun? interleave, TextWriter progress, CancellationToken cancellationToken,
        string? recipesDirectory = null, string? label = null)
    {
        var hostSettings = new WorkerHostSettings { Sandbox = sandbox, ConsoleLogLevel = LogEventLevel.Warning };
        var runName = label ?? $"concurrency {concurrency}";
        var dataDirectory = Path.Combine(workDirectory, label ?? "c" + concurrency.ToString(CultureInfo.InvariantCulture));
        if (recipesDirectory is not null)
        {
            hostSettings.Configuration["Worker:RecipesDirectory"] = recipesDirectory;
        }
        hostSettings.Configuration["Worker:DataDirectory"] = dataDirectory;
        hostSettings.Configuration["Worker:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
        // One merchant takes every purchase here: its limit must not be what is measured.
        hostSettings.Configuration["Worker:PerMerchantConcurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
        hostSettings.Configuration["Browser:ExecutablePath"] = chromium;
        foreach (var (key, value) in DemoRunner.ShopConfiguration(shop))
        {
            hostSettings.Configuration[key] = value;
        }
        using var host = WorkerHost.Build(hostSettings);
        await host.StartAsync(cancellationToken);
        var store = host.Services.GetRequiredService<PurchaseStore>();
        var queue = host.Services.GetRequiredService<PurchaseQueue>();
        var tracker = new PurchaseTracker();
        store.EventAppended += tracker.OnEvent;
        try
        {
            async Task<(string Id, long HandedOver)> PurchaseAsync()
            {
                var handedOver = Stopwatch.GetTimestamp();
                var purchase = await queue.EnqueueAsync(request, cancellationToken);
                await tracker.EndOf(purchase.Id).WaitAsync(settings.PurchaseTimeout, cancellationToken);
                return (purchase.Id, handedOver);
            }

            // Warm-up: one purchase per slot starts Chromium and the code paths; none of it is counted.
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => PurchaseAsync()));

            // Closed loop: each of `concurrency` lanes hands over its next purchase as soon as its last one ended. With a
            // baseline to interleave, in three blocks with a block of baseline checkouts before each; only the worker's
            // blocks are timed, sampled and counted here.
            var measured = new ConcurrentBag<(string Id, long HandedOver)>();
            using var calls = new RecipeCallCounter();
            var blocks = interleave is null ? [settings.Purchases] : Split(settings.Purchases, 3);
            var busy = TimeSpan.Zero;
            var cpu = new Dictionary<string, double>(StringComparer.Ordinal);
            long peakPssBytes = 0, peakRssBytes = 0;
            IReadOnlyDictionary<string, long> peakByProcess = new Dictionary<string, long>();
            foreach (var block in blocks)
            {
                if (interleave is not null)
                {
                    await interleave.RunBlockAsync(block, cancellationToken);
                }
                var next = 0;
                var cpuBefore = ProcessTree.TreeCpuSeconds();
                var wall = Stopwatch.StartNew();
                var sampler = MemorySampler.Start(MemorySampler.Interval);
                calls.Listening = true;
                try
                {
                    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
                    {
                        while (Interlocked.Increment(ref next) <= block)
                        {
                            measured.Add(await PurchaseAsync());
                            Progress(progress, runName, measured.Count, settings.Purchases);
                        }
                    }));
                    wall.Stop();
                }
                finally
                {
                    calls.Listening = false;
                    await sampler.DisposeAsync();
                }
                busy += wall.Elapsed;
                foreach (var (name, seconds) in ProcessTree.CpuSpent(cpuBefore, ProcessTree.TreeCpuSeconds()))
                {
                    cpu[name] = cpu.GetValueOrDefault(name) + seconds;
                }
                if (sampler.PeakPss > peakPssBytes)
                {
                    (peakPssBytes, peakByProcess) = (sampler.PeakPss, sampler.PeakPssByProcess);
                }
                peakRssBytes = Math.Max(peakRssBytes, sampler.PeakRss);
            }
            var cpuSeconds = cpu.Values.Sum();
            var (peakPss, peakRss) = (peakPssBytes / 1048576.0, peakRssBytes / 1048576.0);

            var latencies = new List<double>();
            var phases = new List<IReadOnlyDictionary<string, double>>();
            var succeeded = 0;
            foreach (var (id, handedOver) in measured)
            {
                var purchase = await store.GetAsync(id, cancellationToken);
                var events = tracker.EventsOf(id);
                if (purchase?.Outcome is not { Status: PurchaseStatus.Succeeded } outcome)
                {
                    progress.WriteLine($"  purchase {id} ended {purchase?.Status}: {purchase?.Outcome?.Code} {purchase?.Outcome?.Message}");
                    continue;
                }
                succeeded++;
                latencies.Add(Stopwatch.GetElapsedTime(handedOver, events.Last(e => PurchaseStatus.IsTerminal(e.Kind)).At).TotalMilliseconds);
                if (PhaseBreakdown.Of(handedOver, events, outcome.Timings) is { } breakdown)
                {
                    phases.Add(breakdown);
                }
            }
            var result = new RunResult
            {
                Concurrency = concurrency,
                Purchases = measured.Count,
                Succeeded = succeeded,
                WallSeconds = Stats.Round(busy.TotalSeconds, 2),
                PurchasesPerMinute = Stats.Round(succeeded / busy.TotalMinutes),
                P50Ms = Stats.Round(Stats.Median(latencies)),
                P95Ms = Stats.Round(Stats.Percentile(latencies, 95)),
                PeakMemoryMb = Stats.Round(peakPss),
                PeakRssMb = Stats.Round(peakRss),
                MemoryPerCheckoutMb = Stats.Round(peakPss / concurrency),
                PeakMemoryByProcessMb = peakByProcess.ToDictionary(p => p.Key, p => Stats.Round(p.Value / 1048576.0), StringComparer.Ordinal),
                CpuMsPerPurchase = Stats.Round(cpuSeconds * 1000 / Math.Max(1, measured.Count), 0),
                CpuCoresBusy = Stats.Round(cpuSeconds / busy.TotalSeconds, 2),
                CpuMsPerPurchaseByProcess = cpu.ToDictionary(c => c.Key, c => Stats.Round(c.Value * 1000 / Math.Max(1, measured.Count), 0), StringComparer.Ordinal),
                Phases = PhaseBreakdown.Names.ToDictionary(n => n, n => Stats.Round(Stats.Median(phases.Select(p => p[n]).ToList())), StringComparer.Ordinal),
                RoundTripsPerStep = calls.Steps == 0 ? null : Stats.Round((double)calls.BrowserCalls / calls.Steps, 2),
            };
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{char.ToUpperInvariant(runName[0])}{runName[1..]}: {result.PurchasesPerMinute:0} purchases/min, p50 {result.P50Ms:0} ms, p95 {result.P95Ms:0} ms, peak {result.PeakMemoryMb:0} MB"));
            return result;
        }
        finally
        {
            store.EventAppended -= tracker.OnEvent;
            await host.StopAsync(CancellationToken.None);
            // The worker deletes each card file; its (tmpfs) card folder is left to us.
            TryDelete(CardVault.Resolve(null, dataDirectory));
        }
    }

    /// <summary><paramref name="total"/> in <paramref name="parts"/> sizes differing by at most one (30 in 3: 10, 10, 10).</summary>
    internal static int[] Split(int total, int parts) =>
        Enumerable.Range(0, parts).Select(i => total / parts + (i < total % parts ? 1 : 0)).Where(n => n > 0).ToArray();

    /// <summary>A progress line every tenth purchase and at the last (<paramref name="total"/> null: not known).</summary>
    internal static void Progress(TextWriter progress, string what, int done, int? total)
    {
        if (done == total || done % 10 == 0)
        {
            progress.WriteLine($"  {what}: {done}{(total is null ? "" : $"/{total}")}");
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A log file still closing: the temp folder is cleaned later.
        }
    }

    /// <summary>Each purchase's timeline as the benchmark saw it committed, and a task that ends with it.</summary>
    private sealed class PurchaseTracker
    {
        private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

        public void OnEvent(PurchaseEvent e)
        {
            var at = Stopwatch.GetTimestamp();
            var entry = _entries.GetOrAdd(e.PurchaseId, _ => new Entry());
            lock (entry.Events)
            {
                entry.Events.Add(new SeenEvent(e.Kind, at));
            }
            if (PurchaseStatus.IsTerminal(e.Kind))
            {
                entry.Ended.TrySetResult();
            }
        }

        public Task EndOf(string purchaseId) => _entries.GetOrAdd(purchaseId, _ => new Entry()).Ended.Task;

        public IReadOnlyList<SeenEvent> EventsOf(string purchaseId)
        {
            var entry = _entries[purchaseId];
            lock (entry.Events)
            {
                return [.. entry.Events];
            }
        }

        private sealed class Entry
        {
            public List<SeenEvent> Events { get; } = [];
            public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
