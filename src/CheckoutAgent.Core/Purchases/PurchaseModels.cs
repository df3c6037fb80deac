using System.Text.Json.Serialization;

namespace CheckoutAgent.Core.Purchases;

/// <summary>What to buy, for whom, and why. Holds no card data: the card comes from Link at checkout time.</summary>
public sealed record PurchaseRequest
{
    /// <value>Recipe name: a file <c>recipes/NAME.yaml</c>.</value>
    public required string Recipe { get; init; }

    /// <value>The storefront the card is scoped to. Null: the recipe's <c>merchant.url</c>.</value>
    public string? MerchantUrl { get; init; }

    /// <value>What is bought.</value>
    public required IReadOnlyList<PurchaseItem> Items { get; init; }

    /// <value>The amount to approve, in cents; the page's total must match it before the final click.</value>
    public required long Amount { get; init; }

    /// <value>Lower-case ISO currency.</value>
    public string Currency { get; init; } = "usd";

    /// <value>What the person reads in the Link app before approving (at least 100 characters).</value>
    public required string Context { get; init; }

    /// <value>Who buys: email and name for the merchant's form. Null: the Link wallet's own name, email and phone.</value>
    public Buyer? Buyer { get; init; }

    /// <value>Where it ships. Null: the Link wallet's default shipping address.</value>
    public ShippingAddress? Shipping { get; init; }

    /// <value>Where outcome webhooks go (https, or http to a loopback host). Null: no webhooks.</value>
    public string? CallbackUrl { get; init; }

    /// <value>The caller's own key/value pairs, stored and returned as given (at most 20 keys).</value>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

public sealed record PurchaseItem(string Name, int Quantity, long UnitAmount, string? ProductUrl);

public sealed record Buyer(string Email, string Name, string? Phone = null);

public sealed record ShippingAddress(
    string Name, string Line1, string? Line2, string City, string? State, string PostalCode, string Country);

/// <summary>Where a purchase stands. Stored as its snake_case name.</summary>
public static class PurchaseStatus
{
    public const string Queued = "queued";
    public const string AwaitingApproval = "awaiting_approval";
    public const string CheckingOut = "checking_out";
    /// <summary>Recorded just before the final click: a purchase found here after a crash is never clicked again.</summary>
    public const string Submitting = "submitting";
    /// <summary>
    /// After the final click the bank asked the card holder to confirm (3-D Secure): the page stays open while the
    /// worker waits. Like <see cref="Submitting"/>, a purchase found here after a crash is never clicked again.
    /// </summary>
    public const string AwaitingAuthentication = "awaiting_authentication";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    /// <summary>The final click may have happened but its result is unknown: a person must reconcile it.</summary>
    public const string OutcomeUnknown = "outcome_unknown";

    public static bool IsTerminal(string status) => status is Succeeded or Failed or OutcomeUnknown;
}

/// <summary>The failure codes a purchase can end with (besides <c>step_failed:N</c>).</summary>
public static class FailureCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string RecipeInvalid = "recipe_invalid";
    public const string LinkError = "link_error";
    public const string ApprovalDenied = "approval_denied";
    public const string ApprovalExpired = "approval_expired";
    public const string ApprovalTimeout = "approval_timeout";
    public const string Canceled = "canceled";
    public const string CardUnavailable = "card_unavailable";
    public const string BrowserUnavailable = "browser_unavailable";
    public const string CardDeclined = "card_declined";
    public const string TotalMismatch = "total_mismatch";
    public const string OriginViolation = "origin_violation";
    public const string OutcomeUnknown = "outcome_unknown";
    public const string InterruptedWhileSubmitting = "interrupted_while_submitting";
    /// <summary>The owner's policy refused it (limit, budget, merchant or pause); Link was never asked.</summary>
    public const string PolicyRefused = "policy_refused";
    public const string WalletDetailsUnavailable = "wallet_details_unavailable";
    /// <summary>The recipe signs in at the shop and no usable account is stored for its host (or the sign-in was refused).</summary>
    public const string LoginRequired = "login_required";
    /// <summary>The worker hit an unexpected error before the final click; the log holds the details under the purchase id.</summary>
    public const string InternalError = "internal_error";
    /// <summary>After the final click the card holder's confirmation (3-D Secure) was refused or failed, or the merchant declined after it.</summary>
    public const string AuthenticationFailed = "authentication_failed";
    /// <summary>After the final click nobody confirmed the payment (3-D Secure) before <c>Browser:AuthenticationTimeout</c>.</summary>
    public const string AuthenticationTimeout = "authentication_timeout";
    /// <summary>Link needs the person to do something first (identity check, update a payment method, ...): the message says what.</summary>
    public const string LinkActionRequired = "link_action_required";
    /// <summary>Link kept refusing to create the spend request for its rate limits; nothing was bought.</summary>
    public const string LinkRateLimited = "link_rate_limited";

