using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using CheckoutAgent.Core.Purchases;

namespace CheckoutAgent.Core.Intake;

/// <summary>
/// The shape of <c>POST /v1/purchases</c> for the OpenAPI document. The body is read by <see cref="PurchaseBody"/>,
/// which checks every field; this type only describes it.
/// </summary>
public sealed record PurchaseCreateBody
{
    [Description("Recipe name (recipes/NAME.yaml); GET /v1/recipes lists them.")]
    [JsonPropertyName("recipe")][Required][StringLength(64)] public required string Recipe { get; init; }

    [Description("Storefront the card is scoped to; default: the recipe's merchant URL.")]
    [JsonPropertyName("merchant_url")][Url] public string? MerchantUrl { get; init; }

    [Description("What is bought: 1 to 50 items.")]
    [JsonPropertyName("items")][Required] public required IReadOnlyList<PurchaseItem> Items { get; init; }

    [Description("Amount the person approves, in cents (1 to 50000); the page's total must match it before the final click.")]
    [JsonPropertyName("amount")][Range(1, 50_000)] public required long Amount { get; init; }

    [Description("3-letter ISO currency, default usd.")]
    [JsonPropertyName("currency")] public string? Currency { get; init; }

    [Description("100 to 2000 characters the person reads in Link before approving.")]
    [JsonPropertyName("context")][Required][StringLength(2000, MinimumLength = 100)] public required string Context { get; init; }

    [Description("{email, name, phone} or the string \"wallet\" for the Link wallet's own details.")]
    [JsonPropertyName("buyer")][Required] public required object Buyer { get; init; }

    [Description("{name, line1, line2, city, state, postal_code, country} or the string \"wallet\" for the wallet's default address.")]
    [JsonPropertyName("shipping")][Required] public required object Shipping { get; init; }

    [Description("https URL (http only to loopback) that receives signed webhooks when approval is awaited and when the purchase ends.")]
    [JsonPropertyName("callback_url")][Url] public string? CallbackUrl { get; init; }

    [Description("Up to 20 string values, returned as given.")]
    [JsonPropertyName("metadata")] public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
