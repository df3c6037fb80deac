using System.Text;
using System.Text.Encodings.Web;

namespace CheckoutAgent.DemoMerchant;

/// <summary>
/// Server-rendered pages. Everything that did not come from this file goes through <c>E</c> (HTML-encode);
/// the locators a recipe uses (labels, button names, test ids) are fixed here, so change them with care.
/// </summary>
/// <summary>Where a checkout page puts its card fields.</summary>
internal enum CardFieldsLayout
{
    /// <summary>Plain inputs in the shop's own form.</summary>
    Inline,
    /// <summary>In a cross-origin iframe of the card processor; the form posts a token.</summary>
    Iframe,
    /// <summary>The form sits in an open shadow root.</summary>
    Shadow,
}

/// <summary>What a variant changes on the one-form checkout page; the default is the plain single-page form.</summary>
internal sealed record CheckoutShape
{
    public static CheckoutShape Plain { get; } = new();

    /// <summary>Account variant: the buyer is signed in as this email, so the form asks for no email.</summary>
    public string? SignedInEmail { get; init; }

    /// <summary>Expiry-selects variant: month and year selects (years from this one, 16 of them) and a masked card number.</summary>
    public int? ExpiryYearFrom { get; init; }

    /// <summary>Late-total variant: the total reads "Calculating…" until the page fetches its quote from here.</summary>
    public string? QuoteUrl { get; init; }

    /// <summary>Consent variant: the newsletter modal pops up this many milliseconds after the page loads.</summary>
    public int? NewsletterDelayMs { get; init; }
}