    public static string StepFailed(int step) => $"step_failed:{step}";
}

/// <summary>How long one named part of a purchase took.</summary>
public sealed record Timing(string Name, long Milliseconds);

/// <summary>How a purchase ended: what is reported to the caller. Card: brand and last 4 only.</summary>
public sealed record PurchaseOutcome
{
    [JsonPropertyName("purchase_id")] public required string PurchaseId { get; init; }
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("order_number")] public string? OrderNumber { get; init; }
    [JsonPropertyName("amount")] public long Amount { get; init; }
    [JsonPropertyName("currency")] public string Currency { get; init; } = "usd";
    [JsonPropertyName("charged_total")] public string? ChargedTotal { get; init; }
    [JsonPropertyName("spend_request_id")] public string? SpendRequestId { get; init; }
    [JsonPropertyName("card_brand")] public string? CardBrand { get; init; }
    [JsonPropertyName("card_last4")] public string? CardLast4 { get; init; }
    [JsonPropertyName("screenshot_path")] public string? ScreenshotPath { get; init; }
    /// <value>When a checkout stopped short: the page's address (no query), title and the start of its text, card-like numbers masked.</value>
    [JsonPropertyName("page")] public string? Page { get; init; }
    [JsonPropertyName("timings")] public IReadOnlyList<Timing> Timings { get; init; } = [];
    /// <value>What the card holder was (or is) asked to do after the final click (3-D Secure), else absent.</value>
    [JsonPropertyName("action")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PurchaseAction? Action { get; init; }
    /// <value>For a purchase that ended <c>outcome_unknown</c> and was then reconciled by a person: who decided what, and when; else absent.</value>
    [JsonPropertyName("reconciliation")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PurchaseReconciliation? Reconciliation { get; init; }
}

/// <summary>
/// A confirmation the card holder is asked for after the final click (3-D Secure), as Link describes it: shown in the
/// <c>purchase.action_required</c> webhook while the worker waits, and kept in the final outcome.
/// </summary>
/// <param name="Type">Link's <c>next_action.type</c>, e.g. <c>three_d_secure</c>.</param>
/// <param name="Message">Link's <c>display_message</c> for the person.</param>
/// <param name="ActionUrl">Where the person confirms, when Link gives one.</param>
/// <param name="Deadline">When the worker stops waiting (<c>Browser:AuthenticationTimeout</c> after the challenge showed).</param>
public sealed record PurchaseAction(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("action_url")] string? ActionUrl,
    [property: JsonPropertyName("deadline")] DateTimeOffset Deadline);

/// <summary>One entry of a purchase's append-only timeline.</summary>
public sealed record PurchaseEvent(string PurchaseId, DateTimeOffset At, string Kind, string Message, long? DurationMs = null);

/// <summary>A purchase as stored.</summary>
/// <param name="AgentId">The agent that queued it (null for the demo and <c>recipe test</c>).</param>
/// <param name="ScheduleId">The schedule that fired it, if any.</param>
public sealed record PurchaseRecord(
    string Id, string Status, string Recipe, PurchaseRequest Request, string? SpendRequestId, PurchaseOutcome? Outcome,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt = default, string? AgentId = null, string? ScheduleId = null);
