using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CheckoutAgent.Core.Recipes.Recording;

/// <summary>A drafted recipe: its YAML, and what the author should look at before using it.</summary>
/// <param name="Notes">One line each: values that became TODO, CSS locators, a missing confirmation or total. No values.</param>
public sealed record RecipeDraftResult(string Yaml, IReadOnlyList<string> Notes, int StepCount);

/// <summary>
/// Turns a <see cref="RecordedWalk"/> into recipe YAML: locators as a person reads them (role and name, label, test id;
/// CSS last and marked), <c>navigate: ${job.product_url}</c> first, the last click before the confirmation as
/// <c>submit</c> with a suggested <c>assert_total</c> before it, clicks in pop-up dialogs as <c>dismiss</c>,
/// <c>card_origins</c> from the frames the card was typed in, and <c>outcomes.succeeded</c> from the confirmation page.
/// Pure: no browser, no I/O.
/// </summary>
public static partial class RecipeDraft
{
    /// <summary>Builds the draft. Throws <see cref="ArgumentException"/> when there is no click to make the final one.</summary>
    public static RecipeDraftResult Build(RecordedWalk recording)
    {
        var merchant = new Uri(recording.StartUrl).GetLeftPart(UriPartial.Authority);
        var notes = new List<string>();
        var steps = new List<string>();
        var dismiss = new List<LocatorSpec>();

        var actions = Coalesce(recording.Actions.OrderBy(a => a.At));
        var submitIndex = actions.FindLastIndex(a => a.Kind == RecordedKind.Click && !IsDismiss(a));
        if (submitIndex < 0)
        {
            throw new ArgumentException("nothing to record: no click was seen, so there is no final button for submit. Walk the checkout up to its pay button and click it.");
        }
        if (recording.Confirmation is null)
        {
            notes.Add("no confirmation page was seen: the last click became submit and outcomes.succeeded is a TODO; check both");
        }
        // Clicks after the final one (on the confirmation page) are not part of the checkout.
        actions = actions.Take(submitIndex + 1).ToList();

        var cardOrigins = new List<string>();
        var accountOrigins = new List<string>();
        var framedFieldSeen = false;
        steps.Add("  - navigate: \"${job.product_url}\"");
        foreach (var action in actions)
        {
            var number = steps.Count + 1;
            if (action.Kind == RecordedKind.Click && IsDismiss(action))
            {
                var popUp = Choose(action, out _);
                if (!dismiss.Contains(popUp))
                {
                    dismiss.Add(popUp);
                }
                continue;
            }
            var target = Choose(action, out var comment);
            if (comment is not null)
            {
                notes.Add($"step {number}: {comment}");
            }
            if (action.Frames.Count > 0 && !framedFieldSeen && action.Kind != RecordedKind.Click)
            {
                // Frames load late; the hand-written recipes wait for them the same way.
                framedFieldSeen = true;
                steps.Add("  - wait_for: { network_idle: true }");
                number++;
            }
            var isSubmit = ReferenceEquals(action, actions[^1]);
            string line;
            switch (action.Kind)
            {
                case RecordedKind.Click when isSubmit:
                    if (action.Total is { } total)
                    {
                        steps.Add($"  - assert_total: {Flow(total, [])}  # suggested: the total shown before paying; check it is the amount the person approves");
                        number++;
                    }
                    else
                    {
                        notes.Add($"step {number}: no total was found on the page before the final click; add an assert_total step pointing at it");
                    }
                    line = $"  - submit: {Flow(target, [])}";
                    break;
                case RecordedKind.Click:
                    line = $"  - click: {Flow(target, [])}";
                    break;
                case RecordedKind.Check:
                    line = $"  - check: {Flow(target, action.Checked ? [] : [("checked", "false")])}";
                    break;
                case RecordedKind.Fill or RecordedKind.Select:
                    var kind = action.Kind == RecordedKind.Fill ? "fill" : "select";
                    string value;
                    switch (action.Value)
                    {
                        case TypedValue.Placeholder placeholder:
                            value = Quote("${" + placeholder.Name + "}");
                            if (placeholder.IsCard || placeholder.IsAccount)
                            {
                                var origin = OriginFor(action, merchant, recording.OriginAliases);
                                var list = placeholder.IsCard ? cardOrigins : accountOrigins;
                                if (!list.Contains(origin))
                                {
                                    list.Add(origin);
                                }
                            }
                            break;
                        case TypedValue.Unplaced unplaced:
                            value = "TODO";
                            comment = $"TODO: a typed value of {unplaced.Length} character(s) that matches no placeholder; put a placeholder or the literal text here";
                            notes.Add($"step {number}: {comment}");
                            break;
                        default:
                            continue;
                    }
                    line = $"  - {kind}: {Flow(target, [("value", value)])}";
                    break;
                default:
                    continue;
            }
            steps.Add(comment is null ? line : $"{line}  # {comment}");
        }

        var yaml = new StringBuilder();
        yaml.AppendLine("# yaml-language-server: $schema=recipe.schema.json");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"# Recorded by `checkout-agent recipe record` from {Redact(recording.StartUrl)}. Check the comments on its steps");
        yaml.AppendLine("# (values to fill in, suggested totals), then run `checkout-agent recipe test THIS-FILE --dry-run` (recipes/README.md).");
        yaml.AppendLine("recipe: 1");
        yaml.AppendLine("merchant:");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  name: {Quote(recording.MerchantName)}");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"  url: {Quote(merchant)}");
        yaml.AppendLine("# Card fields may be typed only into documents from these origins (\"merchant\" = the purchase's merchant_url).");
        yaml.AppendLine(CultureInfo.InvariantCulture, $"card_origins: [{string.Join(", ", (cardOrigins.Count == 0 ? ["merchant"] : cardOrigins).Select(Quote))}]");
        if (accountOrigins.Count > 0)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"account_origins: [{string.Join(", ", accountOrigins.Select(Quote))}]");
        }
        if (dismiss.Count > 0)
        {
            yaml.AppendLine("# Pop-ups clicked away during the walk: clicked whenever they show, during any step.");
            yaml.AppendLine("dismiss:");
            foreach (var popUp in dismiss)
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"  - {Flow(popUp, [])}");
            }
        }
        yaml.AppendLine("steps:");
        foreach (var step in steps)
        {
            yaml.AppendLine(step);
        }
        yaml.AppendLine("outcomes:");
        yaml.AppendLine("  succeeded:");
        if (recording.Confirmation is { } confirmation)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    when: {Flow(confirmation.OrderNumber, [])}");
            yaml.AppendLine("    extract:");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"      order_number: {Flow(confirmation.OrderNumber, [])}");
            if (confirmation.ChargedTotal is { } charged)
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"      charged_total: {Flow(charged, [])}");
            }
        }
        else
        {
            yaml.AppendLine("    when: { text: TODO }  # TODO: the element of the confirmation page that shows the order number");
        }
        return new RecipeDraftResult(yaml.ToString(), notes, steps.Count);
    }

    /// <summary>The locator the draft would write for <paramref name="action"/>, for progress lines and logs. Holds no value.</summary>
    public static string Describe(RecordedAction action) =>
        action.Candidates.Count == 0 ? "(no locator)" : Choose(action, out _).ToString();

    /// <summary>
    /// The locator to write: the first candidate that matched exactly one element; else a CSS one; else the first, with
    /// a comment saying how many it matched. Candidates come most readable first.
    /// </summary>
    internal static LocatorSpec Choose(RecordedAction action, out string? comment)
    {
        comment = null;
        if (action.Candidates.Count == 0)
        {
            throw new ArgumentException("a recorded action has no locator candidates", nameof(action));
        }
        var chosen = action.Candidates.FirstOrDefault(c => c.Matches == 1);
        if (chosen is null)
        {
            chosen = action.Candidates[0];
            comment = $"this locator matched {chosen.Matches} elements when recorded; make it unique";
        }
        else if (chosen.Spec.Css is not null)
        {
            comment = "CSS locator (nothing more readable was unique): it breaks when the page's markup changes";
        }
        return chosen.Spec with { Frames = action.Frames, Shadow = action.Shadow };
    }

    /// <summary>A click in a dialog on a button whose name says "accept", "close", "no thanks"…: a pop-up to dismiss.</summary>
    internal static bool IsDismiss(RecordedAction action) =>
        action.Kind == RecordedKind.Click && action.InDialog
        && action.Candidates.Any(c => c.Spec.Name is { } name && DismissWords().IsMatch(name));

    /// <summary>Consecutive input events on one field are one fill: the last value wins.</summary>
    private static List<RecordedAction> Coalesce(IEnumerable<RecordedAction> actions)
    {
        var result = new List<RecordedAction>();
        foreach (var action in actions)
        {
            if (result.Count > 0 && action.Kind is RecordedKind.Fill or RecordedKind.Select or RecordedKind.Check
                && result[^1].Kind == action.Kind && SameElement(result[^1], action))
            {
                result[^1] = action;
                continue;
            }
            if (action.Kind is RecordedKind.Fill or RecordedKind.Select && action.Value is null)
            {
                continue; // a field emptied and left empty
            }
            result.Add(action);
        }
        return result.Where(a => a.Kind is not (RecordedKind.Fill or RecordedKind.Select) || a.Value is not null).ToList();
    }

    private static bool SameElement(RecordedAction a, RecordedAction b) =>
        a.Candidates.Count > 0 && b.Candidates.Count > 0 && a.Candidates[^1].Spec == b.Candidates[^1].Spec
        && a.Frames.SequenceEqual(b.Frames) && a.Shadow == b.Shadow;

    private static string OriginFor(RecordedAction action, string merchant, IReadOnlyDictionary<string, string>? aliases)
    {
        var origin = action.FrameOrigin ?? merchant;
        if (string.Equals(origin, merchant, StringComparison.OrdinalIgnoreCase))
        {
            return "merchant";
        }
        return aliases is not null && aliases.TryGetValue(origin, out var alias) ? alias : origin;
    }

    /// <summary><c>{ frame: { title: … }, label: Card number, value: "${card.number}" }</c>.</summary>
    public static string Flow(LocatorSpec spec, IReadOnlyList<(string Key, string Value)> extra)
    {
        var parts = new List<string>();
        if (spec.Frames.Count == 1)
        {
            parts.Add($"frame: {Frame(spec.Frames[0])}");
        }
        else if (spec.Frames.Count > 1)
        {
            parts.Add($"frame: [{string.Join(", ", spec.Frames.Select(Frame))}]");
        }
        if (spec.Shadow is not null)
        {
            parts.Add($"shadow: {Quote(spec.Shadow)}");
        }
        if (spec.Role is not null)
        {
            parts.Add($"role: {Quote(spec.Role)}");
            if (spec.Name is not null)
            {
                parts.Add($"name: {Quote(spec.Name)}");
            }
        }
        else if (spec.Label is not null)
        {
            parts.Add($"label: {Quote(spec.Label)}");
        }
        else if (spec.TestId is not null)
        {
            parts.Add($"test_id: {Quote(spec.TestId)}");
        }
        else if (spec.Text is not null)
        {
            parts.Add($"text: {Quote(spec.Text)}");
        }
        else
        {
            parts.Add($"css: {Quote(spec.Css!)}");
        }
        parts.AddRange(extra.Select(e => $"{e.Key}: {e.Value}"));
        return "{ " + string.Join(", ", parts) + " }";
    }

    private static string Frame(FrameSpec frame) =>
        frame.Title is not null ? $"{{ title: {Quote(frame.Title)} }}"
        : frame.Name is not null ? $"{{ name: {Quote(frame.Name)} }}"
        : frame.Src is not null ? $"{{ src: {Quote(frame.Src)} }}"
        : $"{{ css: {Quote(frame.Css!)} }}";

    /// <summary>Plain when YAML reads it back as the same string, else double-quoted with JSON escapes (valid YAML).</summary>
    public static string Quote(string text) =>
        PlainScalar().IsMatch(text) && !ReservedWords().IsMatch(text)
            ? text
            : System.Text.Json.JsonSerializer.Serialize(text, QuoteOptions);

    private static readonly System.Text.Json.JsonSerializerOptions QuoteOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The start address without its query or fragment (they can carry session tokens).</summary>
    private static string Redact(string url) => new Uri(url).GetLeftPart(UriPartial.Path);

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9 _./()-]*[A-Za-z0-9._)]$|^[A-Za-z]$")]
    private static partial Regex PlainScalar();

    [GeneratedRegex(@"^(?i:y|n|yes|no|true|false|on|off|null)$")]
    private static partial Regex ReservedWords();

    [GeneratedRegex(@"(?i)\b(accept|agree|allow|reject|decline|deny|close|dismiss|no,? thanks|not now|maybe later|got it|ok|okay|continue without)\b|^×$")]
    private static partial Regex DismissWords();
}
