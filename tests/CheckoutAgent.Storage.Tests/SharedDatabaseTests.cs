using CheckoutAgent.Core.Agents;

namespace CheckoutAgent.Tests.Storage;

/// <summary>
/// The promises several nodes on one database rely on, each shown with two "nodes" (two <see cref="CheckoutDatabase"/>
/// instances: their own pools, their own connections) racing on the same rows. They hold on SQLite too (its writers
/// take turns); on PostgreSQL they are what makes a cluster safe.
/// </summary>
[TestFixture(CheckoutDatabase.SqliteProvider)]
[TestFixture(CheckoutDatabase.PostgresProvider)]
public class SharedDatabaseTests(string provider) : StorageTest(provider)
{
    private CheckoutDatabase _nodeA = null!, _nodeB = null!;

    [SetUp]
    public async Task CreateNodes()
    {
        _nodeA = OpenDatabase();
        _nodeB = OpenDatabase();
        await _nodeA.InitializeAsync(CancellationToken.None);
        await _nodeB.InitializeAsync(CancellationToken.None);
    }

    [Test]
    public async Task Nodes_starting_at_once_on_a_new_database_apply_each_migration_exactly_once()
    {
        // A database of its own, so that the set-up's nodes have not migrated it yet.
        var fresh = OnPostgres ? await TestPostgres.CreateDatabaseAsync("fresh") : null;
        var path = Path.Combine(Folder, "fresh.db");
        CheckoutDatabase Node() => fresh is null ? new CheckoutDatabase(path) : CheckoutDatabase.Postgres(fresh);

        var reports = await RaceAsync(3, (node, _) => Node().InitializeAsync(CancellationToken.None), _nodeA, _nodeB);

        var latest = (OnPostgres ? PostgresMigrations.All : SqliteMigrations.All).Latest;
        Assert.That(reports.SelectMany(r => r.Applied).Select(m => m.Version).Order(), Is.EqualTo(Enumerable.Range(1, latest)),
            "every migration applied by exactly one of the six");
        Assert.That(reports.Select(r => r.Version), Is.All.EqualTo(latest));
        Assert.That(await Node().Migrations.CurrentVersionAsync(CancellationToken.None), Is.EqualTo(latest));
    }

    [Test]
    public void Both_engines_have_the_same_migrations()
    {
        Assert.That(PostgresMigrations.All.Migrations.Select(m => (m.Version, m.Name)),
            Is.EqualTo(SqliteMigrations.All.Migrations.Select(m => (m.Version, m.Name))));
    }

    private static PurchaseRequest Request(long amount = 2400) => new()
    {
        Recipe = "demo-shop",
        MerchantUrl = "http://127.0.0.1:9",
        Items = [new PurchaseItem("Dripper", 1, amount, null)],
        Amount = amount,
        Context = "one ceramic dripper for the team's coffee corner, approved by Jane.",
    };

