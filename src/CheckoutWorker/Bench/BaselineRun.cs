using CheckoutAgent.Link.Cards;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Worker.Bench;

/// <summary>
/// The baseline's checkouts, taken in blocks (see <see cref="CheckoutBench"/>): each block starts its own Playwright and
/// Chromium, warms up with one checkout, times <c>count</c> more one at a time, and closes them again, so the browser
/// is not there while the worker's own blocks are measured.
/// </summary>
internal sealed class BaselineRun(LinkSandbox sandbox, PurchaseRequest request, string chromium, string workDirectory, TextWriter progress)
{
    private readonly List<BaselineTiming> _timings = [];
    private readonly Dictionary<string, double> _cpu = new(StringComparer.Ordinal);

    /// <value>Checkouts timed so far.</value>
    public int Checkouts => _timings.Count;

    /// <value>Chromium's version as the baseline's browser reported it (empty before the first block).</value>
    public string BrowserVersion { get; private set; } = "";

    public async Task RunBlockAsync(int count, CancellationToken cancellationToken)
    {
        var link = new SandboxLinkClient(sandbox);
        var cardDirectory = CardFile.EnsurePrivateDirectory(CardVault.Resolve(null, Path.Combine(workDirectory, "baseline")));
        var productUrl = new Uri(request.Items[0].ProductUrl!);
        const int warmUp = 1;
        try
        {
            await using var baseline = await BaselineCheckout.StartAsync(chromium);
            BrowserVersion = baseline.BrowserVersion;
            Dictionary<string, double>? cpuBefore = null;
            for (var i = 0; i < warmUp + count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // The card comes from the sandbox like the worker's, outside the timed part: the baseline is the browser alone.
                var card = await CheckoutBench.IssueCardAsync(link, request, Path.Combine(cardDirectory, "card.json"), cancellationToken);
                if (i == warmUp)
                {
                    cpuBefore = ProcessTree.TreeCpuSeconds();
                }
                var timing = await baseline.RunAsync(productUrl, card, request.Buyer!, request.Shipping!);
                if (i >= warmUp)
                {
                    _timings.Add(timing);
                    CheckoutBench.Progress(progress, "baseline", _timings.Count, null);
                }
            }
            foreach (var (name, seconds) in ProcessTree.CpuSpent(cpuBefore ?? [], ProcessTree.TreeCpuSeconds()))
            {
                _cpu[name] = _cpu.GetValueOrDefault(name) + seconds;
            }
        }
        finally
        {
            Directory.Delete(cardDirectory, recursive: true);
        }
    }

    public BaselineResult Result()
    {
        double Median(Func<BaselineTiming, double> part) => Stats.Round(Stats.Median(_timings.Select(part).ToList()));
        var totals = _timings.Select(t => t.TotalMs).ToList();
        var count = Math.Max(1, _timings.Count);
        var phases = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["context"] = Median(t => t.ContextMs),
            ["recipe_steps"] = Median(t => t.StepsMs),
            ["submit"] = Median(t => t.SubmitMs),
            ["confirmation"] = Median(t => t.ConfirmationMs),
            // The baseline has nothing to report: closing its context is all that follows the confirmation.
            ["report"] = Median(t => t.CloseMs),
        };
        return new BaselineResult(_timings.Count, Stats.Round(Stats.Median(totals)), Stats.Round(Stats.Percentile(totals, 95)), phases,
            Stats.Round(_cpu.Values.Sum() * 1000 / count, 0),
            _cpu.ToDictionary(c => c.Key, c => Stats.Round(c.Value * 1000 / count, 0), StringComparer.Ordinal));
    }
}
