using CheckoutAgent.Core.Agents;

namespace CheckoutAgent.Tests.Storage;

/// <summary>The facade over intake, transitions and queries, on a fresh database.</summary>
[TestFixture(CheckoutDatabase.SqliteProvider)]
[TestFixture(CheckoutDatabase.PostgresProvider)]
public class PurchaseStoreTests(string provider) : StorageTest(provider)
{
    private CheckoutDatabase _database = null!;
    private PurchaseStore _store = null!;

    [SetUp]
    public async Task CreateStore()
    {
        _database = OpenDatabase();
        await _database.InitializeAsync(CancellationToken.None);
        _store = new PurchaseStore(_database, TimeProvider.System);
    }

    private static PurchaseRequest Request(long amount = 2400, string? callback = null) => new()
    {
        Recipe = "demo-shop",
        MerchantUrl = "http://127.0.0.1:9",
        Items = [new PurchaseItem("Dripper", 1, amount, null)],
        Amount = amount,
        Context = "one ceramic dripper for the team's coffee corner, approved by Jane.",
        CallbackUrl = callback,
    };

    [Test]
    public async Task In_one_batch_each_intake_sees_the_ones_before_it()
    {
        var agent = (await new AgentStore(_database, TimeProvider.System, new TestSecretSealer()).AddAsync("bot", ["purchases:write"], new AgentPolicy(), CancellationToken.None)).Agent;
        var intake = new PurchaseIntake(agent, "key-1", "hash-1", "127.0.0.1");

        var writes = await _store.IntakeBatchAsync([new PendingIntake(Request(), intake), new PendingIntake(Request(), intake),
            new PendingIntake(Request(), intake with { RequestHash = "hash-2" })]);

        Assert.That(writes.Select(w => w.Result!.Disposition),
            Is.EqualTo(new[] { IntakeDisposition.Created, IntakeDisposition.Replayed, IntakeDisposition.KeyReused }));
        Assert.That(writes[1].Result!.PurchaseId, Is.EqualTo(writes[0].Result!.PurchaseId));
        Assert.That(await CountAsync(_database, "purchases"), Is.EqualTo(1));
        Assert.That(await CountAsync(_database, "idempotency_keys"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_transition_writes_status_event_and_webhook_together_and_raises_its_events_after_commit()
    {
        var appended = new List<PurchaseEvent>();
        var queued = 0;
        _store.EventAppended += appended.Add;
        _store.WebhookQueued += () => queued++;
        var purchase = await _store.CreateAsync(Request(callback: "https://hooks.example.com/x"), CancellationToken.None);
        var webhooksBefore = await CountAsync(_database, "webhook_deliveries");
        appended.Clear();
        queued = 0;

        var moved = await _store.TransitionAsync(purchase.Id, PurchaseStatus.Failed, "failed", "declined", CancellationToken.None);

        Assert.That(moved, Is.True);
        Assert.That((await _store.GetAsync(purchase.Id, CancellationToken.None))!.Status, Is.EqualTo(PurchaseStatus.Failed));
        Assert.That((await _store.GetTimelineAsync(purchase.Id, CancellationToken.None))[^1].Message, Is.EqualTo("declined"));
        Assert.That(await CountAsync(_database, "webhook_deliveries"), Is.EqualTo(webhooksBefore + 1));
        Assert.That(appended.Select(e => e.Kind), Is.EqualTo(new[] { "failed" }));
        Assert.That(queued, Is.EqualTo(1));
        Assert.That(await _store.TransitionAsync(purchase.Id, PurchaseStatus.Queued, "queued", "again", CancellationToken.None), Is.False,
            "a terminal purchase never changes");
    }

    [Test]
    public async Task Reconcile_moves_only_outcome_unknown_once_with_who_and_its_webhook_and_replays_the_same_decision()
    {
        var purchase = await _store.CreateAsync(Request(callback: "https://hooks.example.com/x"), CancellationToken.None);
        Assert.That((await _store.ReconcileAsync(purchase.Id, ReconcileDecisions.NoOrder, null, "agent ops (agt_1)", CancellationToken.None)).Disposition,
            Is.EqualTo(ReconcileDisposition.Running), "a purchase still in flight is not a person's call");
        await _store.TransitionAsync(purchase.Id, PurchaseStatus.OutcomeUnknown, PurchaseStatus.OutcomeUnknown, "no answer", CancellationToken.None,
            outcome: new PurchaseOutcome { PurchaseId = purchase.Id, Status = PurchaseStatus.OutcomeUnknown, Code = FailureCodes.OutcomeUnknown, Amount = 2400, CardLast4 = "4242" });
        var webhooksBefore = await CountAsync(_database, "webhook_deliveries");

        var first = await _store.ReconcileAsync(purchase.Id, ReconcileDecisions.OrderExists, " ORD-42 ", "agent ops (agt_1)", CancellationToken.None);
        var again = await _store.ReconcileAsync(purchase.Id, ReconcileDecisions.OrderExists, "ORD-42", "agent other (agt_2)", CancellationToken.None);
        var other = await _store.ReconcileAsync(purchase.Id, ReconcileDecisions.NoOrder, null, "agent other (agt_2)", CancellationToken.None);

        Assert.That(first.Disposition, Is.EqualTo(ReconcileDisposition.Reconciled));
        var stored = (await _store.GetAsync(purchase.Id, CancellationToken.None))!;
        Assert.Multiple(async () =>
        {
            Assert.That(stored.Status, Is.EqualTo(PurchaseStatus.Succeeded));
            Assert.That(stored.Outcome!.OrderNumber, Is.EqualTo("ORD-42"));
            Assert.That(stored.Outcome.CardLast4, Is.EqualTo("4242"), "what was known stays");
            Assert.That(stored.Outcome.Code, Is.Null);
            Assert.That(stored.Outcome.Reconciliation, Is.EqualTo(first.Purchase!.Outcome!.Reconciliation));
            Assert.That(stored.Outcome.Reconciliation!.By, Is.EqualTo("agent ops (agt_1)"));
            Assert.That(stored.Outcome.Reconciliation.PreviousCode, Is.EqualTo(FailureCodes.OutcomeUnknown));
            Assert.That((await _store.GetTimelineAsync(purchase.Id, CancellationToken.None))[^1].Message,
                Is.EqualTo("reconciled by agent ops (agt_1): the merchant has order ORD-42"));
            Assert.That(await CountAsync(_database, "webhook_deliveries"), Is.EqualTo(webhooksBefore + 1), "one webhook, for the one move");
            Assert.That(again.Disposition, Is.EqualTo(ReconcileDisposition.AlreadyReconciled));
            Assert.That(other.Disposition, Is.EqualTo(ReconcileDisposition.ConflictingDecision));
        });
        var succeeded = await _store.CreateAsync(Request(), CancellationToken.None);
        await _store.TransitionAsync(succeeded.Id, PurchaseStatus.Succeeded, "succeeded", "ok", CancellationToken.None);
        Assert.That((await _store.ReconcileAsync(succeeded.Id, ReconcileDecisions.NoOrder, null, "x", CancellationToken.None)).Disposition,
            Is.EqualTo(ReconcileDisposition.NotUnknown));
        Assert.That((await _store.ReconcileAsync("pur_missing", ReconcileDecisions.NoOrder, null, "x", CancellationToken.None)).Disposition,
            Is.EqualTo(ReconcileDisposition.NotFound));
    }

    [Test]
    public async Task Reconcile_no_order_ends_failed_with_its_own_code()
    {
        var purchase = await _store.CreateAsync(Request(), CancellationToken.None);
        await _store.TransitionAsync(purchase.Id, PurchaseStatus.OutcomeUnknown, PurchaseStatus.OutcomeUnknown, "no answer", CancellationToken.None);

        var result = await _store.ReconcileAsync(purchase.Id, ReconcileDecisions.NoOrder, null, "agent ops (agt_1)", CancellationToken.None);

        Assert.That(result.Purchase!.Status, Is.EqualTo(PurchaseStatus.Failed));
        Assert.That(result.Purchase.Outcome!.Code, Is.EqualTo(PurchaseReconcile.NoOrderCode));
        Assert.That(result.Purchase.Outcome.Reconciliation!.OrderNumber, Is.Null);
        Assert.That((await _store.ReconcileAsync(purchase.Id, ReconcileDecisions.NoOrder, null, "agent ops (agt_1)", CancellationToken.None)).Disposition,
            Is.EqualTo(ReconcileDisposition.AlreadyReconciled));
    }

    [Test]
    public async Task Pages_follow_the_cursor_newest_first()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await _store.CreateAsync(Request(), CancellationToken.None)).Id);
        }

        var (first, more) = await _store.ListAsync(new PurchaseQuery { Limit = 2 }, CancellationToken.None);
        var (second, moreAfter) = await _store.ListAsync(new PurchaseQuery { Limit = 2, StartingAfter = first[^1].Id }, CancellationToken.None);

        Assert.That(more, Is.True);
        Assert.That(moreAfter, Is.False);
        Assert.That(first.Concat(second).Select(p => p.Id), Is.EquivalentTo(ids));
        Assert.That(first.Concat(second).Select(p => p.CreatedAt), Is.Ordered.Descending);
    }
}
