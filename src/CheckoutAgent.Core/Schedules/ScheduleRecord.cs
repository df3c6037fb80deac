namespace CheckoutAgent.Core.Schedules;

/// <summary>One stored schedule. <paramref name="PurchaseJson"/> is the purchase body exactly as it is submitted on every fire.</summary>
public sealed record ScheduleRecord(
    string Id, string AgentId, string Name, string Cron, string TimeZone, string PurchaseJson, bool Paused,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
