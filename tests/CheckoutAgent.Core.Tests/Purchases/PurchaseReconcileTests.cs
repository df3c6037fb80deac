using CheckoutAgent.Core.Purchases;

namespace CheckoutAgent.Tests.Purchases;

public class PurchaseReconcileTests
{
    [TestCase("order_exists", "DCS-XITCHTEH", null)]
    [TestCase("order_exists", "#1001 / B", null)]
    [TestCase("no_order", null, null)]
    [TestCase("no_order", "", null)]
    [TestCase("order_exists", null, "order_number is required")]
    [TestCase("order_exists", "  ", "order_number is required")]
    [TestCase("no_order", "X1", "only for decision order_exists")]
    [TestCase("maybe", null, "decision must be one of order_exists, no_order; got 'maybe'")]
    [TestCase(null, null, "decision must be one of")]
    [TestCase("order_exists", "<script>", "letters, digits, spaces or - _ . / #")]
    [TestCase("order_exists", "4242 4242 4242 4242", "looks like a card number")]
    [TestCase("order_exists", "ORD-4000-0000-0000-0002", "looks like a card number")]
    [TestCase("order_exists", "1234567890123", null)]
    public void Validate_says_what_is_wrong(string? decision, string? orderNumber, string? problem)
    {
        var found = PurchaseReconcile.Validate(decision, orderNumber);
        if (problem is null)
        {
            Assert.That(found, Is.Null);
        }
        else
        {
            Assert.That(found, Does.Contain(problem));
            Assert.That(found, Does.Not.Contain("4242 4242"), "a card-like value is never echoed");
        }
    }

    [Test]
    public void An_order_number_longer_than_64_is_refused() =>
        Assert.That(PurchaseReconcile.Validate(ReconcileDecisions.OrderExists, new string('A', 65)), Does.Contain("1 to 64"));

    private static readonly PurchaseReconciliation Earlier = new(ReconcileDecisions.OrderExists, "ORD-1", "agent ops (agt_1)", DateTimeOffset.UnixEpoch, "outcome_unknown");

    [TestCase(PurchaseStatus.OutcomeUnknown, false, "order_exists", "ORD-1", ReconcileDisposition.Reconciled)]
    [TestCase(PurchaseStatus.Succeeded, true, "order_exists", "ORD-1", ReconcileDisposition.AlreadyReconciled)]
    [TestCase(PurchaseStatus.Succeeded, true, "order_exists", " ORD-1 ", ReconcileDisposition.AlreadyReconciled)]
    [TestCase(PurchaseStatus.Succeeded, true, "order_exists", "ORD-2", ReconcileDisposition.ConflictingDecision)]
    [TestCase(PurchaseStatus.Succeeded, true, "no_order", null, ReconcileDisposition.ConflictingDecision)]
    [TestCase(PurchaseStatus.Succeeded, false, "no_order", null, ReconcileDisposition.NotUnknown)]
    [TestCase(PurchaseStatus.Failed, false, "no_order", null, ReconcileDisposition.NotUnknown)]
    [TestCase(PurchaseStatus.Submitting, false, "no_order", null, ReconcileDisposition.Running)]
    [TestCase(PurchaseStatus.AwaitingAuthentication, false, "no_order", null, ReconcileDisposition.Running)]
    [TestCase(PurchaseStatus.Queued, false, "no_order", null, ReconcileDisposition.Running)]
    public void Decide_moves_only_outcome_unknown_and_replays_the_same_decision(string status, bool reconciled, string decision, string? orderNumber,
        ReconcileDisposition expected) =>
        Assert.That(PurchaseReconcile.Decide(status, reconciled ? Earlier : null, decision, orderNumber), Is.EqualTo(expected));
}
