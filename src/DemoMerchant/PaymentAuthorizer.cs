namespace CheckoutAgent.DemoMerchant;

/// <summary>
/// The card network as the demo shop sees it: the shop sends each payment attempt here and shows the decision.
/// The demo wires it to the Link sandbox, which plays the issuer.
/// </summary>
public interface IPaymentAuthorizer
{
    /// <summary>Asks the issuer to authorize one payment. With <see cref="PaymentAttempt.ThreeDSecure"/> the issuer may
    /// answer <see cref="PaymentDecision.Pending"/>: the card holder must confirm first.</summary>
    Task<PaymentDecision> AuthorizeAsync(PaymentAttempt attempt, CancellationToken cancellationToken);

    /// <summary>Asks how a 3-D Secure confirmation ended: approved, declined, or still <see cref="PaymentDecision.Pending"/>.</summary>
    Task<PaymentDecision> CompleteAuthenticationAsync(string authenticationId, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This card network does not run 3-D Secure confirmations.");
}

/// <summary>One payment attempt. <see cref="ToString"/> never prints the card number or CVC.</summary>
/// <param name="CardNumber">Digits only.</param>
/// <param name="Cvc">As typed.</param>
/// <param name="ExpMonth">1..12.</param>
/// <param name="ExpYear">Four digits.</param>
/// <param name="CardholderName">As typed.</param>
/// <param name="MerchantUrl">The shop's own origin (scheme://host:port), which the card must be scoped to.</param>
/// <param name="Amount">Cents.</param>
/// <param name="Currency">Lower-case ISO code.</param>
public sealed record PaymentAttempt(
    string CardNumber, string Cvc, int ExpMonth, int ExpYear, string CardholderName,
    string MerchantUrl, long Amount, string Currency)
{
    /// <value>The shop asks the issuer for a 3-D Secure confirmation by the card holder (the three-ds variant).</value>
    public bool ThreeDSecure { get; init; }

    /// <summary>Masked: last 4 only.</summary>
    public override string ToString() =>
        $"PaymentAttempt {{ Card = •••• {(CardNumber.Length >= 4 ? CardNumber[^4..] : "")}, MerchantUrl = {MerchantUrl}, Amount = {Amount} {Currency} }}";
}

/// <summary>The issuer's answer.</summary>
/// <param name="Approved">True when the payment went through.</param>
/// <param name="DeclineCode">Machine code when declined (<c>card_already_used</c>, <c>merchant_mismatch</c>, <c>amount_exceeded</c>, <c>card_expired</c>, <c>incorrect_cvc</c>, <c>unknown_card</c>).</param>
/// <param name="Message">What the shop shows the buyer when declined.</param>
public sealed record PaymentDecision(bool Approved, string? DeclineCode = null, string? Message = null)
{
    /// <value>Set while a 3-D Secure confirmation is awaited: ask again with <see cref="IPaymentAuthorizer.CompleteAuthenticationAsync"/>.</value>
    public string? AuthenticationId { get; init; }

    /// <value>Neither approved nor declined yet: the card holder has not confirmed.</value>
    public bool Pending => !Approved && DeclineCode is null && AuthenticationId is not null;

    /// <summary>Waiting for the card holder's confirmation.</summary>
    public static PaymentDecision Challenge(string authenticationId) => new(false) { AuthenticationId = authenticationId };

    /// <summary>An approval.</summary>
    public static PaymentDecision Approve() => new(true);

    /// <summary>A decline with a code and a human message.</summary>
    public static PaymentDecision Decline(string code, string message) => new(false, code, message);
}
