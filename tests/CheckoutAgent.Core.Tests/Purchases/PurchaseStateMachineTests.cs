using CheckoutAgent.Core.Purchases;
using CheckoutAgent.Link;

namespace CheckoutAgent.Tests.Purchases;

/// <summary>The rules that keep "at most one final click", without a host: every pair of statuses, every ending.</summary>
public class PurchaseStateMachineTests
{
    private static readonly string[] Statuses =
    [
        PurchaseStatus.Queued, PurchaseStatus.AwaitingApproval, PurchaseStatus.CheckingOut, PurchaseStatus.Submitting,
        PurchaseStatus.AwaitingAuthentication, PurchaseStatus.Succeeded, PurchaseStatus.Failed, PurchaseStatus.OutcomeUnknown,
    ];

    private static readonly string[] BeforeTheClick =
        [PurchaseStatus.Queued, PurchaseStatus.AwaitingApproval, PurchaseStatus.CheckingOut];

    [TestCase(PurchaseStatus.Queued, RunStart.Run)]
    [TestCase(PurchaseStatus.AwaitingApproval, RunStart.Run)]
    [TestCase(PurchaseStatus.CheckingOut, RunStart.Run)]
    [TestCase(PurchaseStatus.Submitting, RunStart.EndOutcomeUnknown)]
    [TestCase(PurchaseStatus.AwaitingAuthentication, RunStart.EndOutcomeUnknown)]
    [TestCase(PurchaseStatus.Succeeded, RunStart.Nothing)]
    [TestCase(PurchaseStatus.Failed, RunStart.Nothing)]
    [TestCase(PurchaseStatus.OutcomeUnknown, RunStart.Nothing)]
    public void A_run_never_clicks_again_for_a_purchase_found_submitting(string status, RunStart expected) =>
        Assert.That(PurchaseStateMachine.Start(status), Is.EqualTo(expected));

    [Test]
    public void Terminal_purchases_never_move_and_submitting_follows_only_checking_out()
    {
        foreach (var from in Statuses)
        {
            foreach (var to in Statuses)
            {
                var expected = !PurchaseStatus.IsTerminal(from) && to switch
                {
                    PurchaseStatus.Submitting => from == PurchaseStatus.CheckingOut,
                    PurchaseStatus.AwaitingAuthentication => from == PurchaseStatus.Submitting,
                    // Once clicked, only an ending: never back to a status from which a click could follow.
                    _ => PurchaseStatus.IsTerminal(to) || BeforeTheClick.Contains(from),
                };
                Assert.That(PurchaseStateMachine.CanMove(from, to), Is.EqualTo(expected), $"{from} → {to}");
            }
        }
        // The two cases that matter most, spelled out.
        Assert.That(PurchaseStateMachine.CanMove(PurchaseStatus.Failed, PurchaseStatus.Submitting), Is.False, "a canceled purchase is never clicked");
        Assert.That(PurchaseStateMachine.CanMove(PurchaseStatus.AwaitingApproval, PurchaseStatus.Submitting), Is.False);
        Assert.That(PurchaseStateMachine.CanMove(PurchaseStatus.CheckingOut, PurchaseStatus.Submitting), Is.True);
        Assert.That(PurchaseStateMachine.CanMove(PurchaseStatus.Submitting, PurchaseStatus.AwaitingAuthentication), Is.True);
        Assert.That(PurchaseStateMachine.CanMove(PurchaseStatus.CheckingOut, PurchaseStatus.AwaitingAuthentication), Is.False, "no 3-D Secure wait without a click");
        Assert.That(PurchaseStateMachine.CanMove(PurchaseStatus.AwaitingAuthentication, PurchaseStatus.Submitting), Is.False, "never a second click");
        Assert.That(PurchaseStateMachine.CanMove(PurchaseStatus.AwaitingAuthentication, PurchaseStatus.CheckingOut), Is.False, "never back before the click");
    }

    [TestCase(PurchaseStatus.AwaitingApproval, "purchase.awaiting_approval")]
    [TestCase(PurchaseStatus.AwaitingAuthentication, "purchase.action_required")]
    [TestCase(PurchaseStatus.Succeeded, "purchase.succeeded")]
    public void Webhook_types_name_the_status_except_the_3ds_wait(string status, string type) =>
        Assert.That(PurchaseStateMachine.WebhookType(status), Is.EqualTo(type));

