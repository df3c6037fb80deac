namespace CheckoutAgent.Core.Recipes;

/// <summary>Finds the recipes folder when none is configured.</summary>
public static class RecipesDirectory
{
    /// <summary>The configured folder; else <c>recipes/</c> in the current directory or a parent (a checkout); else beside the executable.</summary>
    public static string Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "recipes");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*.yaml").Any())
            {
                return candidate;
            }
        }
        return Path.Combine(AppContext.BaseDirectory, "recipes");
    }
}
