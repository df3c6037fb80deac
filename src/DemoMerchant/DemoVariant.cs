namespace CheckoutAgent.DemoMerchant;

/// <summary>
/// The checkout shapes the demo shop can take, one per hard case a recipe has to handle. Each has a shipped recipe in
/// <c>recipes/</c> and a browser test that proves the outcome it must end with.
/// </summary>
public enum DemoVariant
{
    /// <summary>Product → cart → one checkout form with contact, shipping and card fields.</summary>
    SinglePage,
    /// <summary>Cart → shipping (with a country select) → payment → review (with a terms checkbox) → order.</summary>
    MultiStep,
    /// <summary>Card fields in a cross-origin iframe served by a second listener, tokenized there, like Stripe Elements.</summary>
    IframeCard,
    /// <summary>The checkout form lives inside an open shadow root (declarative shadow DOM).</summary>
    ShadowDom,
    /// <summary>After "Pay now" the bank asks for a 3-D Secure challenge instead of authorizing.</summary>
    ThreeDs,
    /// <summary>The checkout page is a captcha wall.</summary>
    Captcha,
    /// <summary>Every payment is declined by the issuer.</summary>
    Decline,
    /// <summary>The product is out of stock: no way to add it to the cart.</summary>
    OutOfStock,
    /// <summary>Multi-step, but the price goes up between the cart and the review step.</summary>
    PriceChange,
    /// <summary>Like <see cref="IframeCard"/>, but the card iframe comes from a third origin no recipe trusts.</summary>
    ForeignIframe,
    /// <summary>
    /// No guest checkout: the checkout asks for the shop account's email and password, then a 6-digit code from an
    /// authenticator app (TOTP), and remembers the sign-in in an HttpOnly session cookie.
    /// </summary>
    Account,
    /// <summary>
    /// A cookie-consent wall over the whole page on about half of the visits, and a newsletter modal that pops up over
    /// the checkout form a moment after it loads; both block clicks until dismissed.
    /// </summary>
    Consent,
    /// <summary>
    /// Card expiry as two selects (month, year), and a masked card number field that only reacts to key presses.
    /// </summary>
    ExpirySelects,
    /// <summary>The order total reads "Calculating…" until a shipping and tax quote arrives a moment after the page loads.</summary>
    LateTotal,
}

/// <summary>Variant names as people type them (<c>single-page</c>, <c>three-ds</c>, ...).</summary>
public static class DemoVariants
{
    private static readonly Dictionary<DemoVariant, string> Names = new()
    {
        [DemoVariant.SinglePage] = "single-page",
        [DemoVariant.MultiStep] = "multi-step",
        [DemoVariant.IframeCard] = "iframe-card",
        [DemoVariant.ShadowDom] = "shadow-dom",
        [DemoVariant.ThreeDs] = "three-ds",
        [DemoVariant.Captcha] = "captcha",
        [DemoVariant.Decline] = "decline",
        [DemoVariant.OutOfStock] = "out-of-stock",
        [DemoVariant.PriceChange] = "price-change",
        [DemoVariant.ForeignIframe] = "foreign-iframe",
        [DemoVariant.Account] = "account",
        [DemoVariant.Consent] = "consent",
        [DemoVariant.ExpirySelects] = "expiry-selects",
        [DemoVariant.LateTotal] = "late-total",
    };

    /// <summary>Every variant name, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<DemoVariant>().Select(v => Names[v])];

    /// <summary>The name of a variant, e.g. <c>three-ds</c>.</summary>
    public static string Name(this DemoVariant variant) => Names[variant];

    /// <summary>Parses a variant name (case-insensitive).</summary>
    public static bool TryParse(string? name, out DemoVariant variant)
    {
        foreach (var (value, text) in Names)
        {
            if (string.Equals(text, name, StringComparison.OrdinalIgnoreCase))
            {
                variant = value;
                return true;
            }
        }
        variant = default;
        return false;
    }

    internal static bool IsMultiStep(this DemoVariant variant) => variant is DemoVariant.MultiStep or DemoVariant.PriceChange;

    internal static bool HasCardIframe(this DemoVariant variant) => variant is DemoVariant.IframeCard or DemoVariant.ForeignIframe;
}