    /// <summary>Runs <paramref name="count"/> actions per node, all released at once.</summary>
    private static async Task<List<T>> RaceAsync<T>(int count, Func<CheckoutDatabase, int, Task<T>> action, params CheckoutDatabase[] nodes)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = nodes.SelectMany(node => Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return await action(node, i);
        }))).ToList();
        start.SetResult();
        return [.. await Task.WhenAll(tasks)];
    }

    [Test]
    public async Task The_same_idempotency_key_on_two_nodes_at_once_makes_one_purchase()
    {
        var agent = (await new AgentStore(_nodeA, TimeProvider.System, new TestSecretSealer()).AddAsync("bot", ["purchases:write"], new AgentPolicy(), CancellationToken.None)).Agent;

        var results = await RaceAsync(5, (node, _) => new PurchaseStore(node, TimeProvider.System)
            .IntakeAsync(Request(), new PurchaseIntake(agent, "same-key", "same-hash", "127.0.0.1"), CancellationToken.None), _nodeA, _nodeB);

        Assert.That(results.Count(r => r.Disposition == IntakeDisposition.Created), Is.EqualTo(1));
        Assert.That(results.Where(r => r.Disposition == IntakeDisposition.Replayed), Has.Exactly(9).Items);
        Assert.That(results.Select(r => r.PurchaseId).Distinct(), Has.Exactly(1).Items, "every caller got the one purchase");
        Assert.That(await CountAsync(_nodeA, "purchases"), Is.EqualTo(1));
    }

    [Test]
    public async Task Two_nodes_taking_purchases_at_once_never_overspend_a_budget_together()
    {
        // Room for four purchases of $24.00 today; twenty try at once, ten on each node.
        var agent = (await new AgentStore(_nodeA, TimeProvider.System, new TestSecretSealer()).AddAsync("bot", ["purchases:write"], new AgentPolicy { DailyBudget = 9600 },
            CancellationToken.None)).Agent;

        await RaceAsync(10, (node, i) => new PurchaseStore(node, TimeProvider.System)
            .IntakeAsync(Request(), new PurchaseIntake(agent, $"key-{node.GetHashCode()}-{i}", $"hash-{i}", "127.0.0.1"), CancellationToken.None), _nodeA, _nodeB);

        var statuses = new List<string>();
        await using (var connection = await _nodeA.OpenAsync(CancellationToken.None))
        await using (var command = connection.Command(null, "SELECT status FROM purchases"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                statuses.Add(reader.GetString(0));
            }
        }
        Assert.That(statuses, Has.Count.EqualTo(20));
        Assert.That(statuses.Count(s => s == PurchaseStatus.Queued), Is.EqualTo(4), "exactly the budget's worth accepted");
        Assert.That(statuses.Count(s => s == PurchaseStatus.Failed), Is.EqualTo(16), "the rest refused by policy");
    }

    [Test]
    public async Task A_webhook_delivery_is_claimed_by_one_node_only()
    {
        var store = new PurchaseStore(_nodeA, TimeProvider.System);
        for (var i = 0; i < 20; i++)
        {
            var purchase = await store.CreateAsync(Request() with { CallbackUrl = "https://hooks.example.com/x" }, CancellationToken.None);
            await store.TransitionAsync(purchase.Id, PurchaseStatus.Failed, "failed", "declined", CancellationToken.None);
        }
        var queued = await CountAsync(_nodeA, "webhook_deliveries");
        Assert.That(queued, Is.GreaterThanOrEqualTo(20));
        var now = DateTimeOffset.UtcNow;

        var claims = await RaceAsync(15, async (node, _) =>
        {
            var outbox = new WebhookOutbox(node);
            var mine = new List<string>();
            while (await outbox.ClaimAsync(now, TimeSpan.FromMinutes(1), CancellationToken.None) is { } delivery)
            {
                mine.Add(delivery.Id);
            }
            return mine;
        }, _nodeA, _nodeB);

        var all = claims.SelectMany(c => c).ToList();
        Assert.That(all, Has.Count.EqualTo(queued), "every delivery claimed");
        Assert.That(all, Is.Unique, "none by two claimers");
    }

    [Test]
    public async Task The_per_merchant_limit_holds_across_nodes_and_a_dead_holders_slot_frees_itself()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
        var slotsA = new MerchantSlotStore(_nodeA.Connections, _nodeA.Dialect, time);
        var slotsB = new MerchantSlotStore(_nodeB.Connections, _nodeB.Dialect, time);
        var lease = TimeSpan.FromSeconds(60);

        var taken = await RaceAsync(4, (node, i) => (node == _nodeA ? slotsA : slotsB).TryAcquireAsync("shop.example", 2, $"{node.GetHashCode()}-{i}", lease, CancellationToken.None),
            _nodeA, _nodeB);

        Assert.That(taken.Count(t => t is not null), Is.EqualTo(2), "two slots, eight asking: two get one");
        Assert.That(taken.Where(t => t is not null), Is.Unique);
        Assert.That(await slotsA.TryAcquireAsync("SHOP.example", 2, "late", lease, CancellationToken.None), Is.Null, "the host is matched without case");
        Assert.That(await slotsA.TryAcquireAsync("other.example", 2, "elsewhere", lease, CancellationToken.None), Is.Not.Null, "another shop has its own slots");

        // The holders stop renewing (their node died): once the lease has run out, the slots are free again.
        time.Advance(lease + TimeSpan.FromSeconds(1));
        var after = await slotsB.TryAcquireAsync("shop.example", 2, "survivor", lease, CancellationToken.None);
        Assert.That(after, Is.Not.Null);
        Assert.That(await slotsA.HeldAsync("shop.example", CancellationToken.None), Is.EqualTo(1));
    }

    [Test]
    public async Task A_run_superseded_by_another_node_cannot_record_submitting()
    {
        var store = new PurchaseStore(_nodeA, TimeProvider.System);
        var other = new PurchaseStore(_nodeB, TimeProvider.System);
        var id = (await store.CreateAsync(Request(), CancellationToken.None)).Id;
        var slowEpoch = await store.ClaimRunAsync(id, "node-a", CancellationToken.None);
        using (RunFence.Enter(id, slowEpoch))
        {
            Assert.That(await store.TransitionAsync(id, PurchaseStatus.CheckingOut, "approved", "approved", CancellationToken.None), Is.True);
        }

        // node-a stalls; the cluster declares it dead and node-b takes the purchase over.
        var takeover = await other.ClaimRunAsync(id, "node-b", CancellationToken.None);

        using (RunFence.Enter(id, slowEpoch))
        {
            Assert.That(await store.IsFencedOffAsync(id, CancellationToken.None), Is.True);
            Assert.That(await store.TransitionAsync(id, PurchaseStatus.Submitting, "submitting", "final click", CancellationToken.None), Is.False,
                "the stalled run wakes up fenced off: no submitting, so no click");
        }
        using (RunFence.Enter(id, takeover))
        {
            Assert.That(await other.IsFencedOffAsync(id, CancellationToken.None), Is.False);
            Assert.That(await other.TransitionAsync(id, PurchaseStatus.Submitting, "submitting", "final click", CancellationToken.None), Is.True);
        }
        Assert.That(takeover, Is.EqualTo(slowEpoch + 1));
        var timeline = await store.GetTimelineAsync(id, CancellationToken.None);
        Assert.That(timeline.Count(e => e.Kind == "submitting"), Is.EqualTo(1));
        Assert.That(await store.TransitionAsync(id, PurchaseStatus.Failed, "failed", "unfenced moves (a cancel, a reconcile) are not fenced", CancellationToken.None),
            Is.True);
    }
}
