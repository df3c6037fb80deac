namespace CheckoutAgent.Tests.Storage;

/// <summary>
/// Fixtures/release-0.db was made by the last release without versioned migrations: an agent, three purchases with
/// their timelines (succeeded, declined, in flight), an idempotency key, a schedule, a webhook delivery and Quartz's
/// tables. It must come up to date in place without losing a row.
/// </summary>
public class UpgradeFromRelease0Tests : StorageTest
{
    private const string Succeeded = "pur_tirtji80FuFl9OCbtlZh", Declined = "pur_PL76JNaRRgK2kiJ5L5Uo", InFlight = "pur_BuMRaQOWbBPD8G1vDNw4";

    /// <summary>What release 0 left in each table (read from the fixture before any migration).</summary>
    private static readonly Dictionary<string, long> Rows = new()
    {
        ["purchases"] = 3, ["purchase_events"] = 51, ["agents"] = 1, ["idempotency_keys"] = 1, ["settings"] = 0,
        ["schedules"] = 1, ["webhook_deliveries"] = 1, ["QRTZ_JOB_DETAILS"] = 1, ["QRTZ_TRIGGERS"] = 1, ["QRTZ_CRON_TRIGGERS"] = 1,
    };

    private CheckoutDatabase _database = null!;

    [SetUp]
    public void CopyFixture()
    {
        File.Copy(Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "release-0.db"), DatabasePath);
        _database = new CheckoutDatabase(DatabasePath);
    }

    [Test]
    public async Task The_fixture_is_a_release_0_database_with_no_version_table()
    {
        Assert.That(await _database.Migrations.CurrentVersionAsync(CancellationToken.None), Is.Zero);
        Assert.That(await ScalarAsync(_database, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'"), Is.Zero);
        foreach (var (table, rows) in Rows)
        {
            Assert.That(await CountAsync(_database, table), Is.EqualTo(rows), table);
        }
    }

    [Test]
    public async Task It_is_adopted_at_the_baseline_upgraded_to_the_latest_version_and_keeps_every_row()
    {
        var report = await _database.InitializeAsync(CancellationToken.None);

        Assert.That(report.Adopted.Select(m => m.Version), Is.EqualTo(new[] { 1, 2, 3, 4 }), "what release 0 already had");
        Assert.That(report.Applied.Select(m => m.Version), Is.EqualTo(new[] { 5, 6, 7, 8, 9, 10, 11 }), "only what is new");
        Assert.That(await _database.Migrations.CurrentVersionAsync(CancellationToken.None), Is.EqualTo(SqliteMigrations.All.Latest));
        Assert.That((await VersionsAsync(_database)).Select(v => (v.Version, v.How)),
            Is.EqualTo(new[] { (1L, "baseline"), (2L, "baseline"), (3L, "baseline"), (4L, "baseline"), (5L, "applied"), (6L, "applied"), (7L, "applied"), (8L, "applied"), (9L, "applied"), (10L, "applied"), (11L, "applied") }));
        foreach (var (table, rows) in Rows)
        {
            Assert.That(await CountAsync(_database, table), Is.EqualTo(rows), table);
        }
        Assert.That(await CountAsync(_database, "merchant_accounts"), Is.Zero);
        Assert.That(await ScalarAsync(_database, "SELECT group_concat(id || '=' || status, ' ') FROM (SELECT id, status FROM purchases ORDER BY created_at)"),
            Is.EqualTo($"{Succeeded}=succeeded {Declined}=failed {InFlight}=checking_out"));
        Assert.That(await ScalarAsync(_database, "SELECT name FROM agents"), Is.EqualTo("fixture-bot"));
        Assert.That(await ScalarAsync(_database, "SELECT cron FROM schedules"), Is.EqualTo("0 0 9 ? * MON"));
        Assert.That(await ScalarAsync(_database, "SELECT purchase_id FROM idempotency_keys WHERE key = 'fixture-1'"), Is.EqualTo(InFlight));
        Assert.That(await ScalarAsync(_database, "SELECT event_type || ' ' || state FROM webhook_deliveries"), Is.EqualTo("purchase.awaiting_approval pending"));
    }

    [Test]
    public async Task The_stores_read_what_release_0_wrote()
    {
        await _database.InitializeAsync(CancellationToken.None);
        var purchases = new PurchaseStore(_database, TimeProvider.System);

        var succeeded = await purchases.GetAsync(Succeeded, CancellationToken.None);
        Assert.That(succeeded!.Status, Is.EqualTo(PurchaseStatus.Succeeded));
        Assert.That(succeeded.Outcome!.OrderNumber, Is.EqualTo("DCS-MQW7QSCV"));
        Assert.That(succeeded.Request.Amount, Is.EqualTo(2400));
        var declined = await purchases.GetAsync(Declined, CancellationToken.None);
        Assert.That(declined!.Outcome!.Code, Is.EqualTo("card_declined"));
        var inFlight = await purchases.GetAsync(InFlight, CancellationToken.None);
        Assert.That(inFlight!.AgentId, Is.EqualTo("agt_fePg2YtNKvL5ux2I"));
        Assert.That(inFlight.Request.CallbackUrl, Is.EqualTo("https://hooks.example.com/x"));
        Assert.That((await purchases.ListUnfinishedAsync(CancellationToken.None)).Select(p => p.Id), Is.EqualTo(new[] { InFlight }));

        var timeline = await purchases.GetTimelineAsync(Succeeded, CancellationToken.None);
        Assert.That(timeline, Has.Count.EqualTo(23));
        Assert.That(timeline[0].Kind, Is.EqualTo("queued"));
        Assert.That(timeline[^1].Message, Does.StartWith("order DCS-MQW7QSCV confirmed"));
        Assert.That(await purchases.GetTimelineAsync(InFlight, CancellationToken.None), Has.Count.EqualTo(5));

        var agents = await new AgentStore(_database, TimeProvider.System, new TestSecretSealer()).ListAsync(CancellationToken.None);
        Assert.That(agents.Select(a => a.Name), Is.EqualTo(new[] { "fixture-bot" }));
        Assert.That(agents[0].Scopes, Does.Contain("schedules:write"));

        var schedules = new ScheduleStore(_database);
        var schedule = await schedules.GetAsync("sch_OXL8LF5juo2Ic8g9HtTp", CancellationToken.None);
        Assert.That(schedule!.Cron, Is.EqualTo("0 0 9 ? * MON"));
        Assert.That(schedule.TimeZone, Is.EqualTo("Europe/Berlin"));
        Assert.That(schedule.Name, Is.EqualTo("weekly-beans"));

        Assert.That(await new WebhookOutbox(_database).ListAsync(InFlight, CancellationToken.None),
            Has.Count.EqualTo(1).And.Some.Matches<(string Id, string EventType, string State, int Attempts)>(d => d.EventType == "purchase.awaiting_approval"));
    }

    [Test]
    public async Task Upgrading_again_is_a_no_op()
    {
        await AssertInitializingAgainChangesNothingAsync(_database,
            "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master ORDER BY name)");
        foreach (var (table, rows) in Rows)
        {
            Assert.That(await CountAsync(_database, table), Is.EqualTo(rows), table);
        }
    }

    [Test]
    public async Task The_stores_keep_working_on_the_upgraded_database()
    {
        await _database.InitializeAsync(CancellationToken.None);
        var purchases = new PurchaseStore(_database, TimeProvider.System);

        var canceled = await purchases.CancelAsync(InFlight, null, "owner changed their mind", CancellationToken.None);

        Assert.That(canceled.Disposition, Is.EqualTo(CancelDisposition.Canceled));
        Assert.That((await purchases.GetAsync(InFlight, CancellationToken.None))!.Status, Is.EqualTo(PurchaseStatus.Failed));
        Assert.That(await CountAsync(_database, "webhook_deliveries"), Is.EqualTo(2), "the cancel queued its webhook beside release 0's");
    }
}