    [TestCase(PurchaseStatus.Queued, false)]
    [TestCase(PurchaseStatus.AwaitingApproval, true)]
    [TestCase(PurchaseStatus.CheckingOut, false)]
    [TestCase(PurchaseStatus.Submitting, false)]
    [TestCase(PurchaseStatus.AwaitingAuthentication, true)]
    [TestCase(PurchaseStatus.Succeeded, true)]
    [TestCase(PurchaseStatus.Failed, true)]
    [TestCase(PurchaseStatus.OutcomeUnknown, true)]
    public void Webhooks_go_out_when_approval_is_needed_and_when_it_ends(string status, bool notifies) =>
        Assert.That(PurchaseStateMachine.Notifies(status), Is.EqualTo(notifies));

    [TestCase(PurchaseStatus.Queued, CancelDisposition.Canceled)]
    [TestCase(PurchaseStatus.AwaitingApproval, CancelDisposition.Canceled)]
    [TestCase(PurchaseStatus.CheckingOut, CancelDisposition.Canceled)]
    [TestCase(PurchaseStatus.Submitting, CancelDisposition.Submitting)]
    [TestCase(PurchaseStatus.AwaitingAuthentication, CancelDisposition.Submitting)]
    [TestCase(PurchaseStatus.Succeeded, CancelDisposition.AlreadyEnded)]
    [TestCase(PurchaseStatus.OutcomeUnknown, CancelDisposition.AlreadyEnded)]
    public void A_cancel_can_end_a_purchase_only_before_the_final_click(string status, CancelDisposition expected) =>
        Assert.That(PurchaseStateMachine.Cancel(status), Is.EqualTo(expected));

    [TestCase("INVALID_REQUEST", FailureCodes.InvalidRequest)]
    [TestCase(LinkErrorCodes.RateLimited, FailureCodes.LinkRateLimited)]
    [TestCase("RATE_LIMITED", FailureCodes.LinkError)]
    [TestCase("", FailureCodes.LinkError)]
    public void Link_refusing_the_spend_request_maps_to_a_failure_code(string linkCode, string expected) =>
        Assert.That(PurchaseStateMachine.SpendRequestRefused(linkCode), Is.EqualTo(expected));

    [TestCase(SpendRequestStatus.Approved, null)]
    [TestCase(SpendRequestStatus.Denied, FailureCodes.ApprovalDenied)]
    [TestCase(SpendRequestStatus.Expired, FailureCodes.ApprovalExpired)]
    [TestCase(SpendRequestStatus.Canceled, FailureCodes.Canceled)]
    [TestCase(SpendRequestStatus.PendingApproval, FailureCodes.LinkError)]
    [TestCase(SpendRequestStatus.RequiresAction, FailureCodes.LinkActionRequired)]
    public void Approval_endings_map_to_failure_codes(SpendRequestStatus status, string? expected) =>
        Assert.That(PurchaseStateMachine.ApprovalFailure(status), Is.EqualTo(expected));

    [TestCase("succeeded", true, PurchaseStatus.Succeeded, null, false)]
    [TestCase(FailureCodes.CardDeclined, true, PurchaseStatus.Failed, FailureCodes.CardDeclined, false)]
    [TestCase(FailureCodes.OutcomeUnknown, true, PurchaseStatus.OutcomeUnknown, FailureCodes.OutcomeUnknown, false)]
    [TestCase(FailureCodes.TotalMismatch, false, PurchaseStatus.Failed, FailureCodes.TotalMismatch, true)]
    [TestCase("step_failed:3", false, PurchaseStatus.Failed, "step_failed:3", true)]
    public void A_checkout_ends_by_its_code_and_kills_the_card_only_when_nothing_was_submitted(
        string code, bool submitted, string status, string? failure, bool cancelsSpendRequest) =>
        Assert.That(PurchaseStateMachine.Finished(code, submitted), Is.EqualTo(new PurchaseEnd(status, failure, cancelsSpendRequest)));

    [Test]
    public void A_crash_after_submitting_is_outcome_unknown_and_keeps_the_card()
    {
        Assert.That(PurchaseStateMachine.Crashed(PurchaseStatus.Submitting),
            Is.EqualTo(new PurchaseEnd(PurchaseStatus.OutcomeUnknown, FailureCodes.OutcomeUnknown, false)));
        Assert.That(PurchaseStateMachine.Crashed(PurchaseStatus.AwaitingAuthentication),
            Is.EqualTo(new PurchaseEnd(PurchaseStatus.OutcomeUnknown, FailureCodes.OutcomeUnknown, false)));
        Assert.That(PurchaseStateMachine.Crashed(PurchaseStatus.CheckingOut),
            Is.EqualTo(new PurchaseEnd(PurchaseStatus.Failed, FailureCodes.InternalError, true)));
    }
}
