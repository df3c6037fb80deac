using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Tests.Storage;

public class MigrationTests : StorageTest
{
    private static readonly int[] AllVersions = [.. SqliteMigrations.All.Migrations.Select(m => m.Version)];
    private static readonly long[] AllVersionsLong = [.. AllVersions.Select(v => (long)v)];

    private static readonly string[] Tables =
        ["purchases", "purchase_events", "agents", "idempotency_keys", "settings", "schedules", "webhook_deliveries", "merchant_accounts"];

    [Test]
    public async Task A_fresh_database_gets_every_migration_and_reaches_the_latest_version()
    {
        var database = new CheckoutDatabase(DatabasePath);

        var report = await database.InitializeAsync(CancellationToken.None);

        Assert.That(report.Applied.Select(m => m.Version), Is.EqualTo(AllVersions));
        Assert.That(report.Adopted, Is.Empty, "a fresh database is not a legacy one");
        Assert.That(await database.Migrations.CurrentVersionAsync(CancellationToken.None), Is.EqualTo(SqliteMigrations.All.Latest).And.EqualTo(11));
        var versions = await VersionsAsync(database);
        Assert.That(versions.Select(v => v.How), Is.All.EqualTo("applied"));
        Assert.That(versions.Select(v => v.Name), Is.EqualTo(new[] { "core_tables", "purchase_owner_and_amount", "webhook_lease_owner", "purchase_indexes", "merchant_accounts",
            "purchase_run_fence", "merchant_slots", "agent_rotation", "agent_audit", "recipe_checks", "console_keys" }));
        await using (var connection = await database.OpenAsync(CancellationToken.None))
        {
            foreach (var table in Tables)
            {
                Assert.That(await database.Dialect.TableExistsAsync(connection, null, table, CancellationToken.None), Is.True, table);
            }
        }
        Assert.That(await ScalarAsync(database, "SELECT COUNT(*) FROM pragma_table_info('purchases') WHERE name IN ('agent_id', 'schedule_id', 'amount', 'currency', 'merchant_host')"),
            Is.EqualTo(5));
        Assert.That(await ScalarAsync(database, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_purchases_spend'"), Is.EqualTo(1));
    }

    [Test]
    public async Task Running_the_migrations_again_changes_nothing()
    {
        await AssertInitializingAgainChangesNothingAsync(new CheckoutDatabase(DatabasePath),
            "SELECT group_concat(applied_at) FROM schema_migrations");
    }

    [Test]
    public async Task Journal_is_WAL_and_commits_are_synchronous_FULL()
    {
        var database = new CheckoutDatabase(DatabasePath);
        await database.InitializeAsync(CancellationToken.None);

        Assert.That(await ScalarAsync(database, "PRAGMA journal_mode"), Is.EqualTo("wal"));
        Assert.That(await ScalarAsync(database, "PRAGMA synchronous"), Is.EqualTo(2), "2 = FULL");
        Assert.That(await ScalarAsync(database, "PRAGMA busy_timeout"), Is.EqualTo(30000));
    }

    [Test]
    public async Task Concurrent_initialisations_on_one_file_all_succeed_and_apply_each_migration_once()
    {
        // Four "processes" (own CheckoutDatabase, own connections) start on one new file at the same moment.
        using var start = new Barrier(4);
        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var database = new CheckoutDatabase(DatabasePath);
            start.SignalAndWait();
            return database.Initialize();
        })));

        Assert.That(reports.SelectMany(r => r.Applied).Select(m => m.Version).Order(), Is.EqualTo(AllVersions),
            "every migration applied by exactly one of them");
        Assert.That(reports.Count(r => r.Applied.Count > 0), Is.EqualTo(1), "one of them did all the work, in one transaction");
        Assert.That(reports.Select(r => r.Version), Is.All.EqualTo(SqliteMigrations.All.Latest));
        Assert.That((await VersionsAsync(new CheckoutDatabase(DatabasePath))).Select(v => v.Version), Is.EqualTo(AllVersionsLong));
    }

    [Test]
    public async Task Concurrent_runners_never_run_a_slow_migration_twice()
    {
        // A migration that takes a while and counts its runs, so a second runner that did not wait for the first
        // (reading the version before taking the lock) would run it too.
        var runs = new ConcurrentBag<int>();
        var set = new MigrationSet(
        [
            new CountingMigration(1, "log_table", runs, "CREATE TABLE log (n INTEGER)"),
            new CountingMigration(2, "slow_insert", runs, "INSERT INTO log VALUES (2)", TimeSpan.FromMilliseconds(300)),
        ]);
        var database = new CheckoutDatabase(DatabasePath);
        // The version table exists already (as on every start after the first), so creating it takes no lock.
        await new MigrationRunner(database.Connections, database.Dialect, new MigrationSet([]), TimeProvider.System).RunAsync(CancellationToken.None);
        using var start = new Barrier(3);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var runner = new MigrationRunner(new CheckoutDatabase(DatabasePath).Connections, SqliteDialect.Instance, set, TimeProvider.System);
            start.SignalAndWait();
            await runner.RunAsync(CancellationToken.None);
        })));

        Assert.That(runs.Order(), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(await CountAsync(database, "log"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_migration_that_fails_leaves_the_database_as_it_was()
    {
        var set = new MigrationSet(
        [
            new SqlMigration(1, "first", "CREATE TABLE first_table (n INTEGER)"),
            new SqlMigration(2, "broken", "CREATE TABLE second_table (n INTEGER); THIS IS NOT SQL"),
        ]);
        var database = new CheckoutDatabase(DatabasePath);
        var runner = new MigrationRunner(database.Connections, database.Dialect, set, TimeProvider.System);

        Assert.ThrowsAsync<SqliteException>(() => runner.RunAsync(CancellationToken.None));

        Assert.That(await runner.CurrentVersionAsync(CancellationToken.None), Is.Zero);
        Assert.That(await ScalarAsync(database, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('first_table', 'second_table')"), Is.Zero,
            "migration 1 rolled back with 2: all in one transaction");
    }

    [Test]
    public async Task A_database_newer_than_the_code_is_a_clear_error_and_is_left_alone()
    {
        var database = new CheckoutDatabase(DatabasePath);
        await database.InitializeAsync(CancellationToken.None);
        await ScalarAsync(database, "INSERT INTO schema_migrations (version, name, applied_at, how) VALUES (99, 'from_the_future', '2031-01-01T00:00:00.0000000Z', 'applied')");

        var error = Assert.ThrowsAsync<DatabaseSchemaException>(() => new CheckoutDatabase(DatabasePath).InitializeAsync(CancellationToken.None));

        Assert.That(error!.Message, Does.Contain(DatabasePath).And.Contain("version 99").And.Contain($"up to {SqliteMigrations.All.Latest}"));
        Assert.That(error.DatabaseVersion, Is.EqualTo(99));
        Assert.That(error.LatestKnown, Is.EqualTo(SqliteMigrations.All.Latest));
        Assert.That(error.Database, Is.EqualTo(DatabasePath));
        Assert.That(error.ToString(), Does.Not.Contain("   at ").And.Not.Contain("MigrationRunner"), "printed without a stack trace");
        Assert.That((await VersionsAsync(database)).Select(v => v.Version), Is.EqualTo(AllVersionsLong.Append(99)), "nothing changed");
    }

    [Test]
    public async Task A_database_from_before_the_first_added_columns_is_adopted_and_filled_in()
    {
        // The shape of an early unversioned release: purchases without owner or amount, deliveries without lease owner.
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE purchases (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, status TEXT NOT NULL,
                    recipe TEXT NOT NULL, request_json TEXT NOT NULL, spend_request_id TEXT, outcome_json TEXT);
                CREATE TABLE webhook_deliveries (id TEXT PRIMARY KEY, purchase_id TEXT NOT NULL, agent_id TEXT, event_type TEXT NOT NULL,
                    url TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL, next_attempt_at TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL, lease_until TEXT);
                INSERT INTO purchases VALUES ('pur_old', '2025-01-01T00:00:00.0000000Z', '2025-01-01T00:00:00.0000000Z', 'succeeded', 'demo', '{}', NULL, NULL);
                """;
            await command.ExecuteNonQueryAsync();
        }
        var database = new CheckoutDatabase(DatabasePath);

        var report = await database.InitializeAsync(CancellationToken.None);

        Assert.That(report.Adopted.Select(m => m.Version), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(report.Applied.Select(m => m.Version), Is.EqualTo(new[] { 5, 6, 7, 8, 9, 10, 11 }));
        Assert.That(await ScalarAsync(database, "SELECT COUNT(*) FROM pragma_table_info('purchases') WHERE name IN ('agent_id', 'schedule_id', 'amount', 'currency', 'merchant_host')"),
            Is.EqualTo(5));
        Assert.That(await ScalarAsync(database, "SELECT COUNT(*) FROM pragma_table_info('webhook_deliveries') WHERE name = 'lease_owner'"), Is.EqualTo(1));
        Assert.That(await ScalarAsync(database, "SELECT status FROM purchases WHERE id = 'pur_old'"), Is.EqualTo("succeeded"));
        Assert.That((await VersionsAsync(database)).Select(v => v.How), Is.EqualTo(new[] { "baseline", "baseline", "baseline", "baseline", "applied", "applied", "applied", "applied", "applied", "applied", "applied" }));
    }

    private sealed class CountingMigration(int version, string name, ConcurrentBag<int> runs, string sql, TimeSpan delay = default)
        : Migration(version, name)
    {
        public override async Task UpAsync(MigrationContext context)
        {
            runs.Add(Version);
            await Task.Delay(delay);
            await context.ExecuteAsync(sql);
        }
    }
}
