namespace CheckoutAgent.DemoMerchant;

/// <summary>What the demo shop sells and what it calls itself.</summary>
public sealed class DemoShopOptions
{
    /// <summary>The catalog used when none is given: two cheap coffee items, enough for a one- and a multi-line cart.</summary>
    public static IReadOnlyList<DemoProduct> DefaultProducts { get; } =
    [
        new("pour-over-dripper", "Ceramic pour-over coffee dripper", 2400),
        new("filter-papers", "Paper filters, 100 pack", 650),
    ];

    /// <summary>Products for sale, in display order. Skus must be unique, lower-case letters, digits and dashes.</summary>
    public IReadOnlyList<DemoProduct> Products { get; init; } = DefaultProducts;

    /// <summary>Shown in every page header and title.</summary>
    public string ShopName { get; init; } = "Demo Coffee Supply";

    /// <summary>Which checkout shape the shop serves. Default <see cref="DemoVariant.SinglePage"/>.</summary>
    public DemoVariant Variant { get; init; } = DemoVariant.SinglePage;

    /// <summary>
    /// What the <see cref="DemoVariant.PriceChange"/> variant adds to each unit price at the review step, in cents.
    /// Default 240 ($2.40), so a $24.00 cart becomes $26.40.
    /// </summary>
    public long PriceIncrease { get; init; } = 240;

    /// <summary>
    /// Test hook, off by default (null: the checkout page is sent whole, as always). When set, the one-form checkout
    /// page (<c>GET /checkout</c> of every variant but the multi-step ones and the captcha wall) is sent in two parts:
    /// first everything before the payment fieldset — order total and the contact and shipping fields, which a buyer
    /// can already fill — then, once the task this returns completes, the card fields and the <c>Pay now</c> button.
    /// It is called on every such page view. The token is the request's own: it is canceled when the buyer goes away
    /// (say, its browser is killed), which ends the hold and drops the rest of the page. Lets a test stop a buyer
    /// mid-form, e.g. <c>async ct =&gt; { reached.TrySetResult(); await release.Task.WaitAsync(ct); }</c> with two
    /// <see cref="TaskCompletionSource"/>s the test controls.
    /// </summary>
    public Func<CancellationToken, Task>? BeforeCardFields { get; init; }

    /// <summary>
    /// Test hook, off by default (null: payments are authorized at once). When set, every payment submission that
    /// passed the shop's checks (the single-page <c>Pay now</c>, the multi-step review's <c>Place order</c>) awaits the
    /// task this returns after taking the cart's payment lock and before the shop asks the issuer to authorize (so
    /// before <see cref="DemoShop.PaymentAttempts"/> counts it). The token is the shop's lifetime, not the request's:
    /// as at a real merchant, a buyer who goes away after clicking does not stop the payment, so the test must
    /// complete the task (or dispose the shop). Lets a test hold the merchant's answer to a final click, e.g. to kill
    /// the buyer after it clicked and before it read the result. See also <see cref="DemoShop.PaySubmissions"/>.
    /// </summary>
    public Func<CancellationToken, Task>? BeforeAuthorize { get; init; }

    /// <summary>
    /// Test hook, off by default (<see cref="DemoMerchant.CardFieldFault.None"/>: every card field works). Breaks a card
    /// field of the one-form checkout whose card fields sit in the shop's own form (the single-page, decline and three-ds
    /// variants) in one of the ways a buyer's browser automation can fail while a card number is on the page; see
    /// <see cref="DemoMerchant.CardFieldFault"/>. Lets a leak test drive a real checkout into each failure.
    /// </summary>
    public CardFieldFault CardFieldFault { get; init; }

    /// <summary>
    /// Test hook, off by default (null: all card fields are shown at once). When set, the one-form checkout with card
    /// fields in the shop's own form shows only the card number field at first; once a number is typed, the page's
    /// script tells the shop with a bare <c>POST /checkout/card-number-entered</c> (it carries no field value) and shows
    /// the expiry, CVC and name fields when the shop answers, as checkouts that look up a card's brand do. The shop
    /// answers once the task this returns completes; it is called for every such POST. The token is the request's own:
    /// it is canceled when the buyer goes away. Lets a test hold a buyer during card entry, with a card number typed
    /// into a live page, e.g. to kill it there: <c>async ct =&gt; { reached.TrySetResult(); await release.Task.WaitAsync(ct); }</c>.
    /// </summary>
    public Func<CancellationToken, Task>? AfterCardNumber { get; init; }

    /// <summary>
    /// Test hook for <see cref="DemoVariant.Account"/>, off by default (null: the code page is sent at once). When set,
    /// <c>GET /account/verify</c> after a right password (the sign-in form's redirect) answers only once the task this
    /// returns completes: the buyer's browser stays on the sign-in page with the password typed, its navigation
    /// pending. It is called for every such page view. The token is the request's own: it is canceled when the buyer
    /// goes away (say, its browser is killed), which ends the hold. Lets a test hold or kill a buyer mid sign-in, e.g.
    /// <c>async ct =&gt; { reached.TrySetResult(); await release.Task.WaitAsync(ct); }</c>.
    /// </summary>
    public Func<CancellationToken, Task>? BeforeVerificationPage { get; init; }

    /// <summary>
    /// The shop account's email for <see cref="DemoVariant.Account"/> (compared case-insensitively). Default
    /// <c>buyer@demo.test</c>. Signed-in checkouts use it as the order's email and ask for no other.
    /// </summary>
    public string AccountEmail { get; init; } = "buyer@demo.test";

    /// <summary>The shop account's password for <see cref="DemoVariant.Account"/> (exact). Default <c>demo-password</c>.</summary>
    public string AccountPassword { get; init; } = "demo-password";

