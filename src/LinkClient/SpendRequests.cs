namespace CheckoutAgent.Link;

/// <summary>The lifecycle states of a Link spend request, as Link reports them.</summary>
public enum SpendRequestStatus
{
    /// <summary>Created, approval not yet requested.</summary>
    Created,
    /// <summary>Waiting for the person to approve or deny in the Link app.</summary>
    PendingApproval,
    /// <summary>Approved: the credential can be retrieved.</summary>
    Approved,
    /// <summary>The person declined.</summary>
    Denied,
    /// <summary>Nobody answered within the approval window.</summary>
    Expired,
    /// <summary>The credential was used successfully.</summary>
    Succeeded,
    /// <summary>The credential was used and the payment failed.</summary>
    Failed,
    /// <summary>The caller canceled the request.</summary>
    Canceled,
    /// <summary>Link needs something more (identity check, 3-D Secure, ...): <see cref="SpendRequest.NextAction"/> says what.</summary>
    RequiresAction,
    /// <summary>The credential was presented to a merchant and the payment is in progress (newer Link; not in link-cli 0.13.1's types).</summary>
    Submitted,
}

/// <summary>Helpers for <see cref="SpendRequestStatus"/>.</summary>
public static class SpendRequestStatuses
{
    /// <summary>The wire name Link uses for a status (<c>pending_approval</c>, ...).</summary>
    public static string ToWire(this SpendRequestStatus status) => status switch
    {
        SpendRequestStatus.Created => "created",
        SpendRequestStatus.PendingApproval => "pending_approval",
        SpendRequestStatus.Approved => "approved",
        SpendRequestStatus.Denied => "denied",
        SpendRequestStatus.Expired => "expired",
        SpendRequestStatus.Succeeded => "succeeded",
        SpendRequestStatus.Failed => "failed",
        SpendRequestStatus.Canceled => "canceled",
        SpendRequestStatus.RequiresAction => "requires_action",
        SpendRequestStatus.Submitted => "submitted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>Parses a wire name; throws <see cref="LinkException"/> with code <c>UNKNOWN_STATUS</c> otherwise.</summary>
    public static SpendRequestStatus FromWire(string status) => status switch
    {
        "created" => SpendRequestStatus.Created,
        "pending_approval" => SpendRequestStatus.PendingApproval,
        "approved" => SpendRequestStatus.Approved,
        "denied" => SpendRequestStatus.Denied,
        "expired" => SpendRequestStatus.Expired,
        "succeeded" => SpendRequestStatus.Succeeded,
        "failed" => SpendRequestStatus.Failed,
        "canceled" => SpendRequestStatus.Canceled,
        "requires_action" => SpendRequestStatus.RequiresAction,
        "submitted" => SpendRequestStatus.Submitted,
        _ => throw new LinkException("UNKNOWN_STATUS", $"Link returned an unknown spend request status '{status}'."),
    };

    /// <summary>True when polling should stop on the status alone: the request will not change on its own any more.
    /// A <c>requires_action</c> request may still resume by itself: see <see cref="IsWaiting"/>.</summary>
    public static bool IsTerminal(this SpendRequestStatus status) =>
        status is not (SpendRequestStatus.Created or SpendRequestStatus.PendingApproval);

    /// <summary>
    /// True while waiting is the right thing to do: before an answer (<c>created</c>, <c>pending_approval</c>), and
    /// through <c>requires_action</c> whose resolution is <c>auto_resume</c> (a 3-D Secure confirmation: the request
    /// carries on by itself once the person confirms). Any other <c>requires_action</c> needs the person and a new
    /// spend request; it is never waited on.
    /// </summary>
    public static bool IsWaiting(this SpendRequest request) =>
        !request.Status.IsTerminal()
        || (request.Status == SpendRequestStatus.RequiresAction && request.NextAction?.Resolution == NextActionResolutions.AutoResume);
}

/// <summary>Link's <c>next_action.resolution</c> values.</summary>
public static class NextActionResolutions
{
    /// <summary>Keep polling the same request: it resumes by itself once the person acts (3-D Secure).</summary>
    public const string AutoResume = "auto_resume";
    /// <summary>The request is dead: the person acts, then a new spend request is needed.</summary>
    public const string CreateNewSpendRequest = "create_new_spend_request";
    /// <summary>As <see cref="CreateNewSpendRequest"/>, once the action is complete.</summary>
    public const string CreateNewSpendRequestAfterCompletion = "create_new_spend_request_after_completion";
}

/// <summary>Link's <c>next_action.type</c> values (link-cli's SDK types).</summary>
public static class NextActionTypes
{
    /// <summary>The card holder confirms the payment with their bank (here: in the Link app); resolves by <c>auto_resume</c>.</summary>
    public const string ThreeDSecure = "three_d_secure";
    /// <summary>The 3-D Secure confirmation failed; a new spend request is needed.</summary>
    public const string ThreeDSecureRetry = "three_d_secure_retry";
    /// <summary>The person must verify their identity.</summary>
    public const string IdentityVerification = "identity_verification";
    /// <summary>The payment method must be updated.</summary>
    public const string UpdatePaymentMethod = "update_payment_method";
}

/// <summary>One line of what is bought, shown to the person when they approve.</summary>
/// <param name="Name">Product name (required).</param>
/// <param name="Quantity">How many.</param>
/// <param name="UnitAmount">Price of one, in the smallest currency unit (cents).</param>
/// <param name="ProductUrl">Optional link to the product page.</param>
public sealed record LineItem(string Name, int Quantity, long UnitAmount, string? ProductUrl = null)
{
    /// <value>Optional link for the item (<c>url</c>).</value>
    public string? Url { get; init; }
    /// <value>Optional picture shown to the person (<c>image_url</c>).</value>
    public string? ImageUrl { get; init; }
    /// <value>Optional description (<c>description</c>).</value>
    public string? Description { get; init; }
    /// <value>Optional merchant SKU (<c>sku</c>).</value>
    public string? Sku { get; init; }
}

/// <summary>One total line (type <c>total</c>, <c>shipping</c>, <c>tax</c>, ...).</summary>
public sealed record Total(string Type, string DisplayText, long Amount);

/// <summary>What to ask the person's wallet for. Mirrors <c>link-cli spend-request create</c>.</summary>
public sealed class SpendRequestCreateOptions
{
    /// <value>The funding source (<c>csmrpd_…</c>); null lets Link pick the default.</value>
    public string? PaymentMethodId { get; init; }

