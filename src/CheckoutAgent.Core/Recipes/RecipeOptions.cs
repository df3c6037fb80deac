namespace CheckoutAgent.Core.Recipes;

/// <summary>Worker-wide settings for running recipes.</summary>
public sealed class RecipeOptions
{
    public const string SectionName = "Recipes";

    /// <value>
    /// For local test merchants only: maps a reserved host named in a recipe's <c>card_origins</c> (one ending in
    /// <c>.test</c> or <c>.localhost</c>, which no real site can have) to the origin that really serves it here, e.g.
    /// <c>pay.demo.test</c> → <c>http://127.0.0.1:43122</c> for the demo shop's card processor on a free port.
    /// Real hosts are never aliased. Default: none.
    /// </value>
    public Dictionary<string, string> OriginAliases { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every problem with the aliases, as messages that say how to fix them.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (host, origin) in OriginAliases)
        {
            if (!IsReservedHost(host))
            {
                problems.Add($"Recipes:OriginAliases:{host}: only hosts ending in .test or .localhost can be aliased");
            }
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                problems.Add($"Recipes:OriginAliases:{host}: '{origin}' must be an origin like http://127.0.0.1:43122");
            }
        }
        return problems;
    }

    /// <summary>The origin a recipe's <c>card_origins</c> entry stands for here (itself unless aliased).</summary>
    public string Resolve(string recipeOrigin)
    {
        var uri = new Uri(recipeOrigin);
        return IsReservedHost(uri.Host) && OriginAliases.TryGetValue(uri.Host, out var alias)
            ? new Uri(alias).GetLeftPart(UriPartial.Authority)
            : uri.GetLeftPart(UriPartial.Authority);
    }

    private static bool IsReservedHost(string host) =>
        host.EndsWith(".test", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
}
