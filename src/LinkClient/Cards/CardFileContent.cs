namespace CheckoutAgent.Link.Cards;

/// <summary>The billing identity printed on an issued card; the checkout form may ask for it.</summary>
/// <param name="Name">Cardholder name.</param>
/// <param name="Line1">Street line.</param>
/// <param name="City">City.</param>
/// <param name="State">State or region code.</param>
/// <param name="PostalCode">Postal code.</param>
/// <param name="Country">Two-letter country code.</param>
public sealed record CardBillingAddress(string Name, string Line1, string City, string State, string PostalCode, string Country);

/// <summary>
/// Everything <c>link-cli --output-file</c> writes for an approved spend request. The card itself is a
/// <see cref="CardSecret"/>, so neither this type nor its <see cref="ToString"/> shows the number or CVC.
/// </summary>
public sealed class CardFileContent
{
    /// <value>The spend request the card was issued for (<c>lsrq_…</c>).</value>
    public required string SpendRequestId { get; init; }

    /// <value>Merchant name the card is meant for.</value>
    public string? MerchantName { get; init; }

    /// <value>Storefront the card is scoped to.</value>
    public string? MerchantUrl { get; init; }

    /// <value>The context the person approved.</value>
    public string? Context { get; init; }

    /// <value>When the spend request was created.</value>
    public DateTimeOffset CreatedAt { get; init; }

    /// <value>The card; its secret parts are reachable only through <see cref="CardSecret.Reveal"/>.</value>
    public required CardSecret Card { get; init; }

    /// <value>Billing address issued with the card. Its name should match the card's cardholder name.</value>
    public CardBillingAddress? BillingAddress { get; init; }

    /// <summary>Spend request id and masked card only.</summary>
    public override string ToString() => $"card file for {SpendRequestId}: {Card}";
}
