using System.Globalization;
using System.Security;
using System.Text;

namespace CheckoutAgent.Worker.Bench;

/// <summary>
/// The report as a self-contained SVG any browser opens: throughput against concurrency (bars, with perfect scaling
/// from concurrency 1 dashed) beside end-to-end latency against concurrency (p50 and p95, the baseline dashed).
/// </summary>
internal static class BenchChart
{
    private const int PanelWidth = 420;
    private const int PanelHeight = 300;
    private const int Left = 60;
    private const int Top = 84;
    private const int PlotWidth = PanelWidth - 80;
    private const int PlotHeight = PanelHeight - 110;

    public static string Render(BenchReport report)
    {
        var runs = report.Runs.OrderBy(r => r.Concurrency).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{2 * PanelWidth + 40}" height="{PanelHeight + 80}" font-family="sans-serif" font-size="12">""").Append('\n');
        svg.Append("""<rect width="100%" height="100%" fill="#ffffff"/>""").Append('\n');
        var ratio = report.BaselineRatio is { } r ? $", worker/baseline at concurrency 1: {r.ToString("0.00", CultureInfo.InvariantCulture)}" : "";
        Text(svg, 20, 24, $"checkout-agent bench: {report.Purchases} purchases per concurrency, {report.Machine.Cores} cores{ratio}", "start", 15, bold: true);
        Text(svg, 20, 44, $"taken {report.GeneratedAt:yyyy-MM-dd HH:mm} UTC, load average {report.Machine.LoadAverageBefore ?? "?"} before, {report.Machine.LoadAverageAfter ?? "?"} after", "start", 11);

        // Throughput panel.
        var one = runs.FirstOrDefault(x => x.Concurrency == 1);
        var ideal = runs.Select(x => one is null ? 0 : one.PurchasesPerMinute * x.Concurrency).ToList();
        var throughputMax = NiceMax(runs.Select(x => x.PurchasesPerMinute).Concat(ideal).DefaultIfEmpty(1).Max());
        Panel(svg, 20, "Throughput (purchases per minute)", throughputMax, runs, (panel, x, y) =>
        {
            var slot = PlotWidth / (double)Math.Max(1, runs.Count);
            for (var i = 0; i < runs.Count; i++)
            {
                var height = runs[i].PurchasesPerMinute / throughputMax * PlotHeight;
                var barX = x(i) - slot * 0.3;
                panel.Append(CultureInfo.InvariantCulture,
                    $"""<rect x="{barX:0.0}" y="{y(runs[i].PurchasesPerMinute):0.0}" width="{slot * 0.6:0.0}" height="{height:0.0}" fill="#4e79a7"/>""").Append('\n');
                Text(panel, x(i), y(runs[i].PurchasesPerMinute) - 4, runs[i].PurchasesPerMinute.ToString("0", CultureInfo.InvariantCulture), "middle", 11);
            }
            if (one is not null)
            {
                Polyline(panel, runs.Select((_, i) => (x(i), y(ideal[i]))), "#999999", dashed: true);
            }
        });
        Legend(svg, 20 + Left, PanelHeight + 50, [("#4e79a7", "measured", false), ("#999999", "concurrency x throughput at 1", true)]);

