namespace CheckoutAgent.Core.Recipes;

/// <summary>A merchant's checkout, as loaded and checked from <c>recipes/NAME.yaml</c>.</summary>
/// <param name="Steps">The top-level steps; an <see cref="IfStep"/> holds its own.</param>
public sealed record Recipe(
    string Name,
    string FilePath,
    string MerchantName,
    string MerchantUrl,
    IReadOnlyList<string> CardOrigins,
    IReadOnlyList<RecipeStep> Steps,
    IReadOnlyList<RecipeOutcome> Outcomes)
{
    /// <value>Origins whose documents may receive the merchant account's username, password and code. Default <c>[merchant]</c>.</value>
    public IReadOnlyList<string> AccountOrigins { get; init; } = ["merchant"];

    /// <value>Pop-ups clicked away whenever they show during any step (cookie walls, newsletter modals). Default none.</value>
    public IReadOnlyList<LocatorSpec> Dismiss { get; init; } = [];

    /// <value>Requests not made during the checkout (resource kinds and hosts, <c>block:</c>). Default: none blocked.</value>
    public ResourceBlock Block { get; init; } = ResourceBlock.None;

    /// <value>Every step, nested ones included, in document order (the order of their numbers).</value>
    public IReadOnlyList<RecipeStep> AllSteps => [.. Flatten(Steps)];

    /// <value>How many numbered steps the recipe has, nested ones included.</value>
    public int StepCount => AllSteps.Count;

    /// <value>True when some step types an <c>${account.*}</c> value: a purchase needs the owner's account at the shop.</value>
    public bool UsesAccount => AllSteps.Any(s => s is FillStep { Value.AccountField: not null });

    private static IEnumerable<RecipeStep> Flatten(IEnumerable<RecipeStep> steps)
    {
        foreach (var step in steps)
        {
            yield return step;
            if (step is IfStep branch)
            {
                foreach (var inner in Flatten(branch.Then).Concat(Flatten(branch.Else)))
                {
                    yield return inner;
                }
            }
        }
    }
}

/// <summary>
/// How a step finds its element: exactly one strategy (role may carry a name), optionally scoped to an iframe
/// (nested iframes are a path, outermost first) and then to a shadow host.
/// </summary>
public sealed record LocatorSpec(string? Role = null, string? Name = null, string? Label = null, string? Text = null,
    string? TestId = null, string? Css = null)
{
    /// <value>Iframes to enter, outermost first; empty: the page itself.</value>
    public IReadOnlyList<FrameSpec> Frames { get; init; } = [];

    /// <value>CSS selector of a shadow host to search inside (open shadow roots); null: no shadow scope.</value>
    public string? Shadow { get; init; }

    /// <summary>A short description for progress lines and errors, e.g. <c>label "Card number"</c>. Holds no values.</summary>
    public override string ToString()
    {
        var target = Role is not null ? (Name is null ? $"role {Role}" : $"role {Role} \"{Name}\"")
            : Label is not null ? $"label \"{Label}\""
            : Text is not null ? $"text \"{Text}\""
            : TestId is not null ? $"test id \"{TestId}\""
            : $"css \"{Css}\"";
        var scope = string.Concat(Frames.Select(f => $"{f} > ")) + (Shadow is null ? "" : $"shadow \"{Shadow}\" > ");
        return scope + target;
    }
}

/// <summary>One iframe to enter, found by exactly one of its title, name, a part of its src, or CSS.</summary>
public sealed record FrameSpec(string? Title = null, string? Name = null, string? Src = null, string? Css = null)
{
    /// <summary>The CSS selector of the iframe element.</summary>
    public string Selector =>
        Title is not null ? $"iframe[title=\"{Escape(Title)}\"]"
        : Name is not null ? $"iframe[name=\"{Escape(Name)}\"]"
        : Src is not null ? $"iframe[src*=\"{Escape(Src)}\"]"
        : Css!;

    public override string ToString() =>
        Title is not null ? $"frame title \"{Title}\""
        : Name is not null ? $"frame name \"{Name}\""
        : Src is not null ? $"frame src \"{Src}\""
        : $"frame css \"{Css}\"";

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

/// <summary>One step. <see cref="Number"/> is 1-based, as people count and as failure codes name it.</summary>
public abstract record RecipeStep(int Number, int Line, TimeSpan? Timeout)
{
    public abstract string Kind { get; }

    /// <value>
    /// Skipped when its element does not show within its (short) timeout: a pop-up or notice that comes on some visits
    /// only. Never on a card or account step, never on submit.
    /// </value>
    public bool Optional { get; init; }

    /// <value>True when the step types or selects a card or account value.</value>
    public virtual bool TypesSecret => false;

    /// <summary>A description with no values in it: never the text typed.</summary>
    public abstract string Describe();
}

public sealed record NavigateStep(int Number, int Line, TimeSpan? Timeout, Template Url) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "navigate";
    public override string Describe() => $"navigate {Url.Source}";
}

public sealed record ClickStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Target) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "click";
    public override string Describe() => $"click {Target}";
}

public sealed record FillStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Target, Template Value) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "fill";

    /// <summary>True when the value is a card placeholder: the step types a secret.</summary>
    public bool IsCardField => Value.CardField is not null;

    /// <value>Typed key by key (<c>mode: keys</c>) for fields that only react to key presses, such as masked inputs.</value>
    public bool Keys { get; init; }

    public override bool TypesSecret => Value.IsSecret;

    public override string Describe() => $"fill {Target} with {Value.Source}{(Keys ? " (key by key)" : "")}";
}

