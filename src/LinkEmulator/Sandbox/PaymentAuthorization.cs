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

    /// <summary>The card holder refused the 3-D Secure confirmation, or nobody gave it in time.</summary>
    public const string AuthenticationFailed = "authentication_failed";

    /// <summary>A 3-D Secure confirmation for this card is still under way.</summary>
    public const string AuthenticationPending = "authentication_pending";
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

    /// <value>Set when the issuer asked for a 3-D Secure confirmation: the payment is neither approved nor declined
    /// yet; ask again with <see cref="LinkSandbox.CompleteAuthentication"/> and this id (<c>3ds_…</c>).</value>
    public string? AuthenticationId { get; init; }

    /// <value>True while a 3-D Secure confirmation is awaited.</value>
    public bool Pending => AuthenticationId is not null && !Approved && DeclineCode is null;

    /// <summary>A payment waiting for the card holder's confirmation.</summary>
    public static PaymentAuthorizationResult Challenge(string authenticationId) =>
        new() { Approved = false, AuthenticationId = authenticationId, Message = "The card holder must confirm this payment (3-D Secure)." };

    /// <summary>An approved authorization.</summary>
    public static PaymentAuthorizationResult Approve(string authorizationId) =>
        new() { Approved = true, AuthorizationId = authorizationId, Message = "Approved." };

    /// <summary>A declined authorization.</summary>
    public static PaymentAuthorizationResult Decline(string declineCode, string message) =>
        new() { Approved = false, DeclineCode = declineCode, Message = message };
}
