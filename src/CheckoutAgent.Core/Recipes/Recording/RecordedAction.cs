namespace CheckoutAgent.Core.Recipes.Recording;

/// <summary>What a person did to an element while <c>recipe record</c> watched.</summary>
public enum RecordedKind
{
    Click,
    Fill,
    Select,
    Check,
}

/// <summary>One way to find the element, computed in the page, with how many elements it matched there.</summary>
/// <param name="Spec">The locator, without frames or shadow scope (those are on the action).</param>
/// <param name="Matches">How many elements of the same document (or shadow root) it matched when the action happened.</param>
public sealed record LocatorCandidate(LocatorSpec Spec, int Matches);

/// <summary>
/// What a field says about itself: its label, <c>name</c>, <c>id</c>, <c>autocomplete</c>, input type and placeholder
/// attribute, and whether its form also holds a password field. Never its value.
/// </summary>
public sealed record FieldHints(string? Label = null, string? Name = null, string? Id = null, string? Autocomplete = null,
    string? InputType = null, string? Placeholder = null, bool FormHasPassword = false)
{
    /// <value>Every hint in lower case, space-separated: what keyword checks look at.</value>
    public string Text => string.Join(' ', new[] { Label, Name, Id, Autocomplete, Placeholder }.Where(s => !string.IsNullOrEmpty(s)))
        .ToLowerInvariant();
}

/// <summary>
/// A typed value after classification: either the placeholder it stands for, or only its length. The value itself is
/// never held past <see cref="TypedValueClassifier.Classify"/>.
/// </summary>
public abstract record TypedValue
{
    private TypedValue() { }

    /// <summary>The value is the test identity's <paramref name="Name"/> (e.g. <c>card.number</c>).</summary>
    public sealed record Placeholder(string Name) : TypedValue
    {
        /// <value>True for <c>card.*</c> placeholders.</value>
        public bool IsCard => Name.StartsWith("card.", StringComparison.Ordinal);

        /// <value>True for <c>account.*</c> placeholders.</value>
        public bool IsAccount => Name.StartsWith("account.", StringComparison.Ordinal);
    }

    /// <summary>A value that matched nothing: only its length is kept, for the <c>TODO</c> the author resolves.</summary>
    public sealed record Unplaced(int Length) : TypedValue;
}

/// <summary>One recorded action, ready for the converter: no typed value in it, only its classification.</summary>
/// <param name="At">Milliseconds since the epoch, from the page's clock: orders actions across frames.</param>
/// <param name="Candidates">Ways to find the element, most readable first (see <see cref="RecipeDraft"/>).</param>
public sealed record RecordedAction(RecordedKind Kind, double At, IReadOnlyList<LocatorCandidate> Candidates)
{
    /// <value>Iframes from the page down to the element's document, outermost first; empty: the page itself.</value>
    public IReadOnlyList<FrameSpec> Frames { get; init; } = [];

    /// <value>The origin of the element's document (<c>http://127.0.0.1:8080</c>).</value>
    public string? FrameOrigin { get; init; }

    /// <value>CSS of the open shadow host the element lives in; null: not in a shadow root.</value>
    public string? Shadow { get; init; }

    /// <value>Fill and select: what was typed or chosen, classified.</value>
    public TypedValue? Value { get; init; }

    /// <value>Check: the box's state after the click.</value>
    public bool Checked { get; init; }

    /// <value>Click: the element sits in a dialog (a cookie wall, a newsletter modal).</value>
    public bool InDialog { get; init; }

    /// <value>Click: the element that showed an amount most like the order total when the click happened, if any.</value>
    public LocatorSpec? Total { get; init; }
}

/// <summary>The confirmation page as the recorder found it: the element showing an order-number-like text.</summary>
public sealed record RecordedConfirmation(LocatorSpec OrderNumber, LocatorSpec? ChargedTotal);

/// <summary>A whole walk through a checkout.</summary>
/// <param name="StartUrl">The page the recording opened (the product page): it becomes <c>navigate: ${job.product_url}</c>.</param>
/// <param name="MerchantName">What the recipe calls the shop (the page title's shop part, else the host).</param>
/// <param name="Confirmation">Null when the walk ended without reaching a confirmation page.</param>
/// <param name="OriginAliases">Recorded origin → the origin the recipe names (the demo's card processor → <c>https://pay.demo.test</c>).</param>
public sealed record RecordedWalk(string StartUrl, string MerchantName, IReadOnlyList<RecordedAction> Actions, RecordedConfirmation? Confirmation,
    IReadOnlyDictionary<string, string>? OriginAliases = null);