        // Latency panel.
        var latencyMax = NiceMax(runs.Select(x => x.P95Ms).Append(report.BaselineMs).DefaultIfEmpty(1).Max());
        Panel(svg, PanelWidth + 20, "End-to-end latency (ms)", latencyMax, runs, (panel, x, y) =>
        {
            Polyline(panel, runs.Select((run, i) => (x(i), y(run.P95Ms))), "#e15759", dashed: false);
            Polyline(panel, runs.Select((run, i) => (x(i), y(run.P50Ms))), "#4e79a7", dashed: false);
            if (runs.Count > 0)
            {
                Polyline(panel, [(x(0) - 20, y(report.BaselineMs)), (x(runs.Count - 1) + 20, y(report.BaselineMs))], "#59a14f", dashed: true);
            }
            for (var i = 0; i < runs.Count; i++)
            {
                panel.Append(CultureInfo.InvariantCulture, $"""<circle cx="{x(i):0.0}" cy="{y(runs[i].P50Ms):0.0}" r="3" fill="#4e79a7"/>""").Append('\n');
                panel.Append(CultureInfo.InvariantCulture, $"""<circle cx="{x(i):0.0}" cy="{y(runs[i].P95Ms):0.0}" r="3" fill="#e15759"/>""").Append('\n');
            }
        });
        Legend(svg, PanelWidth + 20 + Left, PanelHeight + 50,
            [("#4e79a7", "p50", false), ("#e15759", "p95", false), ("#59a14f", "baseline p50 (plain Playwright)", true)]);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, int originX, string title, double max, List<RunResult> runs,
        Action<StringBuilder, Func<int, double>, Func<double, double>> plot)
    {
        var left = originX + Left;
        var bottom = Top + PlotHeight;
        double X(int i) => left + PlotWidth / (double)Math.Max(1, runs.Count) * (i + 0.5);
        double Y(double value) => bottom - (double.IsNaN(value) ? 0 : value) / max * PlotHeight;

        Text(svg, left + PlotWidth / 2.0, Top - 8, title, "middle", 13, bold: true);
        for (var step = 0; step <= 5; step++)
        {
            var value = max * step / 5;
            svg.Append(CultureInfo.InvariantCulture,
                $"""<line x1="{left}" y1="{Y(value):0.0}" x2="{left + PlotWidth}" y2="{Y(value):0.0}" stroke="#e0e0e0"/>""").Append('\n');
            Text(svg, left - 6, Y(value) + 4, value.ToString("0", CultureInfo.InvariantCulture), "end", 11);
        }
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{bottom}" x2="{left + PlotWidth}" y2="{bottom}" stroke="#333333"/>""").Append('\n');
        for (var i = 0; i < runs.Count; i++)
        {
            Text(svg, X(i), bottom + 16, runs[i].Concurrency.ToString(CultureInfo.InvariantCulture), "middle", 11);
        }
        Text(svg, left + PlotWidth / 2.0, bottom + 34, "concurrent checkouts", "middle", 11);
        plot(svg, X, Y);
    }

    private static void Polyline(StringBuilder svg, IEnumerable<(double X, double Y)> points, string color, bool dashed)
    {
        var list = string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:0.0},{p.Y:0.0}")));
        svg.Append(CultureInfo.InvariantCulture,
            $"""<polyline points="{list}" fill="none" stroke="{color}" stroke-width="2"{(dashed ? " stroke-dasharray=\"6 4\"" : "")}/>""").Append('\n');
    }

    private static void Legend(StringBuilder svg, int x, int y, IReadOnlyList<(string Color, string Label, bool Dashed)> entries)
    {
        foreach (var (color, label, dashed) in entries)
        {
            svg.Append(CultureInfo.InvariantCulture,
                $"""<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{color}" stroke-width="3"{(dashed ? " stroke-dasharray=\"4 3\"" : "")}/>""").Append('\n');
            Text(svg, x + 22, y, label, "start", 11);
            x += 40 + label.Length * 6;
        }
    }

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, int size, bool bold = false) =>
        svg.Append(CultureInfo.InvariantCulture,
            $"""<text x="{x:0.0}" y="{y:0.0}" text-anchor="{anchor}" font-size="{size}"{(bold ? " font-weight=\"bold\"" : "")}>{SecurityElement.Escape(text)}</text>""").Append('\n');

    /// <summary>A round number at or above <paramref name="value"/> for the axis top, whose fifths are round too.</summary>
    internal static double NiceMax(double value)
    {
        if (value <= 0 || double.IsNaN(value))
        {
            return 1;
        }
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var factor in new[] { 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            if (factor * magnitude >= value)
            {
                return factor * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
