using System.ComponentModel.DataAnnotations;
using CheckoutAgent.Core.Schedules;

namespace CheckoutAgent.Worker.RecipeHealth;

/// <summary>Where one recipe's health check walks, when not at the recipe's own <c>merchant.url</c>.</summary>
public sealed class RecipeCheckTarget
{
    /// <value>The merchant's address (default: the recipe's <c>merchant.url</c>).</value>
    public string? MerchantUrl { get; set; }

    /// <value>The product page behind <c>${job.product_url}</c> (default: the merchant's address).</value>
    public string? ProductUrl { get; set; }
}

/// <summary>
/// <c>Recipes:HealthCheck</c>: walking each recipe at its merchant on a schedule, up to just before its first card or
/// account step, so a merchant that changed its checkout is noticed before a real purchase fails on it. Off by default.
/// </summary>
public sealed class RecipeHealthOptions : IValidatableObject
{
    public const string SectionName = "Recipes:HealthCheck";

    /// <value>When to check every recipe: a Quartz cron (seconds first) or a 5-field crontab line, e.g. <c>0 0 6 * * ?</c>
    /// for 06:00 daily. Empty (the default): no scheduled checks; <c>recipe check NAME</c> still runs one.</value>
    public string? Cron { get; set; }

    /// <value>The IANA time zone of <see cref="Cron"/>. Default UTC.</value>
    public string TimeZone { get; set; } = "UTC";

    /// <value>The recipes the schedule checks. Default: every recipe in the recipes folder.</value>
    public List<string> Recipes { get; set; } = [];

    /// <value>Per recipe name: where to walk it (a shop's test product, a staging address).</value>
    public Dictionary<string, RecipeCheckTarget> Targets { get; set; } = new(StringComparer.Ordinal);

    /// <value>Where a <c>recipe.broken</c> event is POSTed when a recipe's check starts failing. Default: none (the
    /// console and <c>GET /v1/recipes/health</c> still show it). The same callback rules as purchase webhooks apply
    /// (<c>Webhooks:AllowPrivateNetworks</c>, <c>Webhooks:AllowedTargets</c>).</value>
    public string? WebhookUrl { get; set; }

    /// <value>Signs <c>recipe.broken</c> events (header <c>CheckoutAgent-Signature</c>, as purchase webhooks). Default:
    /// none (unsigned). Give it through the environment or a secrets file, not appsettings.json.</value>
    public string? WebhookSecret { get; set; }

    /// <value>The longest one recipe's check may take. Default 2 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:05", "00:30:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <value>True when <see cref="Cron"/> is set.</value>
    public bool Scheduled => !string.IsNullOrWhiteSpace(Cron);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Scheduled && ScheduleCron.Parse(Cron!).Problem is { } problem)
        {
            yield return new ValidationResult($"{SectionName}:Cron {problem}; give {ScheduleCron.Expected}", [nameof(Cron)]);
        }
        if (CheckoutAgent.Core.Intake.ScheduleBody.FindZone(TimeZone) is null)
        {
            yield return new ValidationResult($"{SectionName}:TimeZone '{TimeZone}' is not a known IANA time zone, e.g. Europe/Berlin or UTC", [nameof(TimeZone)]);
        }
        if (WebhookUrl is { Length: > 0 } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"{SectionName}:WebhookUrl must be an absolute http(s) URL", [nameof(WebhookUrl)]);
        }
        foreach (var (name, target) in Targets)
        {
            foreach (var (key, value) in new[] { ("MerchantUrl", target.MerchantUrl), ("ProductUrl", target.ProductUrl) })
            {
                if (value is { Length: > 0 } && (!Uri.TryCreate(value, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https")))
                {
                    yield return new ValidationResult($"{SectionName}:Targets:{name}:{key} must be an absolute http(s) URL", [nameof(Targets)]);
                }
            }
        }
    }
}
