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
