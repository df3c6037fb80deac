using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Worker.Demo;

/// <summary>Connects the demo shop's card network to the Link sandbox, which plays the issuer of the one-time cards.</summary>
public sealed class SandboxIssuer(LinkSandbox sandbox) : IPaymentAuthorizer
{
    public Task<PaymentDecision> AuthorizeAsync(PaymentAttempt attempt, CancellationToken cancellationToken) =>
        Task.FromResult(Decision(sandbox.Authorize(attempt.CardNumber, attempt.Cvc, attempt.ExpMonth, attempt.ExpYear, attempt.MerchantUrl,
            attempt.Amount, attempt.Currency, attempt.ThreeDSecure)));

    public Task<PaymentDecision> CompleteAuthenticationAsync(string authenticationId, CancellationToken cancellationToken) =>
        Task.FromResult(Decision(sandbox.CompleteAuthentication(authenticationId)));

    private static PaymentDecision Decision(PaymentAuthorizationResult result) =>
        result.Approved ? PaymentDecision.Approve()
        : result.Pending ? PaymentDecision.Challenge(result.AuthenticationId!)
        : PaymentDecision.Decline(result.DeclineCode ?? "declined", result.Message);
}
