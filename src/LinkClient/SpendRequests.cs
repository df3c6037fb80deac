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
    /// <summary>Link needs something more (identity check, 3-D Secure, ...).</summary>
    RequiresAction,
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
        _ => throw new LinkException("UNKNOWN_STATUS", $"Link returned an unknown spend request status '{status}'."),
    };

    /// <summary>True when polling should stop: the request will not change on its own any more.</summary>
    public static bool IsTerminal(this SpendRequestStatus status) =>
        status is not (SpendRequestStatus.Created or SpendRequestStatus.PendingApproval);
}

/// <summary>One line of what is bought, shown to the person when they approve.</summary>
/// <param name="Name">Product name (required).</param>
/// <param name="Quantity">How many.</param>
/// <param name="UnitAmount">Price of one, in the smallest currency unit (cents).</param>
/// <param name="ProductUrl">Optional link to the product page.</param>
public sealed record LineItem(string Name, int Quantity, long UnitAmount, string? ProductUrl = null);

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
}

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
}

/// <summary>
/// The Link wallet, whichever way it is reached (the real <c>link-cli</c>, or the in-process sandbox).
/// </summary>
public interface ILinkClient
{
    /// <summary>The person's funding sources.</summary>
    Task<IReadOnlyList<PaymentMethod>> ListPaymentMethodsAsync(CancellationToken cancellationToken);

    /// <summary>Validates locally, then creates a spend request (and asks for approval when requested).</summary>
    /// <exception cref="LinkException">Code <c>INVALID_REQUEST</c> naming the field when validation fails; nothing is sent.</exception>
    Task<SpendRequest> CreateSpendRequestAsync(SpendRequestCreateOptions options, CancellationToken cancellationToken);

    /// <summary>Reads a spend request once, without card data.</summary>
    /// <exception cref="LinkException">Code <c>NOT_FOUND</c> for an unknown id.</exception>
    Task<SpendRequest> RetrieveSpendRequestAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Polls the same spend request every <paramref name="interval"/> until it is terminal or <paramref name="deadline"/>
    /// passes. When it ends <c>approved</c> with a card, the card is written to <paramref name="cardOutputFile"/>
    /// (created exclusively, mode 0600, never through a symlink) and only brand, last 4 and the file path are returned.
    /// </summary>
    /// <exception cref="LinkException">Code <c>POLLING_TIMEOUT</c> when the deadline passes while still pending:
    /// the request is alive, poll it again; never create a second one.</exception>
    Task<SpendRequest> WaitForApprovalAsync(string id, string cardOutputFile, TimeSpan interval, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>Cancels a spend request (from created, pending_approval or approved; an approved card dies).</summary>
    Task<SpendRequest> CancelSpendRequestAsync(string id, CancellationToken cancellationToken);
}
