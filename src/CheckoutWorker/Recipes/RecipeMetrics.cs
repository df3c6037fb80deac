using System.Diagnostics.Metrics;

namespace CheckoutAgent.Worker.Recipes;

/// <summary>
/// What the recipe runner asks of the browser before the final click, as .NET metrics (<c>dotnet-counters monitor
/// --counters CheckoutAgent.Recipes</c> shows them live; <c>bench</c> divides one by the other for round trips per step).
/// </summary>
public static class RecipeMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "CheckoutAgent.Recipes";

    /// <summary>Browser calls (each a round trip to Playwright's driver and Chromium) from the new page up to the final click.</summary>
    public const string BrowserCallsName = "checkout.recipe.browser_calls";

    /// <summary>Steps run up to and including the final click (skipped optional steps and ifs count: they asked the browser too).</summary>
    public const string StepsName = "checkout.recipe.steps";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> BrowserCalls = Meter.CreateCounter<long>(BrowserCallsName, "{call}", "Browser round trips before the final click");
    private static readonly Counter<long> Steps = Meter.CreateCounter<long>(StepsName, "{step}", "Recipe steps run before the final click");

    internal static void Record(long browserCalls, long steps)
    {
        BrowserCalls.Add(browserCalls);
        Steps.Add(steps);
    }
}