    /// <value><c>card</c> (default) or <c>shared_payment_token</c>.</value>
    public string CredentialType { get; init; } = "card";

    /// <value>Integer cents, 1..50000.</value>
    public long Amount { get; init; }

    /// <value>Three-letter ISO code, lower case on the wire. Default <c>usd</c>.</value>
    public string Currency { get; init; } = "usd";

    /// <value>Required for card credentials, forbidden for shared payment tokens.</value>
    public string? MerchantName { get; init; }

    /// <value>The storefront the card is scoped to. Required for card credentials.</value>
    public string? MerchantUrl { get; init; }

    /// <value>Network id, required for shared payment tokens only.</value>
    public string? NetworkId { get; init; }

    /// <value>What the person reads before approving: at least 100 characters.</value>
    public string Context { get; init; } = "";

    /// <value>What is bought.</value>
    public IReadOnlyList<LineItem> LineItems { get; init; } = [];

    /// <value>Total lines.</value>
    public IReadOnlyList<Total> Totals { get; init; } = [];

    /// <value>Ask for approval right away (default true).</value>
    public bool RequestApproval { get; init; } = true;

    /// <value>Test mode: no real funds move.</value>
    public bool Test { get; init; }

    /// <value>Free key/value pairs stored with the request (Link documents at most 50 keys, keys up to 40 characters,
    /// values up to 500).</value>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <value>When an unanswered request should expire, if earlier than Link's default window.</value>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>Changes to a spend request that is not yet approved. Null fields are left as they are.
/// Mirrors <c>link-cli spend-request update</c>.</summary>
public sealed class SpendRequestUpdate
{
    /// <value>New amount in integer cents, 1..50000.</value>
    public long? Amount { get; init; }
    /// <value>New three-letter currency.</value>
    public string? Currency { get; init; }
    /// <value>New merchant URL (card credentials).</value>
    public string? MerchantUrl { get; init; }
    /// <value>Another funding source from the wallet.</value>
    public string? PaymentMethodId { get; init; }
    /// <value>Replacement line items.</value>
    public IReadOnlyList<LineItem>? LineItems { get; init; }
    /// <value>Replacement totals.</value>
    public IReadOnlyList<Total>? Totals { get; init; }

