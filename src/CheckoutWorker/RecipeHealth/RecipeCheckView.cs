using System.Text.Json.Serialization;

namespace CheckoutAgent.Worker.RecipeHealth;

/// <summary>A recipe health check as the API, the console and <c>recipe.broken</c> show it. Holds no typed value.</summary>
public sealed record RecipeCheckView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("recipe")] string Recipe,
    [property: JsonPropertyName("checked_at")] DateTimeOffset CheckedAt,
    [property: JsonPropertyName("passed")] bool Passed,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("failed_step")] int? FailedStep,
    [property: JsonPropertyName("step")] string? Step,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("page")] string? Page,
    [property: JsonPropertyName("has_screenshot")] bool HasScreenshot,
    [property: JsonPropertyName("duration_ms")] long DurationMs,
    [property: JsonPropertyName("trigger")] string Trigger,
    [property: JsonPropertyName("alert")] string? Alert)
{
    public static RecipeCheckView From(RecipeCheckRecord check)
    {
        ArgumentNullException.ThrowIfNull(check);
        return new(check.Id, check.Recipe, check.CheckedAt, check.Passed, check.Code, check.FailedStep, check.Step, check.Message,
            check.PageState, check.ScreenshotPath is { } path && File.Exists(path), check.DurationMs, check.Trigger, check.Alert);
    }
}

/// <summary>A recipe with its latest health check (null: never checked).</summary>
public sealed record RecipeHealthView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("merchant_name")] string MerchantName,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("last_check")] RecipeCheckView? LastCheck);

/// <summary>Every recipe's health, for <c>GET /v1/recipes/health</c>.</summary>
public sealed record RecipeHealthList(
    [property: JsonPropertyName("scheduled")] string? Cron,
    [property: JsonPropertyName("data")] IReadOnlyList<RecipeHealthView> Data);
