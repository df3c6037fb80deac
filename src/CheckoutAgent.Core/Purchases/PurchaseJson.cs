using System.Text.Json;
using System.Text.Json.Serialization;

namespace CheckoutAgent.Core.Purchases;

/// <summary>
/// The one JSON shape purchases take everywhere they are written: API responses, stored requests and outcomes, webhook
/// bodies. snake_case names, nulls left out.
/// </summary>
public static class PurchaseJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
