namespace CheckoutAgent.Link.Sandbox;

/// <summary>Why the sandbox's card issuer declined an authorization.</summary>
public static class PaymentDeclineCodes
{
    /// <summary>No card with that number was issued.</summary>
    public const string UnknownCard = "unknown_card";

    /// <summary>The CVC does not match.</summary>
    public const string IncorrectCvc = "incorrect_cvc";

    /// <summary>Past the card's <c>valid_until</c>, or the expiry month/year given does not match the card.</summary>
    public const string CardExpired = "card_expired";

    /// <summary>The merchant's origin (scheme, host, port) is not the one the card is scoped to.</summary>
    public const string MerchantMismatch = "merchant_mismatch";

    /// <summary>More than the approved amount, or another currency.</summary>
    public const string AmountExceeded = "amount_exceeded";

    /// <summary>The amount is zero or negative.</summary>
    public const string InvalidAmount = "invalid_amount";

    /// <summary>The one-time card was already used successfully.</summary>
    public const string CardAlreadyUsed = "card_already_used";

    /// <summary>The spend request was canceled (or otherwise closed) before the card was used.</summary>
    public const string CardCanceled = "card_canceled";
}

/// <summary>The issuer's answer to a merchant's authorization. Never carries card number or CVC.</summary>
public sealed record PaymentAuthorizationResult
{
    /// <value>True when the payment went through.</value>
    public required bool Approved { get; init; }

    /// <value>One of <see cref="PaymentDeclineCodes"/> when declined, else null.</value>
    public string? DeclineCode { get; init; }

    /// <value><c>auth_…</c> for an approved payment, else null.</value>
    public string? AuthorizationId { get; init; }

    /// <value>Human-readable explanation for logs and the shop's error page.</value>
    public required string Message { get; init; }

    /// <summary>An approved authorization.</summary>
    public static PaymentAuthorizationResult Approve(string authorizationId) =>
        new() { Approved = true, AuthorizationId = authorizationId, Message = "Approved." };

    /// <summary>A declined authorization.</summary>
    public static PaymentAuthorizationResult Decline(string declineCode, string message) =>
        new() { Approved = false, DeclineCode = declineCode, Message = message };
}
