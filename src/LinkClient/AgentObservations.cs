namespace CheckoutAgent.Link;

/// <summary>Outcomes an agent reports to Link about a purchase attempt.</summary>
public static class ObservationOutcomes
{
    /// <summary>The purchase went through.</summary>
    public const string Success = "success";
    /// <summary>Something stopped the agent (captcha, 3-D Secure, decline, ...).</summary>
    public const string Blocked = "blocked";
    /// <summary>The agent gave up on its own (canceled, out of stock, price changed, ...).</summary>
    public const string Abandoned = "abandoned";

    /// <value>All three, as accepted on the wire.</value>
    public static IReadOnlyList<string> All { get; } = [Success, Blocked, Abandoned];
}

/// <summary>Common tags for <see cref="AgentObservation.Tags"/>.</summary>
public static class ObservationTags
{
    /// <summary>The merchant showed a captcha.</summary>
    public const string Captcha = "captcha";
    /// <summary>The bank asked for a 3-D Secure challenge.</summary>
    public const string ThreeDsChallenge = "3ds_challenge";
    /// <summary>The payment was declined.</summary>
    public const string PaymentDeclined = "payment_declined";
    /// <summary>The item was out of stock.</summary>
    public const string OutOfStock = "out_of_stock";
    /// <summary>The merchant required a login.</summary>
    public const string LoginRequired = "login_required";
    /// <summary>The total at the merchant differed from the approved amount.</summary>
    public const string TotalMismatch = "total_mismatch";
    /// <summary>Something timed out (with <see cref="ThreeDsChallenge"/>: nobody confirmed the payment in time).</summary>
    public const string Timeout = "timeout";
    /// <summary>Blocked by a web application firewall.</summary>
    public const string WafBlock = "waf_block";
    /// <summary>The merchant's site returned an error.</summary>
    public const string SiteError = "site_error";
    /// <summary>Rate limited by the merchant.</summary>
    public const string RateLimited = "rate_limited";
    /// <summary>None of the others; say what in the free-form context.</summary>
    public const string Other = "other";
}

/// <summary>A report to Link about how a purchase went (<c>link-cli report</c>).</summary>
public sealed class AgentObservation
{
    /// <value>The merchant's domain, e.g. <c>shop.example</c>.</value>
    public required string Domain { get; init; }
    /// <value>One of <see cref="ObservationOutcomes"/>.</value>
    public required string Outcome { get; init; }
    /// <value>The spend request the attempt used.</value>
    public required string SpendRequestId { get; init; }
    /// <value>What happened, e.g. <see cref="ObservationTags.Captcha"/>.</value>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <value>Where in the checkout it happened (e.g. <c>payment</c>).</value>
    public string? Step { get; init; }
    /// <value>Free text for Link's team; never put card data here.</value>
    public string? FreeformContext { get; init; }
}

/// <summary>Link's receipt for an <see cref="AgentObservation"/>; <c>ObjectType</c> is the wire field <c>object</c>.</summary>
public sealed record ObservationReceipt(string ObjectType, string CreatedAt, string Domain, string Outcome, string SpendRequestId, string Status);
