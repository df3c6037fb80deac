using CheckoutAgent.Link;
using CheckoutAgent.Worker.Recipes;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// A purchase's side of a 3-D Secure wait after the final click: records <c>awaiting_authentication</c> (timeline
/// entry, and the <c>purchase.action_required</c> webhook carrying Link's message and the deadline), then reads the
/// spend request at Link for the recipe run, never creating or changing anything there.
/// </summary>
internal sealed class PurchaseAuthentication(PurchaseStore store, ILinkClient link, PurchaseOutcome soFar, string spendRequestId)
    : IAuthenticationWatch
{
    private const string DefaultMessage = "Your bank asked you to confirm this payment in its app.";

    /// <value>What the card holder was asked, once the challenge showed; kept in the final outcome.</value>
    public PurchaseAction? Action { get; private set; }

    public async Task ChallengedAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        NextAction? next = null;
        try
        {
            next = (await link.RetrieveSpendRequestAsync(spendRequestId, cancellationToken)).NextAction;
        }
        catch (LinkException)
        {
            // Link's words are a courtesy: the wait goes on without them.
        }
        Action = new PurchaseAction(next?.Type ?? NextActionTypes.ThreeDSecure, next?.DisplayMessage ?? DefaultMessage, next?.ActionUrl, deadline);
        await store.TransitionAsync(soFar.PurchaseId, PurchaseStatus.AwaitingAuthentication, PurchaseStatus.AwaitingAuthentication,
            $"the bank asked the card holder to confirm the payment (3-D Secure): \"{Action.Message}\"; the page stays open until {deadline:u}, nothing more is clicked",
            cancellationToken, outcome: soFar with { Status = PurchaseStatus.AwaitingAuthentication, Action = Action });
    }

    public async Task<AuthenticationCheck> CheckLinkAsync(CancellationToken cancellationToken)
    {
        SpendRequest request;
        try
        {
            request = await link.RetrieveSpendRequestAsync(spendRequestId, cancellationToken);
        }
        catch (LinkException)
        {
            return new AuthenticationCheck(AuthenticationVerdict.Waiting);
        }
        var message = request.NextAction?.DisplayMessage;
        return request.Status switch
        {
            SpendRequestStatus.Succeeded => new AuthenticationCheck(AuthenticationVerdict.Paid),
            SpendRequestStatus.RequiresAction when request.IsWaiting() => new AuthenticationCheck(AuthenticationVerdict.Waiting, message),
            SpendRequestStatus.RequiresAction => new AuthenticationCheck(AuthenticationVerdict.ActionRequired, message),
            SpendRequestStatus.Failed or SpendRequestStatus.Denied or SpendRequestStatus.Expired or SpendRequestStatus.Canceled =>
                new AuthenticationCheck(AuthenticationVerdict.Failed, $"Link reports the spend request {request.Status.ToWire()}"),
            _ => new AuthenticationCheck(AuthenticationVerdict.Waiting, message),
        };
    }
}
