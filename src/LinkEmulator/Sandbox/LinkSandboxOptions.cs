using CheckoutAgent.Link.Cards;

namespace CheckoutAgent.Link.Sandbox;

/// <summary>How the sandbox's stand-in for the person answers an approval request.</summary>
public enum SandboxApprovalMode
{
    /// <summary>Approve as soon as approval is requested.</summary>
    Auto,
    /// <summary>Deny as soon as approval is requested.</summary>
    Deny,
    /// <summary>Never answer on its own: the request stays <c>pending_approval</c> until someone calls
    /// <see cref="LinkSandbox.Approve"/> or <see cref="LinkSandbox.Deny"/>, or the approval window runs out.
    /// The same as <see cref="Manual"/>; the older name, kept for the demo's <c>--approval never</c>.</summary>
    Never,
    /// <summary>A person answers (<see cref="LinkSandbox.Approve"/> / <see cref="LinkSandbox.Deny"/>, e.g. from the
    /// emulator's approval page) within <see cref="LinkSandboxOptions.ApprovalWindow"/>, or the request expires.</summary>
    Manual,
    /// <summary>Nobody is expected to answer: the request expires <see cref="LinkSandboxOptions.ExpireAfter"/> after
    /// approval was requested (an explicit approve or deny before then still counts).</summary>
    Expire,
}

/// <summary>How the sandbox's stand-in for the card holder answers a 3-D Secure confirmation after a card payment.</summary>
public enum SandboxAuthenticationMode
{
    /// <summary>Confirm <see cref="LinkSandboxOptions.AuthenticationDelay"/> after the challenge started.</summary>
    Auto,
    /// <summary>Refuse <see cref="LinkSandboxOptions.AuthenticationDelay"/> after the challenge started.</summary>
    Deny,
    /// <summary>A person answers (<see cref="LinkSandbox.ApproveAction"/> / <see cref="LinkSandbox.DenyAction"/>, e.g. on the
    /// emulator's approval page or with <c>link-sandbox approve-action</c>), or nobody does and it fails after
    /// <see cref="LinkSandboxOptions.AuthenticationWindow"/>.</summary>
    Manual,
}

/// <summary>Settings of a <see cref="LinkSandbox"/>. The defaults mirror Link's documented behaviour.</summary>
public sealed record LinkSandboxOptions
{
    /// <summary>Id of the sandbox's default funding source.</summary>
    public const string DefaultPaymentMethodId = "csmrpd_sandbox_visa";

    /// <summary>The bearer token the sandbox accepts without any login (what a pre-written auth file holds).</summary>
    public const string DefaultAccessToken = "test_access_token";

    /// <summary>The refresh token that goes with <see cref="DefaultAccessToken"/>.</summary>
    public const string DefaultRefreshToken = "test_refresh_token";

    /// <value>How approval requests are answered. Default <see cref="SandboxApprovalMode.Auto"/>.</value>
    public SandboxApprovalMode Approval { get; init; } = SandboxApprovalMode.Auto;

    /// <value>How long a request may wait for an answer before it expires. Default 30 minutes, as on Link.</value>
    public TimeSpan ApprovalWindow { get; init; } = TimeSpan.FromMinutes(30);

    /// <value>In <see cref="SandboxApprovalMode.Expire"/>: how long after approval was requested the request expires.
    /// Default 5 seconds.</value>
    public TimeSpan ExpireAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <value>How long an issued card or Shared Payment Token can be used after approval (its <c>valid_until</c>).
    /// Default 12 hours, Link's newer documented validity (link-cli 0.13.1's README said 30 minutes).</value>
    public TimeSpan CardValidity { get; init; } = TimeSpan.FromHours(12);

    /// <value>How a 3-D Secure confirmation asked for by a merchant (<see cref="LinkSandbox.Authorize(string, string, int, int, string, long, string, bool)"/>
    /// with <c>threeDSecure</c>) is answered. Default <see cref="SandboxAuthenticationMode.Auto"/>.</value>
    public SandboxAuthenticationMode Authentication { get; init; } = SandboxAuthenticationMode.Auto;