/// <summary>Chooses an option of a <c>select</c> element by its value or its visible label.</summary>
public sealed record SelectStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Target, Template Value) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "select";

    /// <summary>True for <c>${card.exp_month}</c> / <c>${card.exp_year}</c>: the option is matched to the card, numerically.</summary>
    public bool IsCardField => Value.CardField is not null;

    public override bool TypesSecret => Value.IsSecret;

    public override string Describe() => $"select {Value.Source} in {Target}";
}

/// <summary>Ticks (or, with <c>checked: false</c>, clears) a checkbox or radio button.</summary>
public sealed record CheckStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Target, bool Checked) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "check";
    public override string Describe() => Checked ? $"check {Target}" : $"uncheck {Target}";
}

/// <summary>Waits for exactly one thing: an element (visible, or hidden), a URL (glob), or the network to go idle.</summary>
public sealed record WaitForStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec? Target, bool Hidden = false, string? Url = null,
    bool NetworkIdle = false) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "wait_for";
    public override string Describe() =>
        Url is not null ? $"wait for url {Url}"
        : NetworkIdle ? "wait for network idle"
        : Hidden ? $"wait for {Target} to disappear"
        : $"wait for {Target}";
}

/// <summary>Reads the page's total and stops before submitting if it differs from the approved amount.</summary>
public sealed record AssertTotalStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Target) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "assert_total";
    public override string Describe() => $"assert total {Target}";
}

/// <summary>
/// Runs <see cref="Then"/> when <see cref="Visible"/> shows (e.g. the sign-in form of a shop that does not know us yet),
/// else <see cref="Else"/>. Decided as soon as the element shows, or as soon as the element the following step needs
/// shows instead, or when the step's timeout passes. Never holds the submit step.
/// </summary>
public sealed record IfStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Visible, IReadOnlyList<RecipeStep> Then,
    IReadOnlyList<RecipeStep> Else) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "if";
    public override string Describe() => $"if {Visible} shows ({Then.Count} step(s), else {Else.Count})";
}

/// <summary>The one irreversible click.</summary>
public sealed record SubmitStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Target) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "submit";
    public override string Describe() => $"submit {Target}";
}

/// <summary>
/// The first outcome whose <see cref="When"/> element shows up ends the run: after the submit click any of them;
/// before it, any but <c>succeeded</c> (a captcha wall or an out-of-stock notice ends the run without a click).
/// </summary>
public sealed record RecipeOutcome(string Code, int Line, LocatorSpec When, IReadOnlyDictionary<string, LocatorSpec> Extract);

/// <summary>The codes an outcome may end a run with.</summary>
public static class OutcomeCodes
{
    public const string Succeeded = "succeeded";

    /// <summary>A dry run reached the submit step and stopped there, as asked: nothing was submitted.</summary>
    public const string ReadyToSubmit = "ready_to_submit";

    /// <summary>A health check reached the first card or account step and stopped there, as asked: nothing secret was typed.</summary>
    public const string ReadyForSecrets = "ready_for_secrets";
    public const string CardDeclined = "card_declined";
    public const string CaptchaRequired = "captcha_required";
    public const string ThreeDsRequired = "three_ds_required";
    public const string OutOfStock = "out_of_stock";
    public const string LoginRequired = "login_required";
    public const string TotalMismatch = "total_mismatch";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Succeeded, CardDeclined, CaptchaRequired, ThreeDsRequired, OutOfStock, LoginRequired, TotalMismatch,
    };
}

/// <summary>
/// A recipe's <c>block:</c> list: resource kinds (Playwright's resource types <c>image</c>, <c>font</c>, <c>media</c>,
/// <c>stylesheet</c>) and host patterns (<c>tracker.example</c> exactly, <c>*.tracker.example</c> with its subdomains).
/// Deciding only; the runner applies it and never blocks the card origins.
/// </summary>
public sealed record ResourceBlock(IReadOnlyList<string> ResourceTypes, IReadOnlyList<string> Hosts)
{
    /// <summary>The recipe words and the resource types they stand for.</summary>
    public static IReadOnlyDictionary<string, string> Kinds { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["images"] = "image", ["fonts"] = "font", ["media"] = "media", ["stylesheets"] = "stylesheet",
    };

    /// <summary>Nothing blocked.</summary>
    public static ResourceBlock None { get; } = new([], []);

    /// <value>True when something is blocked.</value>
    public bool Any => ResourceTypes.Count > 0 || Hosts.Count > 0;

    /// <summary>True when a request of <paramref name="resourceType"/> (Playwright's name) to <paramref name="host"/> is blocked.</summary>
    public bool Blocks(string resourceType, string host) =>
        ResourceTypes.Contains(resourceType, StringComparer.Ordinal) || Hosts.Any(pattern => HostMatches(pattern, host));

    /// <summary><c>shop.example</c> matches itself only; <c>*.shop.example</c> matches it and every subdomain. No case.</summary>
    public static bool HostMatches(string pattern, string host) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.Equals(pattern[2..], StringComparison.OrdinalIgnoreCase) || host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
            : host.Equals(pattern, StringComparison.OrdinalIgnoreCase);
}
