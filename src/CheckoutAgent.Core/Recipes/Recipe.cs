namespace CheckoutAgent.Core.Recipes;

/// <summary>A merchant's checkout, as loaded and checked from <c>recipes/NAME.yaml</c>.</summary>
public sealed record Recipe(
    string Name,
    string FilePath,
    string MerchantName,
    string MerchantUrl,
    IReadOnlyList<string> CardOrigins,
    IReadOnlyList<RecipeStep> Steps,
    IReadOnlyList<RecipeOutcome> Outcomes);

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

    public override string Describe() => $"fill {Target} with {Value.Source}";
}

/// <summary>Chooses an option of a <c>select</c> element by its value or its visible label.</summary>
public sealed record SelectStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Target, Template Value) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "select";
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
