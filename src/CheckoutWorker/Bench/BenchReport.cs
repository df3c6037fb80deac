using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CheckoutAgent.Worker.Bench;

/// <summary>Everything one <c>checkout-agent bench</c> run measured; written as JSON with snake_case names.</summary>
internal sealed record BenchReport
{
    public required DateTimeOffset GeneratedAt { get; init; }
    public required MachineInfo Machine { get; init; }
    /// <value>Measured purchases per concurrency (warm-up purchases not counted).</value>
    public required int Purchases { get; init; }
    /// <value>Seconds from starting <c>checkout-agent demo</c> as a new process to its purchase confirmed; null when not measured.</value>
    public double? FirstPurchaseSeconds { get; init; }
    public required BaselineResult Baseline { get; init; }
    /// <value>Median of the baseline checkouts.</value>
    public required double BaselineMs { get; init; }
    /// <value>Worker median end to end at concurrency 1 ÷ <see cref="BaselineMs"/>; null without a concurrency-1 run.</value>
    public double? BaselineRatio { get; init; }
    /// <value>Worker CPU per checkout (whole process tree) at concurrency 1 ÷ the baseline's; null without a concurrency-1 run.</value>
    public double? CpuRatio { get; init; }
    /// <value>
    /// The machine's checkout limit, per minute: cores × 60 s ÷ the baseline's CPU seconds per checkout (what the browser
    /// alone needs, so no worker on this machine can go faster); null when the baseline's CPU was not measured.
    /// </value>
    public double? LimitPerMinute { get; init; }
    public required IReadOnlyList<RunResult> Runs { get; init; }
    /// <value>
    /// Concurrency 1 again with the recipe's <c>block: [images, fonts, media]</c> (the demo shop serves real images), to
    /// set beside the concurrency-1 run; null when not measured.
    /// </value>
    public RunResult? Blocking { get; init; }
    public required IReadOnlyList<TargetResult> Targets { get; init; }
    /// <value>HTTP intake figures (<see cref="IntakeBenchmark"/>); null when skipped.</value>
    public JsonNode? Intake { get; init; }

    /// <value>The intake figures as measured; not written (<see cref="Intake"/> is).</value>
    [JsonIgnore]
    public IntakeBenchResult? IntakeResult { get; init; }

    /// <summary>This report with intake figures and their target added.</summary>
    public BenchReport WithIntake(IntakeBenchResult intake)
    {
        var best = intake.Runs.Count == 0 ? (double?)null : intake.Runs.Max(r => r.AcceptedPerSecond);
        return this with
        {
            Intake = JsonSerializer.SerializeToNode(intake),
            IntakeResult = intake,
            Targets = [.. Targets, new TargetResult("intake_per_second", "purchases accepted by the HTTP API per second (best of 1, 8, 32 clients) >= 500",
                best, best is null ? null : best >= 500)],
        };
    }

    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // A run where nothing succeeded has no median: "NaN" rather than no file.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Where the figures were taken: on a busy machine they are noisy, so the load is kept with them.</summary>
/// <param name="Chromium">The version the browser reports.</param>
/// <param name="ChromiumBinary">The binary launched, with its kind: "/usr/bin/chromium-headless-shell (headless shell)".</param>
internal sealed record MachineInfo(string Os, string Runtime, int Cores, string? Cpu, string? Chromium, string? ChromiumBinary, string? LoadAverageBefore, string? LoadAverageAfter)
{
    public static string? LoadAverage() => ReadFirstLine("/proc/loadavg") is { } line ? string.Join(' ', line.Split(' ').Take(3)) : null;

    public static string? CpuModel()
    {
        try
        {
            return File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? ReadFirstLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>The hand-written Playwright checkouts, one at a time.</summary>
/// <param name="CpuMsPerPurchase">CPU time of this process and its descendants per checkout (the baseline's card issuing included).</param>
internal sealed record BaselineResult(int Checkouts, double P50Ms, double P95Ms, IReadOnlyDictionary<string, double> Phases,
    double CpuMsPerPurchase, IReadOnlyDictionary<string, double> CpuMsPerPurchaseByProcess);

/// <summary>The worker at one concurrency: <see cref="Concurrency"/> purchases kept in flight until all were done.</summary>
internal sealed record RunResult
{
    public required int Concurrency { get; init; }
    public required int Purchases { get; init; }
    public required int Succeeded { get; init; }
    public required double WallSeconds { get; init; }
    public required double PurchasesPerMinute { get; init; }
    /// <value>Median end to end: from handing the purchase to the worker to its outcome recorded.</value>
    public required double P50Ms { get; init; }
    public required double P95Ms { get; init; }
    /// <value>Peak of the summed PSS of this process (worker, demo shop, Link sandbox) and its Playwright driver and Chromium processes.</value>
    public required double PeakMemoryMb { get; init; }
    /// <value>Peak of the summed RSS of the same processes (counts shared pages once per process: an overestimate).</value>
    public required double PeakRssMb { get; init; }
    /// <value><see cref="PeakMemoryMb"/> split by process name at that peak: <c>self</c>, <c>node</c> (Playwright's driver), <c>chromium</c> (all its processes).</value>
    public required IReadOnlyDictionary<string, double> PeakMemoryByProcessMb { get; init; }
    /// <value><see cref="PeakMemoryMb"/> ÷ <see cref="Concurrency"/>.</value>
    public required double MemoryPerCheckoutMb { get; init; }
    /// <value>CPU time of the whole process tree (worker, shop, driver, Chromium) per measured purchase.</value>
    public required double CpuMsPerPurchase { get; init; }
    /// <value>CPU seconds of the process tree per second of the run: 2 means both cores of a 2-core machine were ours.</value>
    public required double CpuCoresBusy { get; init; }
    /// <value><see cref="CpuMsPerPurchase"/> split by process name: <c>self</c> (worker, shop, sandbox), <c>node</c> (Playwright's driver), <c>chromium</c>.</value>
    public required IReadOnlyDictionary<string, double> CpuMsPerPurchaseByProcess { get; init; }
    /// <value>Median milliseconds per phase (see <see cref="PhaseBreakdown"/>).</value>
    public required IReadOnlyDictionary<string, double> Phases { get; init; }
    /// <value>
    /// Browser calls per recipe step up to the final click, over the measured purchases (the runner's
    /// <c>checkout.recipe.browser_calls</c> ÷ <c>checkout.recipe.steps</c>); the baseline makes one per step.
    /// </value>
    public double? RoundTripsPerStep { get; init; }
    /// <value><see cref="PurchasesPerMinute"/> ÷ the report's <c>limit_per_minute</c>: 1 is all the machine can do.</value>
    public double? LimitFraction { get; init; }
}

/// <summary>One of the targets and where it stands.</summary>
internal sealed record TargetResult(string Name, string Goal, double? Value, bool? Met);

/// <summary>Medians and percentiles the way the report states them.</summary>
internal static class Stats
{
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Nearest-rank percentile: the smallest value with at least <paramref name="percent"/>% of values at or below it.</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double percent)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Round(double value, int digits = 1) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

    public static string Format(double? value, string format = "0") =>
        value is { } v && !double.IsNaN(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
