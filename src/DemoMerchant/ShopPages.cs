using System.Text;
using System.Text.Encodings.Web;

namespace CheckoutAgent.DemoMerchant;

/// <summary>
/// Server-rendered pages. Everything that did not come from this file goes through <see cref="E"/>;
/// the locators a recipe uses (labels, button names, test ids) are fixed here, so change them with care.
/// </summary>
internal sealed class ShopPages(string shopName)
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

    public string Product(DemoProduct product, string? quantityError = null, string quantityValue = "1")
    {
        var body = $"""
            <h1>{E(product.Name)}</h1>
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

    public string Checkout(
        IReadOnlyList<CartLine> lines, ShippingDetails shipping,
        IReadOnlyDictionary<string, string> errors, string? paymentError = null)
    {
        var body = new StringBuilder("<h1>Checkout</h1>\n");
        if (paymentError is not null)
        {
            body.Append($"<div role=\"alert\" data-testid=\"payment-error\">{E(paymentError)}</div>\n");
        }

        AppendLines(body, lines);
        body.Append($"<p>Order total: <strong data-testid=\"order-total\">{Money.Format(Total(lines))}</strong></p>\n");

        // novalidate: the server's per-field messages are what a buyer (or an agent) should see, not a browser bubble.
        body.Append("<form method=\"post\" action=\"/checkout\" novalidate>\n<fieldset>\n<legend>Contact and shipping</legend>\n");
        body.Append(Input(Field.Email, "Email", shipping.Email, errors, "type=\"email\" autocomplete=\"email\""));
        body.Append(Input(Field.FullName, "Full name", shipping.FullName, errors, "autocomplete=\"name\""));
        body.Append(Input(Field.Address, "Address", shipping.Address, errors, "autocomplete=\"street-address\""));
        body.Append(Input(Field.City, "City", shipping.City, errors, "autocomplete=\"address-level2\""));
        body.Append(Input(Field.PostalCode, "Postal code", shipping.PostalCode, errors, "autocomplete=\"postal-code\""));
        body.Append(Input(Field.Country, "Country", shipping.Country, errors, "autocomplete=\"country\""));
        body.Append("</fieldset>\n<fieldset>\n<legend>Payment</legend>\n");

        // Card inputs are always rendered empty: card data never travels back to the browser.
        body.Append(Input(Field.CardNumber, "Card number", "", errors, "inputmode=\"numeric\" autocomplete=\"cc-number\""));
        body.Append(Input(Field.CardExpiry, "Expiry (MM/YY)", "", errors, "autocomplete=\"cc-exp\" placeholder=\"MM/YY\""));
        body.Append(Input(Field.CardCvc, "CVC", "", errors, "inputmode=\"numeric\" autocomplete=\"cc-csc\""));
        body.Append(Input(Field.CardName, "Name on card", "", errors, "autocomplete=\"cc-name\""));
        body.Append("</fieldset>\n<button type=\"submit\">Pay now</button>\n</form>\n");
        return Layout("Checkout", body.ToString());
    }

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

    internal static long Total(IReadOnlyList<CartLine> lines) => lines.Sum(l => l.Subtotal);

    private static void AppendLines(StringBuilder body, IReadOnlyList<CartLine> lines)
    {
        body.Append("<table>\n<thead><tr><th scope=\"col\">Item</th><th scope=\"col\">Quantity</th><th scope=\"col\">Price</th></tr></thead>\n<tbody>\n");
        foreach (var line in lines)
        {
            body.Append($"<tr><td><a href=\"/products/{E(line.Product.Sku)}\">{E(line.Product.Name)}</a></td><td>{line.Quantity}</td><td>{Money.Format(line.Subtotal)}</td></tr>\n");
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
        <main>
        {body}
        </main>
        </body>
        </html>

        """;
}
