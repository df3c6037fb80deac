using CheckoutAgent.Link.Cards;

namespace CheckoutAgent.Link.Sandbox;

/// <summary>
/// A card the sandbox issued, with its secrets. Internal: only the sandbox client and tests see it, and
/// <see cref="ToString"/> is masked so a test failure message or a log line never shows the number.
/// </summary>
internal sealed class SandboxIssuedCard
{
    public required string Id { get; init; }
    public required string SpendRequestId { get; init; }
    public required string Number { get; init; }
    public required string Cvc { get; init; }
    public required int ExpMonth { get; init; }
    public required int ExpYear { get; init; }
    public required string Brand { get; init; }
    public required CardBillingAddress BillingAddress { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
    public required DateTimeOffset ValidUntil { get; init; }
    public required string MerchantUrl { get; init; }
    public required long Amount { get; init; }
    public required string Currency { get; init; }

    public string Last4 => Number[^4..];

    public CardSecret ToSecret() => new(Number, Cvc, ExpMonth, ExpYear, Brand, BillingAddress.Name, ValidUntil);

    public override string ToString() => $"{Brand} •••• {Last4} for {SpendRequestId}";
}
