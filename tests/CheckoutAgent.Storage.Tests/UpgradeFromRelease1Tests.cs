namespace CheckoutAgent.Tests.Storage;

/// <summary>
/// Fixtures/release-1.db was made by the release before PostgreSQL support (commit abde41b, schema version 5): the
/// demo's purchase with its 23 timeline events, an agent and an encrypted merchant account. It must come up to date in
/// place (run fence, merchant slots, agent rotation and audit) without losing a row, and the stores must go on working on it.
/// </summary>
public class UpgradeFromRelease1Tests : StorageTest
{
    private const string Purchase = "pur_2RsqcJ5xZ76ub0nW1hsm";

    private static readonly Dictionary<string, long> Rows = new()
    {
        ["purchases"] = 1, ["purchase_events"] = 23, ["agents"] = 1, ["merchant_accounts"] = 1, ["schema_migrations"] = 5,
    };

    private CheckoutDatabase _database = null!;

    [SetUp]
    public void CopyFixture()
    {
        File.Copy(Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "release-1.db"), DatabasePath);
        _database = new CheckoutDatabase(DatabasePath);
    }

    [Test]
    public async Task It_upgrades_from_version_5_to_the_latest_keeping_every_row()
    {
        Assert.That(await _database.Migrations.CurrentVersionAsync(CancellationToken.None), Is.EqualTo(5), "the fixture is what release 1 made");

        var report = await _database.InitializeAsync(CancellationToken.None);

        Assert.That(report.Adopted, Is.Empty);
        Assert.That(report.Applied.Select(m => m.Name), Is.EqualTo(new[] { "purchase_run_fence", "merchant_slots", "agent_rotation", "agent_audit", "recipe_checks", "console_keys" }));
        Assert.That(await _database.Migrations.CurrentVersionAsync(CancellationToken.None), Is.EqualTo(SqliteMigrations.All.Latest));
        foreach (var (table, rows) in Rows.Where(r => r.Key != "schema_migrations"))
        {
            Assert.That(await CountAsync(_database, table), Is.EqualTo(rows), table);
        }
        Assert.That(await ScalarAsync(_database, $"SELECT run_epoch FROM purchases WHERE id = '{Purchase}'"), Is.Zero, "existing purchases start at epoch 0");
        Assert.That(await ScalarAsync(_database, "SELECT username FROM merchant_accounts"), Is.EqualTo("a•••@example.com"));
    }

    [Test]
    public async Task The_stores_read_and_write_the_upgraded_database()
    {
        await _database.InitializeAsync(CancellationToken.None);
        var purchases = new PurchaseStore(_database, TimeProvider.System);

        var bought = await purchases.GetAsync(Purchase, CancellationToken.None);
        Assert.That(bought!.Status, Is.EqualTo(PurchaseStatus.Succeeded));
        Assert.That(bought.Outcome!.OrderNumber, Does.StartWith("DCS-"));
        Assert.That(await purchases.GetTimelineAsync(Purchase, CancellationToken.None), Has.Count.EqualTo(23));
        Assert.That((await new AgentStore(_database, TimeProvider.System, new TestSecretSealer()).ListAsync(CancellationToken.None)).Select(a => a.Name),
            Is.EqualTo(new[] { "fixture-agent" }));
        Assert.That(await new AccountStore(_database, TimeProvider.System).GetAsync("shop.example.com", CancellationToken.None), Is.Not.Null);

        Assert.That(await purchases.ClaimRunAsync(Purchase, "node", CancellationToken.None), Is.EqualTo(1));
        var slots = new MerchantSlotStore(_database.Connections, _database.Dialect, TimeProvider.System);
        Assert.That(await slots.TryAcquireAsync("shop.example.com", 1, "node", TimeSpan.FromMinutes(1), CancellationToken.None), Is.Zero);
    }

    [Test]
    public async Task Upgrading_again_is_a_no_op()
    {
        await AssertInitializingAgainChangesNothingAsync(_database,
            "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master ORDER BY name)");
    }
}
