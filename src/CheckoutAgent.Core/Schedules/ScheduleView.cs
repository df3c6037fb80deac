using System.Text.Json;
using System.Text.Json.Serialization;

namespace CheckoutAgent.Core.Schedules;

/// <summary>A schedule as the API shows it.</summary>
public sealed record ScheduleView
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Kind { get; init; } = "schedule";
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <value>The Quartz cron expression (a 5-field crontab expression sent at creation shows in its converted form).</value>
    [JsonPropertyName("cron")] public required string Cron { get; init; }
    /// <value>IANA time zone the cron expression is read in.</value>
    [JsonPropertyName("time_zone")] public required string TimeZone { get; init; }
    [JsonPropertyName("paused")] public bool Paused { get; init; }
    /// <value>The purchase body submitted on every fire, as it was sent.</value>
    [JsonPropertyName("purchase")] public required JsonElement Purchase { get; init; }
    /// <value>When the next purchase is due (UTC); null while paused.</value>
    [JsonPropertyName("next_fire_at")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public DateTimeOffset? NextFireAt { get; init; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; }
    [JsonPropertyName("updated_at")] public DateTimeOffset UpdatedAt { get; init; }

    public static ScheduleView From(ScheduleRecord record, DateTimeOffset? nextFireAt) => new()
    {
        Id = record.Id,
        Name = record.Name,
        Cron = record.Cron,
        TimeZone = record.TimeZone,
        Paused = record.Paused,
        Purchase = JsonSerializer.Deserialize<JsonElement>(record.PurchaseJson),
        NextFireAt = record.Paused ? null : nextFireAt?.ToUniversalTime(),
        CreatedAt = record.CreatedAt,
        UpdatedAt = record.UpdatedAt,
    };
}

/// <summary><c>{"object": "list", "data": [...], "has_more": false}</c>: an agent's schedules, oldest first, all of them.</summary>
public sealed record ScheduleList([property: JsonPropertyName("data")] IReadOnlyList<ScheduleView> Data)
{
    [JsonPropertyName("object")] public string Kind { get; } = "list";
    [JsonPropertyName("has_more")] public bool HasMore { get; }
}

/// <summary><c>{"id": …, "object": "schedule", "deleted": true}</c>.</summary>
public sealed record ScheduleDeleted([property: JsonPropertyName("id")] string Id)
{
    [JsonPropertyName("object")] public string Kind { get; } = "schedule";
    [JsonPropertyName("deleted")] public bool Deleted { get; } = true;
}
