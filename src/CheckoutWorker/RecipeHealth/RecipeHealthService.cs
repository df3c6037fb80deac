using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.RecipeHealth;

/// <summary>Recipes with their latest health, for the API and the console.</summary>
public sealed class RecipeHealthService(RecipeCatalog catalog, RecipeHealthStore store, IOptions<RecipeHealthOptions> options,
    IOptions<CheckoutAgent.Worker.Configuration.WorkerOptions> worker)
{
    /// <summary>Statuses of <see cref="RecipeHealthView.Status"/>.</summary>
    public static class Statuses
    {
        public const string Healthy = "healthy";
        public const string Broken = "broken";
        public const string Unchecked = "unchecked";
    }

    /// <summary>Every recipe in the folder with its latest check, and checked recipes no longer in the folder.</summary>
    public async Task<RecipeHealthList> ListAsync(CancellationToken cancellationToken)
    {
        var latest = await store.LatestAsync(cancellationToken);
        var views = new List<RecipeHealthView>();
        foreach (var recipe in catalog.List())
        {
            latest.TryGetValue(recipe.Name, out var check);
            views.Add(View(recipe.Name, recipe.MerchantName, check));
        }
        // A recipe whose file no longer loads still shows, with the check that said so.
        foreach (var (name, check) in latest)
        {
            if (views.All(v => v.Name != name))
            {
                views.Add(View(name, "-", check));
            }
        }
        views.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new RecipeHealthList(options.Value.Scheduled ? options.Value.Cron : null, views);
    }

    /// <summary>The recipes whose latest check failed.</summary>
    public async Task<IReadOnlyList<RecipeHealthView>> BrokenAsync(CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken)).Data.Where(v => v.Status == Statuses.Broken).ToList();

    /// <summary>The screenshot of a check, when it has one on disk.</summary>
    public async Task<string?> ScreenshotAsync(string recipe, string checkId, CancellationToken cancellationToken)
    {
        var history = await store.HistoryAsync(recipe, RecipeHealthStore.KeepPerRecipe, cancellationToken);
        // Served only from this worker's screenshots folder, as purchase receipts are: the stored path is ours, but a
        // row pointing elsewhere is never followed.
        var folder = Path.Combine(worker.Value.DataDirectoryFullPath, "screenshots") + Path.DirectorySeparatorChar;
        return history.FirstOrDefault(c => c.Id == checkId)?.ScreenshotPath is { } path
            && Path.GetFullPath(path).StartsWith(folder, StringComparison.Ordinal)
            && path.EndsWith(".png", StringComparison.Ordinal) && File.Exists(path) ? path : null;
    }

    private static RecipeHealthView View(string name, string merchant, RecipeCheckRecord? check) =>
        new(name, merchant, check is null ? Statuses.Unchecked : check.Passed ? Statuses.Healthy : Statuses.Broken,
            check is null ? null : RecipeCheckView.From(check));
}
