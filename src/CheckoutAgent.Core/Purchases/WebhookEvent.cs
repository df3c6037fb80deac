using System.Text.Json.Serialization;

namespace CheckoutAgent.Core.Purchases;

/// <summary>The body of every webhook: Stripe-like event envelope around the purchase as the API shows it.</summary>
public sealed record WebhookEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("data")] WebhookEventData Data);

public sealed record WebhookEventData([property: JsonPropertyName("purchase")] PurchaseView Purchase);
