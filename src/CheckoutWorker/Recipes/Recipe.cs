namespace CheckoutAgent.Worker.Recipes;

/// <summary>A merchant's checkout, as loaded and checked from <c>recipes/NAME.yaml</c>.</summary>
public sealed record Recipe(
    string Name,
    string FilePath,
    string MerchantName,
    string MerchantUrl,
    IReadOnlyList<string> CardOrigins,
    IReadOnlyList<RecipeStep> Steps,
    IReadOnlyList<RecipeOutcome> Outcomes);

/// <summary>How a step finds its element: exactly one strategy (role may carry a name).</summary>
public sealed record LocatorSpec(string? Role = null, string? Name = null, string? Label = null, string? Text = null,
    string? TestId = null, string? Css = null)
{
    /// <summary>A short description for progress lines and errors, e.g. <c>label "Card number"</c>. Holds no values.</summary>
    public override string ToString() =>
        Role is not null ? (Name is null ? $"role {Role}" : $"role {Role} \"{Name}\"")
        : Label is not null ? $"label \"{Label}\""
        : Text is not null ? $"text \"{Text}\""
        : TestId is not null ? $"test id \"{TestId}\""
        : $"css \"{Css}\"";
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

public sealed record WaitForStep(int Number, int Line, TimeSpan? Timeout, LocatorSpec Target) : RecipeStep(Number, Line, Timeout)
{
    public override string Kind => "wait_for";
    public override string Describe() => $"wait for {Target}";
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

/// <summary>After the submit click, the first outcome whose <see cref="When"/> element shows up ends the run.</summary>
public sealed record RecipeOutcome(string Code, int Line, LocatorSpec When, IReadOnlyDictionary<string, LocatorSpec> Extract);

/// <summary>The codes an outcome may end a run with.</summary>
public static class OutcomeCodes
{
    public const string Succeeded = "succeeded";
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Succeeded, "card_declined", "captcha_required", "three_ds_required", "out_of_stock", "login_required", "total_mismatch",
    };
}
