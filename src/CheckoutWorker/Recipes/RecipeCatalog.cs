using System.Collections.Concurrent;
using CheckoutAgent.Worker.Configuration;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Recipes;

/// <summary>A recipe as listed to agents: enough to choose one, nothing about its steps.</summary>
public sealed record RecipeSummary(
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("merchant_name")] string MerchantName,
    [property: System.Text.Json.Serialization.JsonPropertyName("merchant_url")] string MerchantUrl,
    [property: System.Text.Json.Serialization.JsonPropertyName("steps")] int Steps);

/// <summary>
/// The recipes folder for intake: each recipe loaded and checked once and reloaded when its file changes, so taking
/// a purchase does not parse YAML every time. The checkout itself still loads the file fresh.
/// </summary>
public sealed class RecipeCatalog(IOptions<WorkerOptions> worker)
{
    private static readonly string[] Extensions = [".yaml", ".yml"];
    private readonly ConcurrentDictionary<string, (DateTime Modified, Recipe Recipe)> _cache = new(StringComparer.Ordinal);

    public string Directory => RecipesDirectory.Resolve(worker.Value.RecipesDirectory);

    /// <exception cref="RecipeException">Unknown or broken recipe; the message says which and why.</exception>
    public Recipe Get(string name)
    {
        var directory = Directory;
        var path = Extensions.Select(e => Path.Combine(directory, name + e)).FirstOrDefault(File.Exists);
        if (path is not null && _cache.TryGetValue(name, out var cached) && cached.Recipe.FilePath == path && cached.Modified == File.GetLastWriteTimeUtc(path))
        {
            return cached.Recipe;
        }
        var recipe = RecipeLoader.LoadByName(directory, name);
        _cache[name] = (File.GetLastWriteTimeUtc(recipe.FilePath), recipe);
        return recipe;
    }

    /// <summary>Every recipe that loads, by name; broken ones are left out (<c>recipe lint</c> says why).</summary>
    public IReadOnlyList<RecipeSummary> List()
    {
        var directory = Directory;
        if (!System.IO.Directory.Exists(directory))
        {
            return [];
        }
        var result = new List<RecipeSummary>();
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.y*ml").Order(StringComparer.Ordinal))
        {
            try
            {
                var recipe = Get(Path.GetFileNameWithoutExtension(file));
                result.Add(new RecipeSummary(recipe.Name, recipe.MerchantName, recipe.MerchantUrl, recipe.Steps.Count));
            }
            catch (RecipeException)
            {
                // Listed by recipe lint, not here.
            }
        }
        return result;
    }
}