    /// <value>In <see cref="SandboxAuthenticationMode.Auto"/> and <see cref="SandboxAuthenticationMode.Deny"/>: how long
    /// the card holder takes to answer, so that <c>requires_action</c> can be seen meanwhile. Default 1 second.</value>
    public TimeSpan AuthenticationDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <value>How long a 3-D Secure confirmation waits for the card holder before the payment fails. Default 10 minutes.</value>
    public TimeSpan AuthenticationWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <value>Refuse a create that repeats an open spend request (same credential, amount, currency, merchant, context
    /// and metadata) with <see cref="LinkErrorCodes.RateLimited"/> naming the open one, as Link answers HTTP 429.
    /// Default false, so tests and benchmarks may repeat a request; <c>link-sandbox serve</c> turns it on.</value>
    public bool RejectDuplicates { get; init; }

    /// <value>Most spend requests created in any hour; more are refused with <see cref="LinkErrorCodes.RateLimited"/>.
    /// Null (default): no limit. Link documents 50.</value>
    public int? HourlyCreateLimit { get; init; }

    /// <value>Most cents approved (and not canceled, denied or failed) per rolling 24 hours; a create beyond it is refused.
    /// Null (default): no limit. Link documents 50000 ($500).</value>
    public long? DailyAmountLimit { get; init; }

    /// <value>Most approved, unused requests open at once; a create beyond it is refused. Null (default): no limit.
    /// Link documents 10.</value>
    public int? OpenApprovedLimit { get; init; }

    /// <value>Largest amount one spend request may ask for, in cents. Default 50000 ($500.00), Link's cap.</value>
    public long MaxAmount { get; init; } = SpendRequestValidator.LinkMaxAmount;

    /// <value>The person's funding sources. The one marked default is used when a request names none.</value>
    public IReadOnlyList<PaymentMethod> PaymentMethods { get; init; } = DefaultPaymentMethods;

    /// <value>The sandbox identity printed on every issued card.</value>
    public CardBillingAddress BillingAddress { get; init; } = DefaultBillingAddress;

    /// <value>The person's saved shipping addresses.</value>
    public IReadOnlyList<ShippingAddress> ShippingAddresses { get; init; } = DefaultShippingAddresses;

    /// <value>Who the wallet belongs to.</value>
    public UserInfo UserInfo { get; init; } = DefaultUserInfo;

    /// <value>A bearer token that is always accepted (besides tokens minted by the device flow or a refresh).
    /// Default <see cref="DefaultAccessToken"/>.</value>
    public string AccessToken { get; init; } = DefaultAccessToken;

    /// <value>A refresh token that is always accepted and never rotated away, so several clients sharing one
    /// pre-written auth file keep working. Default <see cref="DefaultRefreshToken"/>.</value>
    public string RefreshToken { get; init; } = DefaultRefreshToken;

    /// <value>Lifetime of access tokens minted by the device flow or a refresh. Default 1 hour.</value>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <value>How long a device code waits for the person before it expires. Default 5 minutes.</value>
    public TimeSpan DeviceCodeLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <value>A default Visa and a second Mastercard, like a small real wallet.</value>
    public static IReadOnlyList<PaymentMethod> DefaultPaymentMethods { get; } =
    [
        new(DefaultPaymentMethodId, "card", IsDefault: true, Nickname: "Sandbox Visa", Brand: "visa", Last4: "4242"),
        new("csmrpd_sandbox_mastercard", "card", IsDefault: false, Nickname: "Sandbox Mastercard", Brand: "mastercard", Last4: "4444"),
    ];

    /// <value>An obviously made-up cardholder.</value>
    public static CardBillingAddress DefaultBillingAddress { get; } =
        new("Jane Doe", "123 Sandbox Street", "San Francisco", "CA", "94103", "US");

    /// <value>A made-up home address (the default) and a work address.</value>
    public static IReadOnlyList<ShippingAddress> DefaultShippingAddresses { get; } =
    [
        new("csmrsa_sandbox_home", IsDefault: true, Nickname: "Home", new PostalAddress
        {
            Name = "Jane Doe", Line1 = "123 Sandbox Street", Line2 = "Apt 4", Locality = "San Francisco",
            AdministrativeArea = "CA", PostalCode = "94103", CountryCode = "US",
        }),
        new("csmrsa_sandbox_work", IsDefault: false, Nickname: "Work", new PostalAddress
        {
            Name = "Jane Doe", Line1 = "500 Example Avenue", Locality = "Oakland",
            AdministrativeArea = "CA", PostalCode = "94607", CountryCode = "US",
        }),
    ];

    /// <value>Jane Doe, with an address at the reserved <c>example.com</c> domain and no phone.</value>
    public static UserInfo DefaultUserInfo { get; } = new("jane.doe@example.com", "Jane Doe", "Jane", "Doe", null);
}
