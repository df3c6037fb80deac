using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using CheckoutAgent.Core.Purchases;
using CheckoutAgent.Core.Schedules;

namespace CheckoutAgent.Core.Intake;

/// <summary>A schedule request that passed every check: cron in Quartz form, a known time zone, a valid purchase body.</summary>
/// <param name="PurchaseJson">The purchase object as sent (compact), submitted unchanged on every fire.</param>
public sealed record ScheduleDraft(string Name, string Cron, TimeZoneInfo TimeZone, string PurchaseJson, PurchaseRequest Purchase);

/// <summary>
/// The JSON body of <c>POST /v1/schedules</c>: <c>{name, cron, time_zone, purchase}</c>, checked field by field like a
/// purchase, the nested purchase's problems reported under <c>purchase.</c> (<c>purchase.items[0].quantity</c>).
/// </summary>
public static class ScheduleBody
{
    public const int MaxNameLength = 63;

    public static IReadOnlyList<string> Fields { get; } = ["name", "cron", "time_zone", "purchase"];

    public static (ScheduleDraft? Draft, IReadOnlyList<ApiError> Errors) Parse(JsonElement body, DateTimeOffset now, CallbackRules? callbacks = null)
    {
        var errors = new List<ApiError>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ApiError(ApiErrorCodes.InvalidJson, $"the body must be a JSON object with {string.Join(", ", Fields)}; got {JsonFields.Describe(body)}"));
            return (null, errors);
        }
        var fields = new JsonFields(body, "", errors);
        var name = fields.String("name", true, 1, MaxNameLength, $"1 to {MaxNameLength} lower-case letters, digits, '.', '_' or '-' such as weekly-coffee");
        if (name is not null && !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-'))
        {
            fields.Fail("name", $"name must be 1 to {MaxNameLength} lower-case letters, digits, '.', '_' or '-' such as weekly-coffee; got {JsonFields.Describe(body.GetProperty("name"))}");
            name = null;
        }

        var cronText = fields.String("cron", true, 1, 200, ScheduleCron.Expected);
        string? cron = null;
        if (cronText is not null)
        {
            var (expression, problem) = ScheduleCron.Parse(cronText);
            if (expression is null)
            {
                fields.Fail("cron", $"cron must be {ScheduleCron.Expected}; '{JsonFields.Quote(cronText)}' {problem}");
            }
            else if (expression.GetNextValidTimeAfter(now) is null)
            {
                fields.Fail("cron", $"cron '{JsonFields.Quote(cronText)}' never fires again (a year in the past?); use one such as '{ScheduleCron.Example}'");
            }
            else
            {
                cron = expression.CronExpressionString;
            }
        }

        var zoneId = fields.String("time_zone", false, 1, 64, "an IANA time zone such as Europe/Paris or America/New_York (default UTC)") ?? "UTC";
        var zone = FindZone(zoneId);
        if (zone is null && body.TryGetProperty("time_zone", out var zoneValue) && zoneValue.ValueKind == JsonValueKind.String)
        {
            fields.Fail("time_zone", $"time_zone must be an IANA time zone such as Europe/Paris, America/New_York or UTC; got {JsonFields.Describe(zoneValue)}");
        }

        string? purchaseJson = null;
        PurchaseRequest? purchase = null;
        if (fields.Any("purchase", true, $"the purchase to make on every fire: the body of POST /v1/purchases ({string.Join(", ", PurchaseBody.Fields)})") is { } element)
        {
            var (request, purchaseErrors) = PurchaseBody.Parse(element, "purchase", callbacks);
            errors.AddRange(purchaseErrors);
            if (request is not null)
            {
                purchase = request;
                purchaseJson = PurchaseBody.Compact(element);
            }
        }
        fields.RejectUnknown();
        return errors.Count > 0 || name is null || cron is null || zone is null || purchase is null
            ? (null, errors)
            : (new ScheduleDraft(name, cron, zone, purchaseJson!, purchase), errors);
    }

    /// <summary>An IANA zone known to this machine (Windows names are refused: the API speaks IANA only).</summary>
    public static TimeZoneInfo? FindZone(string id) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId ? zone : null;
}

/// <summary>
/// The shape of <c>POST /v1/schedules</c> for the OpenAPI document. The body is read by <see cref="ScheduleBody"/>,
/// which checks every field; this type only describes it.
/// </summary>
public sealed record ScheduleCreateBody
{
    [Description("1 to 63 lower-case letters, digits, '.', '_' or '-'; unique among this agent's schedules.")]
    [JsonPropertyName("name")][Required][StringLength(ScheduleBody.MaxNameLength, MinimumLength = 1)]
    public required string Name { get; init; }

    [Description("Quartz cron, seconds first (\"0 0 9 ? * MON\": 09:00 every Monday), or 5-field crontab (\"0 9 * * 1\"), which is converted to the Quartz form.")]
    [JsonPropertyName("cron")][Required]
    public required string Cron { get; init; }

    [Description("IANA time zone the cron is read in, such as Europe/Paris; default UTC.")]
    [JsonPropertyName("time_zone")]
    public string? TimeZone { get; init; }

    [Description("The purchase to submit on every fire: the body of POST /v1/purchases.")]
    [JsonPropertyName("purchase")][Required]
    public required PurchaseCreateBody Purchase { get; init; }
}