    /// <summary>
    /// The account's authenticator secret for <see cref="DemoVariant.Account"/>, in base32 as shops show it when a buyer
    /// sets up an authenticator app (at least 80 bits). Codes are RFC 6238 TOTP: 30 s step, HMAC-SHA-1, 6 digits, and the
    /// previous and next step are accepted too. Default <c>GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ</c>, the RFC's own SHA-1 test key
    /// ("12345678901234567890"), so a demo code can be checked against the RFC's test vectors.
    /// </summary>
    public string AccountTotpSecret { get; init; } = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    /// <summary>
    /// The shop's clock: which TOTP step is current (<see cref="DemoVariant.Account"/>) and the first year the expiry
    /// select offers (<see cref="DemoVariant.ExpirySelects"/>). Default <see cref="TimeProvider.System"/>; tests pin it.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>When <see cref="DemoVariant.Consent"/> shows its cookie-consent wall. Default <see cref="ConsentWallMode.Random"/>.</summary>
    public ConsentWallMode ConsentWall { get; init; } = ConsentWallMode.Random;

    /// <summary>
    /// Seed for <see cref="ConsentWallMode.Random"/>'s per-visit draw, so a test gets the same sequence of visits with and
    /// without the wall every run. Default null: unseeded.
    /// </summary>
    public int? ConsentSeed { get; init; }

    /// <summary>
    /// How long after the <see cref="DemoVariant.Consent"/> checkout form loads its newsletter modal pops up. Default
    /// 1.5 s; <see cref="TimeSpan.Zero"/> shows it at once. Null: no modal.
    /// </summary>
    public TimeSpan? NewsletterDelay { get; init; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// How long the <see cref="DemoVariant.LateTotal"/> shop takes to answer the checkout page's shipping and tax quote;
    /// the order total reads "Calculating…" and <c>Pay now</c> stays disabled until it arrives. Default 1.5 s.
    /// </summary>
    public TimeSpan QuoteDelay { get; init; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// Cents the <see cref="DemoVariant.LateTotal"/> quote adds to the total it shows, without changing what the shop
    /// charges (the cart total). Default 0: the total settles on the amount charged. Non-zero makes the page's total
    /// differ from the charge once it settles, e.g. 250 to show $26.50 for a $24.00 charge.
    /// </summary>
    public long QuotedTotalOffset { get; init; }
}

/// <summary>When the <see cref="DemoVariant.Consent"/> shop shows its cookie-consent wall to a browser that has not accepted.</summary>
public enum ConsentWallMode
{
    /// <summary>On about half of the visits: drawn once per visit (a browser without the shop's visit cookie).</summary>
    Random,
    /// <summary>On every visit, until accepted.</summary>
    Always,
    /// <summary>Never.</summary>
    Never,
}

/// <summary>How <see cref="DemoShopOptions.CardFieldFault"/> breaks the checkout's card fields.</summary>
public enum CardFieldFault
{
    /// <summary>Every card field works.</summary>
    None,

    /// <summary>
    /// The CVC field is shown but read-only forever: the number and expiry are typed, then filling the CVC waits for an
    /// editable field until its step times out.
    /// </summary>
    CvcNeverEditable,

    /// <summary>The card number field is shown but disabled: filling it waits for an enabled field until its step times out.</summary>
    NumberDisabled,

    /// <summary>
    /// Once a number is typed, the page's script copies it into the field's <c>value</c> attribute (as frameworks that
    /// reflect state into attributes do), disables the field and labels it "Expiry (MM/YY)" as well, like a combined
    /// card widget moving on to its next part. The expiry step then matches two fields, and the browser automation's
    /// error describes both, attributes included: the number is in the error's text.
    /// </summary>
    NumberMirroredIntoValueAttribute,
}

/// <summary>One product in the catalog.</summary>
/// <param name="Sku">Stable id, used in the product URL.</param>
/// <param name="Name">Display name.</param>
/// <param name="Price">Unit price in cents (US dollars: the shop is single-currency).</param>
public sealed record DemoProduct(string Sku, string Name, long Price);

/// <summary>One line of a placed order.</summary>
/// <param name="Sku">Product sku.</param>
/// <param name="Quantity">Units bought.</param>
/// <param name="UnitPrice">Cents per unit at the time of purchase.</param>
public sealed record DemoOrderLine(string Sku, int Quantity, long UnitPrice);

/// <summary>
/// An order the shop accepted after the issuer approved the payment.
/// Holds only the card brand and last four digits: the full number and CVC are never kept.
/// </summary>
/// <param name="OrderNumber"><c>DCS-</c> followed by 8 upper-case letters or digits.</param>
/// <param name="Lines">What was bought; usually a single line.</param>
/// <param name="Amount">Total charged, in cents.</param>
/// <param name="Currency">Lower-case ISO code (<c>usd</c>).</param>
/// <param name="CardBrand"><c>visa</c>, <c>mastercard</c>, <c>amex</c> or <c>card</c>.</param>
/// <param name="CardLast4">Last four digits of the card.</param>
/// <param name="Email">Buyer's email as typed.</param>
/// <param name="PlacedAt">When the payment was approved.</param>
public sealed record DemoOrder(
    string OrderNumber, IReadOnlyList<DemoOrderLine> Lines, long Amount, string Currency,
    string CardBrand, string CardLast4, string Email, DateTimeOffset PlacedAt)
{
    /// <summary>Sku of the first line (the only one in a single-product purchase).</summary>
    public string Sku => Lines[0].Sku;

    /// <summary>Quantity of the first line (the only one in a single-product purchase).</summary>
    public int Quantity => Lines[0].Quantity;
}