    /// <value>True when no field is set: such an update is refused rather than sent.</value>
    public bool IsEmpty => Amount is null && Currency is null && MerchantUrl is null && PaymentMethodId is null
        && LineItems is null && Totals is null;
}

/// <summary>What Link asks the person (or the agent) to do before a <c>requires_action</c> request can go on.</summary>
/// <param name="Type">e.g. <c>three_d_secure</c>, <c>identity_verification</c>, <c>add_payment_method</c>.</param>
/// <param name="Resolution"><c>auto_resume</c> (keep polling), <c>create_new_spend_request</c> or
/// <c>create_new_spend_request_after_completion</c>.</param>
/// <param name="DisplayMessage">Text for the person.</param>
/// <param name="ActionUrl">Where the person completes the action, if anywhere.</param>
public sealed record NextAction(string Type, string Resolution, string? DisplayMessage, string? ActionUrl)
{
    /// <value>When the action stops being possible (<c>expires_at</c>), if Link says.</value>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>The answer to <c>request-approval</c>: where the person approves.</summary>
/// <param name="Id">The spend request id.</param>
/// <param name="Link">The approval link to show the person.</param>
public sealed record ApprovalLink(string Id, string Link);

/// <summary>A spend request as the client sees it. Never holds card number or CVC.</summary>
public sealed record SpendRequest
{
    /// <value><c>lsrq_…</c></value>
    public required string Id { get; init; }
    /// <value>Current status.</value>
    public required SpendRequestStatus Status { get; init; }
    /// <value>Approved amount in cents.</value>
    public long Amount { get; init; }
    /// <value>Lower-case currency code.</value>
    public string Currency { get; init; } = "usd";
    /// <value>Merchant name, for card credentials.</value>
    public string? MerchantName { get; init; }
    /// <value>Merchant URL the card is scoped to.</value>
    public string? MerchantUrl { get; init; }
    /// <value>The context text the person read.</value>
    public string? Context { get; init; }
    /// <value>What is bought.</value>
    public IReadOnlyList<LineItem> LineItems { get; init; } = [];
    /// <value>Total lines.</value>
    public IReadOnlyList<Total> Totals { get; init; } = [];
    /// <value>When Link created it.</value>
    public DateTimeOffset CreatedAt { get; init; }
    /// <value>When an unanswered request expires.</value>
    public DateTimeOffset? ExpiresAt { get; init; }
    /// <value>Where the person approves (the Link app's deep link).</value>
    public string? ApprovalUrl { get; init; }
    /// <value>Brand of the issued card, once approved.</value>
    public string? CardBrand { get; init; }
    /// <value>Last four digits of the issued card, once approved.</value>
    public string? CardLast4 { get; init; }
    /// <value>Absolute path of the 0600 card file, when the card was written to one.</value>
    public string? CardOutputFile { get; init; }
    /// <value>The funding source used (<c>payment_details</c>, <c>csmrpd_…</c>).</value>
    public string? PaymentMethodId { get; init; }
    /// <value><c>card</c> or <c>shared_payment_token</c>.</value>
    public string CredentialType { get; init; } = SpendRequestValidator.CardCredential;
    /// <value>Payment network id, for shared payment tokens.</value>
    public string? NetworkId { get; init; }
    /// <value>When Link last changed it.</value>
    public DateTimeOffset? UpdatedAt { get; init; }
    /// <value>The Shared Payment Token's id (<c>spt_…</c>), once approved and only when asked for.</value>
    public string? SharedPaymentToken { get; init; }
    /// <value>What must happen before a <c>requires_action</c> request can go on.</value>
    public NextAction? NextAction { get; init; }
    /// <value>Key/value pairs stored with the request.</value>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    /// <value>Whether this was a test-mode request.</value>
    public bool Test { get; init; }
}

/// <summary>A funding source in the person's wallet.</summary>
public sealed record PaymentMethod(string Id, string Type, bool IsDefault, string? Nickname, string? Brand, string? Last4);

/// <summary>
/// An error from Link or from local validation. <see cref="Code"/> is stable and meant for programs to branch on
/// (the CLI's <c>code</c>, or ours for local validation, e.g. <c>INVALID_REQUEST</c>). Messages never contain card data.
/// </summary>
public sealed class LinkException : Exception
{
    /// <summary>Creates an error with a stable code.</summary>
    public LinkException(string code, string message, string? field = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Field = field;
    }

    /// <summary>Creates an <c>UNKNOWN</c> error.</summary>
    public LinkException() : this("UNKNOWN", "Link error.") { }

    /// <summary>Creates an <c>UNKNOWN</c> error.</summary>
    public LinkException(string message) : this("UNKNOWN", message) { }

    /// <summary>Creates an <c>UNKNOWN</c> error.</summary>
    public LinkException(string message, Exception inner) : this("UNKNOWN", message, null, inner) { }

    /// <value>Stable error code, e.g. <c>INVALID_REQUEST</c>, <c>NOT_FOUND</c>, <c>POLLING_TIMEOUT</c>.</value>
    public string Code { get; }

    /// <value>The offending field for validation errors (e.g. <c>context</c>), else null.</value>
    public string? Field { get; }

    /// <value>For <see cref="LinkErrorCodes.RateLimited"/>: the id of the matching spend request Link already holds
    /// (<c>error.duplicate_spend_request</c>), when it named one. Retrieve it to resume instead of creating another.</value>
    public string? DuplicateSpendRequestId { get; init; }

    /// <value>True when the same call may succeed later unchanged (a 429, a 5xx): the caller may wait and repeat it.</value>
    public bool Retryable { get; init; }
}
