using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Worker.Bench;
using CheckoutAgent.Worker.Browser;

namespace CheckoutAgent.Worker.Cli;

/// <summary>
/// <c>checkout-agent bench</c>: the checkout benchmark. Sibling benchmarks are subcommands: add their
/// <c>Command</c> to the initializer in <see cref="Create"/>.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var purchases = new Option<int>("--purchases")
        {
            Description = "Measured purchases per concurrency, and baseline checkouts (default 30; each run also warms up first).",
            DefaultValueFactory = _ => new BenchSettings().Purchases,
        };
        purchases.InRange(1, 10_000, "--purchases must be from 1 to 10000.");
        var concurrency = new Option<string>("--concurrency")
        {
            Description = "Comma-separated concurrencies to run, each with a fresh worker (default 1,2,4,8; 1 is needed for the baseline ratio).",
            DefaultValueFactory = _ => "1,2,4,8",
        };
        concurrency.Validators.Add(result =>
        {
            if (ParseConcurrency(result.GetValueOrDefault<string>()) is null)
            {
                result.AddError("--concurrency must be a comma-separated list of numbers from 1 to 64, e.g. 1,2,4,8.");
            }
        });
        var output = new Option<string>("--out")
        {
            Description = "Where to write the results as JSON (default bench-results.json).",
            DefaultValueFactory = _ => "bench-results.json",
        };
        var svg = new Option<string?>("--svg") { Description = "Where to write the chart (default: beside --out, with .svg)." };
        var from = new Option<string?>("--from")
        {
            Description = "Measure nothing: read the JSON of an earlier run, print its figures and redraw its chart (to --svg, or beside it).",
        };
        var noFirst = new Option<bool>("--skip-first-purchase")
        {
            Description = "Do not time `checkout-agent demo` in a new process (the first-purchase figure is then absent).",
        };
        var noBlocking = new Option<bool>("--skip-blocking")
        {
            Description = "Do not run concurrency 1 again with the recipe's block: [images, fonts, media] (the blocking figures are then absent).",
        };

        var intakeRequests = new Option<int>("--intake-requests")
        {
            Description = "After the checkouts, also measure HTTP intake (as 'bench intake' does) with this many purchases per client count; 0 skips it (default 2000).",
            DefaultValueFactory = _ => 2000,
        };
        intakeRequests.InRange(0, 1_000_000, "--intake-requests must be from 0 (skip) to 1000000.");

        var command = new Command("bench",
            "Measure checkouts: purchases against the local demo shop with the Link sandbox approving at once, through the " +
            "worker at each concurrency, beside a hand-written Playwright baseline doing the same clicks in the same Chromium. " +
            "Prints purchases per minute, p50/p95 end to end, the median of each phase, the worker/baseline ratio and peak " +
            "memory; writes JSON and an SVG chart. Progress goes to stderr. Takes a few minutes with the defaults.")
        {
            purchases, concurrency, output, svg, noFirst, noBlocking, from, intakeRequests,
            BenchIntakeCommand.Create(),
            BenchLoadCommand.Create(),
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(from) is { } earlier)
            {
                var report = JsonSerializer.Deserialize<BenchReport>(await File.ReadAllTextAsync(earlier, cancellationToken), BenchReport.Json)!;
                var chart = Path.GetFullPath(parse.GetValue(svg) ?? Path.ChangeExtension(earlier, ".svg"));
                await File.WriteAllTextAsync(chart, BenchChart.Render(report), cancellationToken);
                Print(report, Console.Out);
                return 0;
            }
            var jsonPath = Path.GetFullPath(parse.GetValue(output)!);
            var svgPath = Path.GetFullPath(parse.GetValue(svg) ?? Path.ChangeExtension(jsonPath, ".svg"));
            var settings = new BenchSettings
            {
                Purchases = parse.GetValue(purchases),
                Concurrency = ParseConcurrency(parse.GetValue(concurrency))!,
                MeasureFirstPurchase = !parse.GetValue(noFirst),
                MeasureBlocking = !parse.GetValue(noBlocking),
                IntakeRequests = parse.GetValue(intakeRequests),
            };
            return await ExecuteAsync(settings, jsonPath, svgPath, Console.Out, Console.Error, cancellationToken);
        });
        return command;
    }

    internal static async Task<int> ExecuteAsync(BenchSettings settings, string jsonPath, string svgPath, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        BenchReport report;
        try
        {
            report = await CheckoutBench.RunAsync(settings, stderr, cancellationToken);
            if (settings.IntakeRequests > 0)
            {
                var intake = await IntakeBenchmark.RunAsync(new IntakeBenchSettings { Requests = settings.IntakeRequests }, stderr, cancellationToken);
                report = report.WithIntake(intake);
            }
        }
        catch (Exception ex) when (ex is BrowserNotFoundException or TimeoutException)
        {
            await stderr.WriteLineAsync($"checkout-agent bench: {ex.Message}");
            return 2;
        }
        catch (InvalidOperationException ex)
        {
            // A checkout of the run failed (the baseline's says where, never with Playwright's text): no figures to write.
            await stderr.WriteLineAsync($"checkout-agent bench: {ex.Message}");
            return 1;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(jsonPath)!);
        await File.WriteAllTextAsync(jsonPath, report.ToJson(), cancellationToken);
        Directory.CreateDirectory(Path.GetDirectoryName(svgPath)!);
        await File.WriteAllTextAsync(svgPath, BenchChart.Render(report), cancellationToken);
        Print(report, stdout);
        await stdout.WriteLineAsync($"Wrote {jsonPath} and {svgPath}");
        return report.Runs.All(r => r.Succeeded == r.Purchases) ? 0 : 1;
    }

    /// <summary>"1,2,4,8" as numbers, or null when any part is not a number from 1 to 64.</summary>
    internal static IReadOnlyList<int>? ParseConcurrency(string? text) => ParseLevels(text, 64);

    /// <summary>A comma-separated list of levels, or null when any part is not a whole number from 1 to <paramref name="max"/>.</summary>
    internal static IReadOnlyList<int>? ParseLevels(string? text, int max)
    {
        var values = new List<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1 || value > max)
            {
                return null;
            }
            values.Add(value);
        }
        return values.Count == 0 ? null : values.Distinct().ToList();
    }

    /// <summary>"chromium 1769 ms, self 211 ms, ...": a figure by process name, largest first.</summary>
    private static string ByProcess(IReadOnlyDictionary<string, double> byProcess, string unit) =>
        string.Join(", ", byProcess.Where(p => p.Value >= 1).OrderByDescending(p => p.Value)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:0} {unit}")));

    /// <summary>The figures as a person reads them.</summary>
    internal static void Print(BenchReport report, TextWriter output)
    {
        var f = CultureInfo.InvariantCulture;
        output.WriteLine($"checkout-agent bench: {report.Purchases} purchases per concurrency at the demo shop (single-page), Link sandbox approving at once");
        output.WriteLine($"machine: {report.Machine.Cores} cores, {report.Machine.Cpu ?? "unknown CPU"}, Chromium {report.Machine.Chromium} {report.Machine.ChromiumBinary ?? "(binary not recorded)"}, load {report.Machine.LoadAverageBefore} -> {report.Machine.LoadAverageAfter}");
        output.WriteLine($"first purchase (checkout-agent demo, new process): {(report.FirstPurchaseSeconds is { } s ? s.ToString("0.00", f) + " s" : "not measured")}");
        output.WriteLine(string.Create(f, $"baseline (hand-written Playwright, {report.Baseline.Checkouts} checkouts): p50 {report.Baseline.P50Ms:0} ms, p95 {report.Baseline.P95Ms:0} ms"));
        output.WriteLine($"  CPU per checkout {report.Baseline.CpuMsPerPurchase:0} ms ({ByProcess(report.Baseline.CpuMsPerPurchaseByProcess, "ms")})");
        output.WriteLine($"worker/baseline at concurrency 1: wall {Stats.Format(report.BaselineRatio, "0.00")}, CPU {Stats.Format(report.CpuRatio, "0.00")}");
        output.WriteLine(string.Create(f,
            $"machine limit: {Stats.Format(report.LimitPerMinute, "0.0")} checkouts/min ({report.Machine.Cores} cores x 60 s / the baseline's {report.Baseline.CpuMsPerPurchase / 1000:0.00} CPU-s per checkout)"));
        output.WriteLine();
        output.WriteLine("concurrency  purchases/min  of limit  p50 ms  p95 ms  peak MB (PSS)  MB per checkout  CPU ms/purchase  cores busy  trips/step  succeeded");
        foreach (var run in report.Runs)
        {
            output.WriteLine(string.Create(f,
                $"{run.Concurrency,11}  {run.PurchasesPerMinute,13:0}  {Stats.Format(run.LimitFraction, "0.00"),8}  {run.P50Ms,6:0}  {run.P95Ms,6:0}  {run.PeakMemoryMb,13:0}  {run.MemoryPerCheckoutMb,15:0}  {run.CpuMsPerPurchase,15:0}  {run.CpuCoresBusy,10:0.00}  {Stats.Format(run.RoundTripsPerStep, "0.00"),10}  {run.Succeeded}/{run.Purchases}"));
        }
        foreach (var run in report.Runs)
        {
            output.WriteLine($"  concurrency {run.Concurrency}: CPU per purchase {ByProcess(run.CpuMsPerPurchaseByProcess, "ms")}; peak memory {ByProcess(run.PeakMemoryByProcessMb, "MB")}");
        }
        if (report.Blocking is { } blocked && report.Runs.FirstOrDefault(r => r.Concurrency == 1) is { } one)
        {
            output.WriteLine(string.Create(f,
                $"  with block: [images, fonts, media] at concurrency 1: p50 {blocked.P50Ms:0} ms (without {one.P50Ms:0}), CPU per purchase {blocked.CpuMsPerPurchase:0} ms (without {one.CpuMsPerPurchase:0}): {ByProcess(blocked.CpuMsPerPurchaseByProcess, "ms")}"));
        }
        output.WriteLine();
        output.WriteLine("median per phase, ms:");
        output.Write($"{"phase",-14}");
        foreach (var run in report.Runs)
        {
            output.Write($"{"c=" + run.Concurrency.ToString(f),8}");
        }
        output.WriteLine($"{"baseline",10}");
        foreach (var phase in PhaseBreakdown.Names)
        {
            output.Write($"{phase,-14}");
            foreach (var run in report.Runs)
            {
                output.Write($"{Stats.Format(run.Phases.GetValueOrDefault(phase, double.NaN)),8}");
            }
            output.WriteLine($"{Stats.Format(report.Baseline.Phases.TryGetValue(phase, out var b) ? b : null),10}");
        }
        if (report.IntakeResult is { } intake)
        {
            output.WriteLine();
            output.WriteLine("HTTP intake (purchases accepted into the store, each with its own Idempotency-Key):");
            output.Write(IntakeBenchmark.Format(intake));
        }
        output.WriteLine();
        output.WriteLine("targets:");
        foreach (var target in report.Targets)
        {
            var verdict = target.Met switch { true => "met", false => "NOT met", null => "not measured" };
            output.WriteLine($"  {target.Name,-28} {Stats.Format(target.Value, "0.##"),8}  {verdict,-12} ({target.Goal})");
        }
    }
}