/// <param name="shopName">Shown in every page header and title.</param>
/// <param name="cardFieldFault">Test hook: how the one-form checkout's own card fields are broken (see <see cref="DemoShopOptions.CardFieldFault"/>).</param>
/// <param name="holdAfterCardNumber">Test hook: show only the card number until the shop answers (see <see cref="DemoShopOptions.AfterCardNumber"/>).</param>
internal sealed class ShopPages(string shopName, CardFieldFault cardFieldFault = CardFieldFault.None, bool holdAfterCardNumber = false)
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:1rem;color:#222}"
        + "header{display:flex;justify-content:space-between;border-bottom:1px solid #ccc;margin-bottom:1rem;padding-bottom:.5rem}"
        + "label{display:block;margin-top:.75rem;font-weight:600}"
        + "input{font:inherit;padding:.3rem;width:100%;max-width:24rem;box-sizing:border-box}"
        + "button{font:inherit;margin-top:1rem;padding:.5rem 1.25rem}"
        + "fieldset{margin-top:1rem}"
        + ".field-error,[data-testid=payment-error]{color:#a00}"
        + "table{border-collapse:collapse}td,th{padding:.25rem .75rem;text-align:left}";

    private static string E(string value) => HtmlEncoder.Default.Encode(value);

    public string Catalog(IReadOnlyList<DemoProduct> products)
    {
        var body = new StringBuilder("<h1>Products</h1>\n<ul>\n");
        foreach (var p in products)
        {
            body.Append($"<li><a href=\"/products/{E(p.Sku)}\">{E(p.Name)}</a> {Money.Format(p.Price)}</li>\n");
        }

        body.Append("</ul>\n");
        return Layout("Products", body.ToString());
    }

    public string Product(DemoProduct product, string? quantityError = null, string quantityValue = "1", bool outOfStock = false)
    {
        if (outOfStock)
        {
            return Layout(product.Name, $"""
                <h1>{E(product.Name)}</h1>
                <p>Price: <span data-testid="product-price">{Money.Format(product.Price)}</span></p>
                <p role="status" data-testid="out-of-stock">Sold out: this item is out of stock.</p>
                <p><a href="/">Continue shopping</a></p>
                """);
        }

        var body = $"""
            <h1>{E(product.Name)}</h1>
            <img src="/images/products/{E(product.Sku)}.png" alt="{E(product.Name)}" width="480" height="360">
            <p>Price: <span data-testid="product-price">{Money.Format(product.Price)}</span></p>
            <form method="post" action="/cart">
            <input type="hidden" name="sku" value="{E(product.Sku)}">
            <label for="quantity">Quantity</label>
            <input id="quantity" name="quantity" type="number" inputmode="numeric" min="1" max="{Cart.MaxQuantityPerLine}" value="{E(quantityValue)}"{ErrorAttributes("quantity", quantityError)}>
            {FieldError("quantity", quantityError)}
            <button type="submit">Add to cart</button>
            </form>
            """;
        return Layout(product.Name, body);
    }

    public string CartPage(IReadOnlyList<CartLine> lines)
    {
        if (lines.Count == 0)
        {
            return Layout("Cart", """
                <h1>Your cart</h1>
                <p data-testid="cart-empty">Your cart is empty.</p>
                <p><a href="/">Continue shopping</a></p>
                """);
        }

        var body = new StringBuilder("<h1>Your cart</h1>\n");
        AppendLines(body, lines);
        body.Append($"""
            <p>Total: <strong data-testid="cart-total">{Money.Format(Total(lines))}</strong></p>
            <p><a href="/checkout">Checkout</a></p>
            """);
        return Layout("Cart", body.ToString());
    }

    /// <summary>Where the one-form checkout's payment part begins (the page is split here to hold it mid-form).</summary>
    public const string PaymentFieldsetStart = "<fieldset>\n<legend>Payment</legend>\n";

    public string Checkout(
        IReadOnlyList<CartLine> lines, ShippingDetails shipping,
        IReadOnlyDictionary<string, string> errors, string? paymentError = null,
        CardFieldsLayout layout = CardFieldsLayout.Inline, Uri? cardFrame = null, CheckoutShape? shape = null)
    {
        shape ??= CheckoutShape.Plain;
        var body = new StringBuilder("<h1>Checkout</h1>\n");
        AppendPaymentError(body, paymentError);
        if (shape.SignedInEmail is { } signedIn)
        {
            body.Append($"<p>Signed in as <span data-testid=\"signed-in-as\">{E(signedIn)}</span></p>\n");
        }
        AppendLines(body, lines);
        // A late total starts as a word, not an amount: nothing on the page may look like a total before the quote is in.
        body.Append(shape.QuoteUrl is { } quoteUrl
            ? $"<p>Order total: <strong data-testid=\"order-total\" data-quote=\"{E(quoteUrl)}\" aria-live=\"polite\">Calculating…</strong></p>\n"
            : $"<p>Order total: <strong data-testid=\"order-total\">{Money.Format(Total(lines))}</strong></p>\n");

        var form = new StringBuilder();
        // novalidate: the server's per-field messages are what a buyer (or an agent) should see, not a browser bubble.
        form.Append("<form method=\"post\" action=\"/checkout\" novalidate>\n");
        AppendShippingFields(form, shipping, errors, countrySelect: false, withEmail: shape.SignedInEmail is null);
        form.Append(PaymentFieldsetStart);
        if (shape.ExpiryYearFrom is { } yearFrom)
        {
            AppendCardFieldsWithExpirySelects(form, errors, yearFrom);
        }
        else if (layout == CardFieldsLayout.Iframe)
        {
            // The card fields live in the processor's document: this page never sees them, only a token.
            form.Append($"""
                <iframe title="Secure card payment" name="card-frame" data-card-frame src="{E(cardFrame!.ToString())}" width="420" height="330"></iframe>
                <input type="hidden" name="card-token" value="">
                <p id="card-error" class="field-error" role="alert" data-testid="card-error"></p>

                """);
        }
        else if (layout == CardFieldsLayout.Inline)
        {
            AppendCardFields(form, errors, cardFieldFault, holdAfterCardNumber);
        }
        else
        {
            AppendCardFields(form, errors);
        }
        // Like real shops, a late-total checkout cannot be paid before it knows what it charges.
        form.Append(shape.QuoteUrl is null
            ? "</fieldset>\n<button type=\"submit\">Pay now</button>\n</form>\n"
            : "</fieldset>\n<button type=\"submit\" data-wait-for-quote disabled>Pay now</button>\n</form>\n");

        if (layout == CardFieldsLayout.Shadow)
        {
            // Declarative shadow DOM: the whole form lives in an open shadow root, so it still submits without script.
            body.Append($"<payment-form>\n<template shadowrootmode=\"open\">\n<style>{Style}</style>\n{form}</template>\n</payment-form>\n");
        }
        else
        {
            body.Append(form);
        }
        if (layout == CardFieldsLayout.Iframe)
        {
            body.Append("<script src=\"/static/checkout.js\"></script>\n");
        }
        else if (layout == CardFieldsLayout.Inline && (holdAfterCardNumber || cardFieldFault == CardFieldFault.NumberMirroredIntoValueAttribute))
        {
            body.Append("<script src=\"/static/card-fields.js\"></script>\n");
        }
        if (shape.ExpiryYearFrom is not null)
        {
            body.Append("<script src=\"/static/card-mask.js\"></script>\n");
        }
        if (shape.QuoteUrl is not null)
        {
            body.Append("<script src=\"/static/quote.js\"></script>\n");
        }
        if (shape.NewsletterDelayMs is { } delayMs)
        {
            // Hidden until the script's timer fires; then a full-page layer over the form, as newsletter pop-ups are.
            body.Append($"""
                <div data-newsletter data-testid="newsletter-modal" data-delay-ms="{delayMs}" hidden style="position:fixed;inset:0;z-index:900;background:rgba(0,0,0,.5)">
                <div role="dialog" aria-modal="true" aria-labelledby="newsletter-title" style="background:#fff;max-width:26rem;margin:25vh auto;padding:1.5rem">
                <h2 id="newsletter-title">Get 10% off your next order</h2>
                <p>Join our newsletter for brewing tips and members-only offers.</p>
                <button type="button">No thanks</button>
                </div>
                </div>
                <script src="/static/newsletter.js"></script>

                """);
        }
        return Layout("Checkout", body.ToString());
    }

    /// <summary>The account variant's first sign-in step. The password field is always rendered empty.</summary>
    public string SignIn(string email, string? error)
    {
        var body = new StringBuilder("<h1>Sign in to check out</h1>\n<p>Checkout needs a shop account.</p>\n");
        AppendSignInError(body, error);
        body.Append($"""
            <form method="post" action="/account/sign-in" novalidate>
            <label for="account-email">Email</label>
            <input id="account-email" name="email" type="email" autocomplete="username" maxlength="{CheckoutSubmission.MaxFieldLength}" required value="{E(email)}">
            <label for="account-password">Password</label>
            <input id="account-password" name="password" type="password" autocomplete="current-password" maxlength="{CheckoutSubmission.MaxFieldLength}" required value="">
            <button type="submit">Sign in</button>
            </form>
            """);
        return Layout("Sign in", body.ToString());
    }

    /// <summary>The account variant's second sign-in step. The code field is always rendered empty.</summary>
    public string VerifyCode(string? error)
    {
        var body = new StringBuilder("<h1>Two-step verification</h1>\n<p>Enter the 6-digit code from your authenticator app.</p>\n");
        AppendSignInError(body, error);
        body.Append("""
            <form method="post" action="/account/verify" novalidate>
            <label for="verification-code">Verification code</label>
            <input id="verification-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="10" required value="">
            <button type="submit">Verify</button>
            </form>
            """);
        return Layout("Verify it's you", body.ToString());
    }

    /// <summary>
    /// The consent variant's wall, added to any page: a full-page layer above everything, so clicks land on it until
    /// "Accept all". The form works without script (a POST, then back to <paramref name="returnPath"/>); the script
    /// does it in place.
    /// </summary>
    public static string ConsentWall(string returnPath) => $"""
        <div data-consent-wall data-testid="consent-wall" style="position:fixed;inset:0;z-index:1000;background:rgba(0,0,0,.6)">
        <div role="dialog" aria-modal="true" aria-labelledby="consent-title" style="background:#fff;max-width:28rem;margin:20vh auto;padding:1.5rem">
        <h2 id="consent-title">We value your privacy</h2>
        <p>We use cookies to run this shop, measure traffic and personalise offers. Accept them to continue.</p>
        <form method="post" action="/consent">
        <input type="hidden" name="return" value="{E(returnPath)}">
        <button type="submit">Accept all</button>
        </form>
        </div>
        </div>
        <script src="/static/consent.js"></script>

        """;

    private static void AppendSignInError(StringBuilder body, string? error)
    {
        if (error is not null)
        {
            body.Append($"<div role=\"alert\" data-testid=\"signin-error\">{E(error)}</div>\n");
        }
    }

    public string ShippingStep(IReadOnlyList<CartLine> lines, ShippingDetails shipping, IReadOnlyDictionary<string, string> errors)
    {
        var body = new StringBuilder("<h1>Shipping</h1>\n<p>Step 1 of 3</p>\n");
        AppendLines(body, lines);
        body.Append("<form method=\"post\" action=\"/checkout/shipping\" novalidate>\n");
        AppendShippingFields(body, shipping, errors, countrySelect: true);
        body.Append("<button type=\"submit\">Continue to payment</button>\n</form>\n");
        return Layout("Shipping", body.ToString());
    }

    public string PaymentStep(IReadOnlyDictionary<string, string> errors)
    {
        var body = new StringBuilder("<h1>Payment</h1>\n<p>Step 2 of 3</p>\n");
        body.Append("<form method=\"post\" action=\"/checkout/payment\" novalidate>\n<fieldset>\n<legend>Card</legend>\n");
        AppendCardFields(body, errors);
        body.Append("</fieldset>\n<button type=\"submit\">Continue to review</button>\n</form>\n");
        return Layout("Payment", body.ToString());
    }

    public string ReviewStep(
        IReadOnlyList<CartLine> lines, long unitIncrease, ShippingDetails shipping, string cardLast4, string? termsError,
        string? paymentError = null)
    {
        var body = new StringBuilder("<h1>Review your order</h1>\n<p>Step 3 of 3</p>\n");
        AppendPaymentError(body, paymentError);
        if (unitIncrease > 0)
        {
            body.Append("<p role=\"status\" data-testid=\"price-notice\">Prices have changed since you added these items to your cart.</p>\n");
        }
        AppendLines(body, lines, unitIncrease);
        body.Append($"""
            <p>Ship to: {E(shipping.FullName)}, {E(shipping.Address)}, {E(shipping.City)} {E(shipping.PostalCode)}, {E(shipping.Country)}</p>
            <p>Pay with: card •••• {E(cardLast4)}</p>
            <p>Order total: <strong data-testid="review-total">{Money.Format(Total(lines, unitIncrease))}</strong></p>
            <form method="post" action="/checkout/review" novalidate>
            <input type="checkbox" id="terms" name="terms" value="yes"{ErrorAttributes("terms", termsError)}>
            <label for="terms" style="display:inline">I agree to the terms of sale</label>
            {FieldError("terms", termsError)}
            <div><button type="submit">Place order</button></div>
            </form>
            """);
        return Layout("Review", body.ToString());
    }

    public string CaptchaWall() =>
        Layout("Security check", """
            <h1>Security check</h1>
            <div role="dialog" aria-label="Security check" data-testid="captcha-wall">
            <p>Before you continue to checkout, prove you are not a robot.</p>
            <input type="checkbox" id="not-a-robot"> <label for="not-a-robot" style="display:inline">I'm not a robot</label>
            </div>
            """);

    public string ThreeDsChallenge(long amount) =>
        Layout("Confirm it's you", $"""
            <h1>Confirm it's you</h1>
            <section data-testid="three-ds-challenge" aria-label="3-D Secure">
            <p>Your bank wants to confirm this payment of {Money.Format(amount)}. Open your banking app (here: the Link app)
            and confirm it there; this page carries on by itself.</p>
            <p aria-live="polite">Waiting for your confirmation…</p>
            </section>
            <p class="error" role="alert" data-testid="payment-error" hidden></p>
            <script src="/static/three-ds.js"></script>
            """);

    /// <summary>The processor's card document, framed by the shop's checkout page (another origin).</summary>
    public static string CardFrame(string parentOrigin) => $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Secure card payment</title>
        <style>{Style}</style>
        </head>
        <body data-parent-origin="{E(parentOrigin)}">
        <form id="card-form" novalidate>
        <label for="{Field.CardNumber}">Card number</label>
        <input id="{Field.CardNumber}" name="{Field.CardNumber}" inputmode="numeric" autocomplete="cc-number">
        <label for="{Field.CardExpiry}">Expiry (MM/YY)</label>
        <input id="{Field.CardExpiry}" name="{Field.CardExpiry}" autocomplete="cc-exp" placeholder="MM/YY">
        <label for="{Field.CardCvc}">CVC</label>
        <input id="{Field.CardCvc}" name="{Field.CardCvc}" inputmode="numeric" autocomplete="cc-csc">
        <label for="{Field.CardName}">Name on card</label>
        <input id="{Field.CardName}" name="{Field.CardName}" autocomplete="cc-name">
        </form>
        <script src="/elements/elements.js"></script>
        </body>
        </html>

        """;

    public string Confirmation(DemoOrder order, IReadOnlyDictionary<string, DemoProduct> catalog)
    {
        var items = new StringBuilder("<ul>\n");
        foreach (var line in order.Lines)
        {
            var name = catalog.TryGetValue(line.Sku, out var p) ? p.Name : line.Sku;
            items.Append($"<li>{line.Quantity} × {E(name)}</li>\n");
        }

        items.Append("</ul>\n");
        var body = $"""
            <h1>Thank you for your order</h1>
            <p>Order number: <span data-testid="order-number">{E(order.OrderNumber)}</span></p>
            {items}<p>Charged: <span data-testid="charged-total">{Money.Format(order.Amount)}</span></p>
            <p data-testid="payment-method">Paid with {E(order.CardBrand)} •••• {E(order.CardLast4)}</p>
            <p>A receipt was sent to <span data-testid="order-email">{E(order.Email)}</span>.</p>
            <p><a href="/">Continue shopping</a></p>
            """;
        return Layout("Order " + order.OrderNumber, body);
    }

    public string NotFound() =>
        Layout("Not found", """
            <h1>Page not found</h1>
            <p>We could not find that page.</p>
            <p><a href="/">Back to the shop</a></p>
            """);

    public string Problem(string title, string message) =>
        Layout(title, $"<h1>{E(title)}</h1>\n<p role=\"alert\">{E(message)}</p>\n<p><a href=\"/cart\">Back to your cart</a></p>\n");

    internal static long Total(IReadOnlyList<CartLine> lines, long unitIncrease = 0) =>
        lines.Sum(l => l.Subtotal + (unitIncrease * l.Quantity));

    private static void AppendPaymentError(StringBuilder body, string? paymentError)
    {
        if (paymentError is not null)
        {
            body.Append($"<div role=\"alert\" data-testid=\"payment-error\">{E(paymentError)}</div>\n");
        }
    }

    private static void AppendShippingFields(
        StringBuilder form, ShippingDetails shipping, IReadOnlyDictionary<string, string> errors, bool countrySelect, bool withEmail = true)
    {
        form.Append("<fieldset>\n<legend>Contact and shipping</legend>\n");
        if (withEmail)
        {
            form.Append(Input(Field.Email, "Email", shipping.Email, errors, "type=\"email\" autocomplete=\"email\""));
        }
        form.Append(Input(Field.FullName, "Full name", shipping.FullName, errors, "autocomplete=\"name\""));
        form.Append(Input(Field.Address, "Address", shipping.Address, errors, "autocomplete=\"street-address\""));
        form.Append(Input(Field.City, "City", shipping.City, errors, "autocomplete=\"address-level2\""));
        form.Append(Input(Field.PostalCode, "Postal code", shipping.PostalCode, errors, "autocomplete=\"postal-code\""));
        if (countrySelect)
        {
            form.Append($"<label for=\"{Field.Country}\">Country</label>\n<select id=\"{Field.Country}\" name=\"{Field.Country}\" autocomplete=\"country\">\n");
            foreach (var (code, name) in Countries)
            {
                var selected = code == shipping.Country ? " selected" : "";
                form.Append($"<option value=\"{code}\"{selected}>{name}</option>\n");
            }
            form.Append("</select>\n");
        }
        else
        {
            form.Append(Input(Field.Country, "Country", shipping.Country, errors, "autocomplete=\"country\""));
        }
        form.Append("</fieldset>\n");
    }

    private static readonly (string Code, string Name)[] Countries =
        [("US", "United States"), ("CA", "Canada"), ("GB", "United Kingdom"), ("DE", "Germany"), ("FR", "France")];

    private static void AppendCardFields(StringBuilder form, IReadOnlyDictionary<string, string> errors,
        CardFieldFault fault = CardFieldFault.None, bool holdAfterNumber = false)
    {
        // Card inputs are always rendered empty: card data never travels back to the browser.
        var numberHook = fault switch
        {
            CardFieldFault.NumberDisabled => " disabled",
            CardFieldFault.NumberMirroredIntoValueAttribute => " data-fault=\"mirror\"",
            _ => "",
        } + (holdAfterNumber ? " data-hold" : "");
        form.Append(Input(Field.CardNumber, "Card number", "", errors, "inputmode=\"numeric\" autocomplete=\"cc-number\"" + numberHook));
        if (holdAfterNumber)
        {
            form.Append("<div id=\"card-rest\" hidden>\n");
        }
        form.Append(Input(Field.CardExpiry, "Expiry (MM/YY)", "", errors, "autocomplete=\"cc-exp\" placeholder=\"MM/YY\""));
        form.Append(Input(Field.CardCvc, "CVC", "", errors, "inputmode=\"numeric\" autocomplete=\"cc-csc\"" + (fault == CardFieldFault.CvcNeverEditable ? " readonly" : "")));
        form.Append(Input(Field.CardName, "Name on card", "", errors, "autocomplete=\"cc-name\""));
        if (holdAfterNumber)
        {
            form.Append("</div>\n");
        }
    }

    private static readonly string[] MonthNames =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// <summary>
    /// Card fields as many real shops lay them out: a masked number field (typed key by key, see <see cref="Scripts.CardMask"/>),
    /// expiry month and year selects, CVC and name.
    /// </summary>
    private static void AppendCardFieldsWithExpirySelects(StringBuilder form, IReadOnlyDictionary<string, string> errors, int yearFrom)
    {
        form.Append(Input(Field.CardNumber, "Card number", "", errors,
            "inputmode=\"numeric\" autocomplete=\"cc-number\" placeholder=\"1234 1234 1234 1234\" data-masked"));
        var months = new StringBuilder("<option value=\"\">Month</option>\n");
        for (var month = 1; month <= 12; month++)
        {
            months.Append($"<option value=\"{month:00}\">{month:00} - {MonthNames[month - 1]}</option>\n");
        }
        form.Append(Select(Field.CardExpMonth, "Expiry month", "cc-exp-month", months.ToString(), errors));
        var years = new StringBuilder("<option value=\"\">Year</option>\n");
        for (var year = yearFrom; year <= yearFrom + 15; year++)
        {
            years.Append($"<option value=\"{year}\">{year}</option>\n");
        }
        form.Append(Select(Field.CardExpYear, "Expiry year", "cc-exp-year", years.ToString(), errors));
        form.Append(Input(Field.CardCvc, "CVC", "", errors, "inputmode=\"numeric\" autocomplete=\"cc-csc\""));
        form.Append(Input(Field.CardName, "Name on card", "", errors, "autocomplete=\"cc-name\""));
    }

    /// <summary>A select rendered with nothing chosen: like card inputs, card details never travel back to the browser.</summary>
    private static string Select(string name, string label, string autocomplete, string options, IReadOnlyDictionary<string, string> errors)
    {
        errors.TryGetValue(name, out var error);
        return $"""
            <label for="{name}">{E(label)}</label>
            <select id="{name}" name="{name}" autocomplete="{autocomplete}" required{ErrorAttributes(name, error)}>
            {options}</select>
            {FieldError(name, error)}

            """;
    }

    private static void AppendLines(StringBuilder body, IReadOnlyList<CartLine> lines, long unitIncrease = 0)
    {
        body.Append("<table>\n<thead><tr><th scope=\"col\">Item</th><th scope=\"col\">Quantity</th><th scope=\"col\">Price</th></tr></thead>\n<tbody>\n");
        foreach (var line in lines)
        {
            body.Append($"<tr><td><img src=\"/images/products/{E(line.Product.Sku)}.png\" alt=\"\" width=\"64\" height=\"48\"> <a href=\"/products/{E(line.Product.Sku)}\">{E(line.Product.Name)}</a></td><td>{line.Quantity}</td><td>{Money.Format(line.Subtotal + (unitIncrease * line.Quantity))}</td></tr>\n");
        }

        body.Append("</tbody>\n</table>\n");
    }

    private static string Input(
        string name, string label, string value, IReadOnlyDictionary<string, string> errors, string attributes)
    {
        errors.TryGetValue(name, out var error);
        return $"""
            <label for="{name}">{E(label)}</label>
            <input id="{name}" name="{name}" {attributes} maxlength="{CheckoutSubmission.MaxFieldLength}" required value="{E(value)}"{ErrorAttributes(name, error)}>
            {FieldError(name, error)}

            """;
    }

    private static string ErrorAttributes(string name, string? error) =>
        error is null ? "" : $" aria-invalid=\"true\" aria-describedby=\"{name}-error\"";

    private static string FieldError(string name, string? error) =>
        error is null ? "" : $"<p id=\"{name}-error\" class=\"field-error\" role=\"alert\" data-testid=\"{name}-error\">{E(error)}</p>";

    private string Layout(string title, string body) => $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{E(title)} | {E(shopName)}</title>
        <style>{Style}</style>
        </head>
        <body>
        <header><a href="/">{E(shopName)}</a><nav aria-label="Shop"><a href="/cart">Cart</a></nav></header>
        <img src="/images/banner.png" alt="" width="640" height="107" style="display:block;max-width:100%">
        <main>
        {body}
        </main>
        </body>
        </html>

        """;
}
