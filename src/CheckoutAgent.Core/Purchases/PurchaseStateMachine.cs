using CheckoutAgent.Link;

namespace CheckoutAgent.Core.Purchases;

/// <summary>What a run of the pipeline does with a purchase it picks up, given the status it finds.</summary>
public enum RunStart
{
    /// <summary>Already ended: nothing to do.</summary>
    Nothing,
    /// <summary>Found at <c>submitting</c> or <c>awaiting_authentication</c>: the final click may have happened (or did);
    /// it ends <c>outcome_unknown</c>, never clicked again.</summary>
    EndOutcomeUnknown,
    /// <summary>Queued, awaiting approval or checking out: carry on from where the timeline says it stands.</summary>
    Run,
}

/// <summary>How a purchase ends, decided from what happened: its final status and failure code.</summary>
/// <param name="CancelSpendRequest">Whether the spend request is canceled at Link (an unused one-time card is killed).</param>
public sealed record PurchaseEnd(string Status, string? Code, bool CancelSpendRequest);

/// <summary>
/// The purchase state machine, apart from the I/O that drives it:
/// <c>queued → awaiting_approval → checking_out → submitting [→ awaiting_authentication] → succeeded | failed | outcome_unknown</c>,
/// with <c>failed</c> reachable from every non-terminal status before the click (after it only the merchant's answer,
/// or a person, can say). <c>awaiting_authentication</c> (a 3-D Secure confirmation after the click) follows only
/// <c>submitting</c> and counts as "clicked" everywhere <c>submitting</c> does. Every rule that protects "at most one
/// final click" is here, tested without a host.
/// </summary>
public static class PurchaseStateMachine
{
    /// <summary>What a run does with a purchase found at <paramref name="status"/>.</summary>
    public static RunStart Start(string status) => status switch
    {
        _ when PurchaseStatus.IsTerminal(status) => RunStart.Nothing,
        _ when IsAfterClick(status) => RunStart.EndOutcomeUnknown,
        _ => RunStart.Run,
    };

    /// <summary>Whether a purchase at <paramref name="status"/> has had (or may have had) its final click.</summary>
    public static bool IsAfterClick(string status) => status is PurchaseStatus.Submitting or PurchaseStatus.AwaitingAuthentication;

    /// <summary>
    /// Whether a purchase at <paramref name="from"/> may be moved to <paramref name="to"/>. A terminal purchase never
    /// changes again, <c>submitting</c> follows only <c>checking_out</c> (a cancel that won the race stops the click),
    /// <c>awaiting_authentication</c> follows only <c>submitting</c>, and once clicked a purchase never goes back to a
    /// status before the click.
    /// </summary>
    public static bool CanMove(string from, string to) =>
        !PurchaseStatus.IsTerminal(from)
        && to switch
        {
            PurchaseStatus.Submitting => from == PurchaseStatus.CheckingOut,
            PurchaseStatus.AwaitingAuthentication => from == PurchaseStatus.Submitting,
            _ => PurchaseStatus.IsTerminal(to) || !IsAfterClick(from),
        };

    /// <summary>Whether reaching <paramref name="status"/> sends a webhook to the purchase's callback URL.</summary>
    public static bool Notifies(string status) =>
        status is PurchaseStatus.AwaitingApproval or PurchaseStatus.AwaitingAuthentication || PurchaseStatus.IsTerminal(status);

    /// <summary>The webhook event type for reaching <paramref name="status"/>: <c>purchase.STATUS</c>, except
    /// <c>purchase.action_required</c> while the card holder is asked to confirm (3-D Secure).</summary>
    public static string WebhookType(string status) =>
        status == PurchaseStatus.AwaitingAuthentication ? "purchase.action_required" : "purchase." + status;

    /// <summary>What a cancel finds at <paramref name="status"/>: it may end the purchase only before <c>submitting</c>.</summary>
    public static CancelDisposition Cancel(string status) => status switch
    {
        _ when PurchaseStatus.IsTerminal(status) => CancelDisposition.AlreadyEnded,
        _ when IsAfterClick(status) => CancelDisposition.Submitting,
        _ => CancelDisposition.Canceled,
    };

    /// <summary>The failure code when Link refuses to create the spend request (Link's own code in <paramref name="linkCode"/>).</summary>
    public static string SpendRequestRefused(string linkCode) => linkCode switch
    {
        LinkErrorCodes.InvalidRequest => FailureCodes.InvalidRequest,
        LinkErrorCodes.RateLimited => FailureCodes.LinkRateLimited,
        _ => FailureCodes.LinkError,
    };

    /// <summary>The failure code a spend request's final approval status ends the purchase with; null when approved.</summary>
    public static string? ApprovalFailure(SpendRequestStatus status) => status switch
    {
        SpendRequestStatus.Approved => null,
        SpendRequestStatus.Denied => FailureCodes.ApprovalDenied,
        SpendRequestStatus.Expired => FailureCodes.ApprovalExpired,
        SpendRequestStatus.Canceled => FailureCodes.Canceled,
        // Not auto_resume (polling goes on through that): the person must act, then a new purchase can be made.
        SpendRequestStatus.RequiresAction => FailureCodes.LinkActionRequired,
        _ => FailureCodes.LinkError,
    };

    /// <summary>
    /// How a checkout ends from the recipe run's code (<c>succeeded</c>, an outcome code, a failure code) and whether
    /// the final click happened. The spend request is canceled only when nothing was submitted with its card.
    /// </summary>
    public static PurchaseEnd Finished(string runCode, bool submitted)
    {
        var status = runCode switch
        {
            "succeeded" => PurchaseStatus.Succeeded,
            FailureCodes.OutcomeUnknown => PurchaseStatus.OutcomeUnknown,
            _ => PurchaseStatus.Failed,
        };
        return new PurchaseEnd(status, status == PurchaseStatus.Succeeded ? null : runCode, CancelSpendRequest: !submitted);
    }

    /// <summary>
    /// How an unexpected exception ends a purchase found at <paramref name="status"/>: after the click the answer
    /// is unknown, never "failed", because a retry must not follow a click that may have bought.
    /// </summary>
    public static PurchaseEnd Crashed(string status) => IsAfterClick(status)
        ? new PurchaseEnd(PurchaseStatus.OutcomeUnknown, FailureCodes.OutcomeUnknown, CancelSpendRequest: false)
        : new PurchaseEnd(PurchaseStatus.Failed, FailureCodes.InternalError, CancelSpendRequest: true);
}
