using CheckoutAgent.Link.Cards;

namespace CheckoutAgent.Link.Sandbox;

/// <summary>How the sandbox's stand-in for the person answers an approval request.</summary>
public enum SandboxApprovalMode
{
    /// <summary>Approve as soon as approval is requested.</summary>
    Auto,
    /// <summary>Deny as soon as approval is requested.</summary>
    Deny,
    /// <summary>Never answer: the request stays <c>pending_approval</c> until the approval window runs out.</summary>
    Never,
}

/// <summary>Settings of a <see cref="LinkSandbox"/>. The defaults mirror Link's documented behaviour.</summary>
public sealed class LinkSandboxOptions
{
    /// <summary>Id of the sandbox's default funding source.</summary>
    public const string DefaultPaymentMethodId = "csmrpd_sandbox_visa";

    /// <value>How approval requests are answered. Default <see cref="SandboxApprovalMode.Auto"/>.</value>
    public SandboxApprovalMode Approval { get; init; } = SandboxApprovalMode.Auto;

    /// <value>How long a request may wait for an answer before it expires. Default 30 minutes, as on Link.</value>
    public TimeSpan ApprovalWindow { get; init; } = TimeSpan.FromMinutes(30);

    /// <value>How long an issued card can be used after approval (its <c>valid_until</c>). Default 30 minutes.</value>
    public TimeSpan CardValidity { get; init; } = TimeSpan.FromMinutes(30);

    /// <value>Largest amount one spend request may ask for, in cents. Default 50000 ($500.00), Link's cap.</value>
    public long MaxAmount { get; init; } = SpendRequestValidator.LinkMaxAmount;

    /// <value>The person's funding sources. The one marked default is used when a request names none.</value>
    public IReadOnlyList<PaymentMethod> PaymentMethods { get; init; } = DefaultPaymentMethods;

    /// <value>The sandbox identity printed on every issued card.</value>
    public CardBillingAddress BillingAddress { get; init; } = DefaultBillingAddress;

    /// <value>A default Visa and a second Mastercard, like a small real wallet.</value>
    public static IReadOnlyList<PaymentMethod> DefaultPaymentMethods { get; } =
    [
        new(DefaultPaymentMethodId, "card", IsDefault: true, Nickname: "Sandbox Visa", Brand: "visa", Last4: "4242"),
        new("csmrpd_sandbox_mastercard", "card", IsDefault: false, Nickname: "Sandbox Mastercard", Brand: "mastercard", Last4: "4444"),
    ];

    /// <value>An obviously made-up cardholder.</value>
    public static CardBillingAddress DefaultBillingAddress { get; } =
        new("Jane Doe", "123 Sandbox Street", "San Francisco", "CA", "94103", "US");
}
