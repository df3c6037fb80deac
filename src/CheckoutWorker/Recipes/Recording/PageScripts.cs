using System.Reflection;

namespace CheckoutAgent.Worker.Recipes.Recording;

/// <summary>
/// The scripts run in pages by <c>recipe record</c> and by a failed step's locator suggestions, composed from embedded
/// parts: the shared naming helpers (page-locators.js) plus each one's own body.
/// </summary>
internal static class PageScripts
{
    private static readonly Lazy<string> Helpers = new(() => Read("page-locators.js"));

    /// <summary>The init script of a recording: installs the listeners once per document.</summary>
    public static string Recorder { get; } =
        "(() => {\nif (window.__caRecorderInstalled) return;\nwindow.__caRecorderInstalled = true;\n" + Helpers.Value + Read("recipe-recorder.js") + "})();";

    /// <summary>A function of <c>wantText</c>: the names of the document's visible elements (see locator-suggestions.js).</summary>
    public static string Candidates { get; } = "(wantText) => {\n" + Helpers.Value + Read("locator-suggestions.js") + "}";

    /// <summary>A function of an element: ways to find it, each with how many elements it matches in its document.</summary>
    public static string ElementCandidates { get; } = "(el) => {\n" + Helpers.Value +
        "return candidates(el, ['input', 'select', 'textarea'].includes(el.localName));\n}";

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
