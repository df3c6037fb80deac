using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Core.Recipes.Recording;
using CheckoutAgent.Link;
using CheckoutAgent.Worker.Recipes.Recording;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Recipes;

/// <summary>What a failed step's locator found on the page, and the fixes that would work there now.</summary>
/// <param name="Summary">One line: "nothing on the page matches label "Security code"" or "… matches 3 elements".</param>
/// <param name="Steps">The step rewritten with each verified locator, as recipe YAML to paste (<c>- fill: { label: CVC, value: "${card.cvc}" }</c>).</param>
/// <param name="Locators">The same locators alone, for one-line messages (<c>{ label: CVC }</c>).</param>
public sealed record LocatorSuggestion(string Summary, IReadOnlyList<string> Steps, IReadOnlyList<string> Locators);

/// <summary>
/// When a step's locator matches nothing, the closest names on the live page (same role with a similar name, labels
/// with similar text, the same text inside a frame); when it matches several, a locator unique to each of the first
/// few. Every suggestion is checked to match exactly one element before it is shown. Built from labels, accessible names,
/// test ids and text: never from a field's value, so a typed value cannot appear in one.
/// </summary>
public static class LocatorSuggestions
{
    private const int MaxSuggestions = 3;
    private const double MinSimilarity = 0.6;

