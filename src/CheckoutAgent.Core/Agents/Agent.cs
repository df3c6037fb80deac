using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace CheckoutAgent.Core.Agents;

/// <summary>What an agent's token lets it do.</summary>
public static class Scopes
{
    public const string PurchasesWrite = "purchases:write";
    public const string PurchasesRead = "purchases:read";
    public const string SchedulesWrite = "schedules:write";
    /// <summary>Global pause and resume; it does not widen what purchases an agent sees.</summary>
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [PurchasesWrite, PurchasesRead, SchedulesWrite, Admin];

    /// <summary>Parses <c>purchases:write,purchases:read</c>; each problem names the bad scope and the known ones.</summary>
    public static (IReadOnlyList<string> Scopes, string? Error) Parse(string list)
    {
        var parsed = list.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal).ToList();
        if (parsed.Count == 0)
        {
            return ([], $"no scopes given; choose from {string.Join(", ", All)}");
        }
        var unknown = parsed.Where(s => !All.Contains(s, StringComparer.Ordinal)).ToList();
        return unknown.Count > 0
            ? ([], $"unknown scope(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; choose from {string.Join(", ", All)}")
            : (parsed, null);
    }
}

/// <summary>
/// What the owner allows one agent to spend, and how fast it may call. Null limits are unlimited. Budgets count every
/// purchase of the agent in the window that has not failed (in flight, succeeded or unknown), in the purchase's
/// currency, by UTC day and month. The two rate limits have defaults, so an agent made without them (or before they
/// existed) is still held; the owner lifts one with <c>none</c> (null).
/// </summary>
public sealed record AgentPolicy
{
    /// <summary>Requests a second an agent gets unless the owner says otherwise.</summary>
    public const int DefaultMaxRequestsPerSecond = 20;

    /// <summary>Purchases an hour an agent may create unless the owner says otherwise.</summary>
    public const int DefaultMaxPurchasesPerHour = 120;

    /// <summary>A policy without any limit, rate limits included.</summary>
    public static AgentPolicy Unlimited { get; } = new() { MaxRequestsPerSecond = null, MaxPurchasesPerHour = null };


    [JsonPropertyName("max_per_purchase")] public long? MaxPerPurchase { get; init; }
    [JsonPropertyName("daily_budget")] public long? DailyBudget { get; init; }
    [JsonPropertyName("monthly_budget")] public long? MonthlyBudget { get; init; }
    /// <value>Merchant hosts the agent may buy from (<c>shop.example.com</c>, or <c>*.example.com</c> for its subdomains); null: any.</value>
    [JsonPropertyName("merchants")] public IReadOnlyList<string>? Merchants { get; init; }

    /// <value>API requests per second across all the agent's tokens (a burst of that many, refilled every second); null: unlimited. Default <see cref="DefaultMaxRequestsPerSecond"/>.</value>
    [JsonPropertyName("max_requests_per_second")] public int? MaxRequestsPerSecond { get; init; } = DefaultMaxRequestsPerSecond;

    /// <value>Purchases the agent may create in any 60 minutes (replays of an Idempotency-Key not counted); null: unlimited. Default <see cref="DefaultMaxPurchasesPerHour"/>.</value>
    [JsonPropertyName("max_purchases_per_hour")] public int? MaxPurchasesPerHour { get; init; } = DefaultMaxPurchasesPerHour;
}

/// <summary>A principal of the API: one shopping agent or procurement job with its own token, scopes and policy.</summary>
public sealed record Agent(
    string Id, string Name, IReadOnlyList<string> Scopes, AgentPolicy Policy, string WebhookSecret,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool Has(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);

    /// <value>The secret replaced by the last webhook-secret rotation, still signing until <see cref="PreviousWebhookSecretUntil"/>.</value>
    public string? PreviousWebhookSecret { get; init; }

    /// <value>When the previous webhook secret stops signing.</value>
    public DateTimeOffset? PreviousWebhookSecretUntil { get; init; }

    /// <value>When the token replaced by the last rotation stops working (null: no rotation in its grace period).</value>
    public DateTimeOffset? PreviousTokenUntil { get; init; }

    /// <summary>The secrets that sign a webhook sent at <paramref name="now"/>: the current one, and the previous one during its overlap.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTimeOffset now) =>
        PreviousWebhookSecret is { } previous && PreviousWebhookSecretUntil > now ? [WebhookSecret, previous] : [WebhookSecret];

    /// <summary>Never the secret: only the agent's id and name.</summary>
    public override string ToString() => $"agent {Name} ({Id})";
}

/// <summary>An agent just created: the only moment its token exists in clear.</summary>
public sealed record NewAgent(Agent Agent, string Token);

/// <summary>Bearer tokens and webhook secrets: random, and tokens kept only as hashes.</summary>
public static class AgentSecrets
{
    public const string TokenPrefix = "cat_";
    public const string WebhookSecretPrefix = "whsec_";
    public static string NewToken() => CheckoutAgent.Link.ObjectIds.New(TokenPrefix, 40);

    public static string NewWebhookSecret() => CheckoutAgent.Link.ObjectIds.New(WebhookSecretPrefix, 32);

    /// <summary>SHA-256 of the token: tokens are 238 random bits, so a plain hash is as strong as a slow one here.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
