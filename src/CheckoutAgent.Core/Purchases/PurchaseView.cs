using System.Text.Json.Serialization;

namespace CheckoutAgent.Core.Purchases;

/// <summary>One timeline entry as the API shows it.</summary>
public sealed record TimelineEntryView(
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("duration_ms")] long? DurationMs);

/// <summary>
/// A purchase as the API, MCP, the CLI and webhooks show it. Built only from what the store holds, which never includes
/// card data: the outcome carries brand and last 4 at most.
/// </summary>
public sealed record PurchaseView
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Kind { get; init; } = "purchase";
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("recipe")] public required string Recipe { get; init; }
    [JsonPropertyName("merchant_url")] public string? MerchantUrl { get; init; }
    [JsonPropertyName("amount")] public long Amount { get; init; }
    [JsonPropertyName("currency")] public required string Currency { get; init; }
    [JsonPropertyName("items")] public required IReadOnlyList<PurchaseItem> Items { get; init; }
    [JsonPropertyName("context")] public required string Context { get; init; }
    /// <value>The buyer object, or the string <c>wallet</c> when the Link wallet's details are used.</value>
    [JsonPropertyName("buyer")] public required object Buyer { get; init; }
    /// <value>The shipping address object, or the string <c>wallet</c>.</value>
    [JsonPropertyName("shipping")] public required object Shipping { get; init; }
    [JsonPropertyName("callback_url")] public string? CallbackUrl { get; init; }
    [JsonPropertyName("metadata")] public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("schedule_id")] public string? ScheduleId { get; init; }
    [JsonPropertyName("spend_request_id")] public string? SpendRequestId { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; }
    [JsonPropertyName("updated_at")] public DateTimeOffset UpdatedAt { get; init; }
    [JsonPropertyName("outcome")] public PurchaseOutcome? Outcome { get; init; }
    /// <value>The append-only timeline, oldest first; absent in lists and webhooks.</value>
    [JsonPropertyName("timeline")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<TimelineEntryView>? Timeline { get; init; }

    public const string Wallet = "wallet";

    public static PurchaseView From(PurchaseRecord record, IReadOnlyList<PurchaseEvent>? timeline) => new()
    {
        Id = record.Id,
        Status = record.Status,
        Recipe = record.Recipe,
        MerchantUrl = record.Request.MerchantUrl,
        Amount = record.Request.Amount,
        Currency = record.Request.Currency,
        Items = record.Request.Items,
        Context = record.Request.Context,
        Buyer = record.Request.Buyer is { } buyer ? buyer : Wallet,
        Shipping = record.Request.Shipping is { } shipping ? shipping : Wallet,
        CallbackUrl = record.Request.CallbackUrl,
        Metadata = record.Request.Metadata ?? new Dictionary<string, string>(),
        ScheduleId = record.ScheduleId,
        SpendRequestId = record.SpendRequestId,
        CreatedAt = record.CreatedAt,
        UpdatedAt = record.UpdatedAt == default ? record.CreatedAt : record.UpdatedAt,
        Outcome = record.Outcome,
        Timeline = timeline?.Select(e => new TimelineEntryView(e.At, e.Kind, e.Message, e.DurationMs)).ToList(),
    };
}

/// <summary>A page of purchases, newest first; pass the last id as <c>starting_after</c> for the next page.</summary>
public sealed record PurchasePage(
    [property: JsonPropertyName("data")] IReadOnlyList<PurchaseView> Data,
    [property: JsonPropertyName("has_more")] bool HasMore)
{
    [JsonPropertyName("object")] public string Kind { get; init; } = "list";
}