    /// <summary>Suggestions for <paramref name="step"/>'s locator on <paramref name="page"/>; null when it has none or the page cannot tell.</summary>
    /// <param name="secretOnPage">A card or account value is on the page: the page's free text (a card preview widget
    /// can echo what was typed) is not offered as <c>text</c> locators, only labels, role names and test ids.</param>
    public static async Task<LocatorSuggestion?> ForStepAsync(IPage page, RecipeStep step, LocatorSpec spec, bool secretOnPage)
    {
        if (page.IsClosed)
        {
            return null;
        }
        try
        {
            // A page that stopped answering must not hold up the failure it would explain: a few seconds, then none.
            return await SuggestAsync(page, step, spec, secretOnPage).WaitAsync(Budget);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <value>How long the suggestions of one failure may take.</value>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    private static async Task<LocatorSuggestion?> SuggestAsync(IPage page, RecipeStep step, LocatorSpec spec, bool secretOnPage)
    {
        try
        {
            var count = await RecipeRunner.Locate(page, spec).CountAsync();
            if (count == 1)
            {
                return null; // found, but not usable (hidden, disabled): a locator fix would not help
            }
            var found = count == 0 ? await SimilarAsync(page, spec, wantText: spec.Text is not null && !secretOnPage) : await NarrowerAsync(page, spec, count);
            var summary = count == 0
                ? $"nothing on the page matches {spec}"
                : string.Create(CultureInfo.InvariantCulture, $"{spec} matches {count} elements; a recipe locator must match one");
            if (found.Count == 0)
            {
                summary += count == 0 ? "; nothing similar is on the page either" : "; none of them has a unique name";
            }
            // Page text only; masked anyway, in case a page shows a card number in a label.
            return new LocatorSuggestion(CardNumberMasker.Mask(summary),
                [.. found.Select(f => CardNumberMasker.Mask(FormatStep(step, f)))],
                [.. found.Select(f => CardNumberMasker.Mask(RecipeDraft.Flow(f, [])))]);
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException or JsonException)
        {
            return null; // the page went away: the failure stands without suggestions
        }
    }

    /// <summary>The step as recipe YAML with another locator: <c>- fill: { label: CVC, value: "${card.cvc}" }</c>.</summary>
    public static string FormatStep(RecipeStep step, LocatorSpec locator) => step switch
    {
        FillStep s => $"- fill: {RecipeDraft.Flow(locator, [("value", RecipeDraft.Quote(s.Value.Source)), .. s.Keys ? new[] { ("mode", "keys") } : []])}",
        SelectStep s => $"- select: {RecipeDraft.Flow(locator, [("value", RecipeDraft.Quote(s.Value.Source))])}",
        CheckStep { Checked: false } => $"- check: {RecipeDraft.Flow(locator, [("checked", "false")])}",
        IfStep => $"- if: {{ visible: {RecipeDraft.Flow(locator, [])} }}",
        _ => $"- {step.Kind}: {RecipeDraft.Flow(locator, [])}",
    };

    private static async Task<IReadOnlyList<LocatorSpec>> SimilarAsync(IPage page, LocatorSpec spec, bool wantText)
    {
        var wanted = spec.Name ?? spec.Label ?? spec.Text ?? spec.TestId;
        if (wanted is null)
        {
            return []; // a bare role or CSS: nothing to compare names with
        }
        var scored = new List<(LocatorSpec Spec, double Score)>();
        foreach (var frame in page.Frames)
        {
            IReadOnlyList<FrameSpec> path;
            JsonElement names;
            try
            {
                path = await FrameSpecs.PathToAsync(frame);
                names = await frame.EvaluateAsync<JsonElement>(PageScripts.Candidates, wantText);
            }
            catch (PlaywrightException)
            {
                continue; // a frame that went away or refuses scripts
            }
            foreach (var c in names.EnumerateArray())
            {
                var candidate = new LocatorSpec(Text(c, "role"), Text(c, "name"), Text(c, "label"), Text(c, "text"), Text(c, "testId")) { Frames = path };
                var text = candidate.Name ?? candidate.Label ?? candidate.Text ?? candidate.TestId!;
                var score = Similarity(wanted, text) + Affinity(spec, candidate);
                if (score >= MinSimilarity)
                {
                    scored.Add((candidate, score));
                }
            }
        }
        var verified = new List<LocatorSpec>();
        foreach (var (candidate, _) in scored.OrderByDescending(s => s.Score))
        {
            if (verified.Count == MaxSuggestions)
            {
                break;
            }
            if (!verified.Contains(candidate) && await RecipeRunner.Locate(page, candidate).CountAsync() == 1)
            {
                verified.Add(candidate);
            }
        }
        return verified;
    }

    // Several matches: a locator unique to each of the first few, from the element's own role and name, label or test id.
    private static async Task<IReadOnlyList<LocatorSpec>> NarrowerAsync(IPage page, LocatorSpec spec, int count)
    {
        var verified = new List<LocatorSpec>();
        var all = RecipeRunner.Locate(page, spec);
        for (var i = 0; i < Math.Min(count, 5) && verified.Count < MaxSuggestions; i++)
        {
            var ways = await all.Nth(i).EvaluateAsync<JsonElement>(PageScripts.ElementCandidates, null, new LocatorEvaluateOptions { Timeout = 2000 });
            foreach (var c in ways.EnumerateArray())
            {
                if (Text(c, "css") is not null)
                {
                    continue; // CSS is the author's last resort, not our suggestion
                }
                var candidate = new LocatorSpec(Text(c, "role"), Text(c, "name"), Text(c, "label"), Text(c, "text"), Text(c, "testId"))
                {
                    Frames = spec.Frames,
                    Shadow = spec.Shadow,
                };
                if (!verified.Contains(candidate) && await RecipeRunner.Locate(page, candidate).CountAsync() == 1)
                {
                    verified.Add(candidate);
                    break;
                }
            }
        }
        return verified;
    }

    /// <summary>A small bonus for the same kind of locator (label for label, the same role), so those rank first.</summary>
    private static double Affinity(LocatorSpec wanted, LocatorSpec candidate) =>
        (wanted.Label is not null && candidate.Label is not null) || (wanted.Role is not null && string.Equals(wanted.Role, candidate.Role, StringComparison.OrdinalIgnoreCase))
        || (wanted.TestId is not null && candidate.TestId is not null) || (wanted.Text is not null && candidate.Text is not null)
            ? 0.1
            : 0;

    /// <summary>
    /// 0–1: equal once case, punctuation and spacing are set aside (<c>Card number *</c> ~ <c>Card number</c>) is 1; one
    /// containing the other 0.8; otherwise the better of edit-distance similarity and shared words.
    /// </summary>
    internal static double Similarity(string a, string b)
    {
        var x = Normalize(a);
        var y = Normalize(b);
        if (x.Length == 0 || y.Length == 0)
        {
            return 0;
        }
        if (x == y)
        {
            return 1;
        }
        var contained = x.Contains(y, StringComparison.Ordinal) || y.Contains(x, StringComparison.Ordinal) ? 0.8 : 0;
        var edit = 1 - ((double)Levenshtein(x, y) / Math.Max(x.Length, y.Length));
        var wordsX = x.Split(' ').ToHashSet();
        var wordsY = y.Split(' ').ToHashSet();
        var shared = (double)wordsX.Intersect(wordsY).Count() / wordsX.Union(wordsY).Count();
        return Math.Max(contained, Math.Max(edit, shared));
    }

    private static string Normalize(string text)
    {
        var words = " " + string.Join(' ', new string([.. text.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : ' ')])
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)) + " ";
        foreach (var (word, canonical) in Synonyms)
        {
            words = words.Replace($" {word} ", $" {canonical} ", StringComparison.Ordinal);
        }
        return words.Trim();
    }

    /// <summary>Checkout fields go by several names; each maps to one, so "Security code" is as close to "CVC" as can be.</summary>
    private static readonly (string Word, string Canonical)[] Synonyms =
    [
        ("security code", "cvc"), ("card security code", "cvc"), ("cvv", "cvc"), ("cvv2", "cvc"), ("csc", "cvc"), ("card code", "cvc"),
        ("expiration date", "expiry"), ("expiration", "expiry"), ("exp date", "expiry"), ("valid thru", "expiry"), ("expires", "expiry"),
        ("zip code", "postal code"), ("zip", "postal code"), ("postcode", "postal code"), ("e mail", "email"),
        ("card no", "card number"), ("credit card number", "card number"),
    ];

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
