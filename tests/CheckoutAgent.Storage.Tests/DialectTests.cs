using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Tests.Storage;

public class DialectTests : StorageTest
{
    [Test]
    public async Task A_write_transaction_holds_the_write_lock_before_its_first_statement()
    {
        var database = new CheckoutDatabase(DatabasePath);
        await database.InitializeAsync(CancellationToken.None);
        await using var first = await database.OpenAsync(CancellationToken.None);
        await using var holding = await database.Dialect.BeginWriteTransactionAsync(first, CancellationToken.None);

        // A second writer that waits a second at most: it must find the lock taken although the first has run nothing yet.
        await using var second = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, DefaultTimeout = 1, Pooling = false }.ToString());
        await second.OpenAsync();
        await using (var noWait = second.CreateCommand())
        {
            noWait.CommandText = "PRAGMA busy_timeout = 0";
            await noWait.ExecuteNonQueryAsync();
        }
        var busy = Assert.Throws<SqliteException>(() => second.BeginTransaction(deferred: false));
        Assert.That(busy!.SqliteErrorCode, Is.EqualTo(5), "SQLITE_BUSY");
    }

    [Test]
    public async Task Unique_violations_are_recognised_and_other_constraint_failures_are_not()
    {
        var database = new CheckoutDatabase(DatabasePath);
        await database.InitializeAsync(CancellationToken.None);
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(null, "INSERT INTO settings (key, value) VALUES ('k', 'v')", CancellationToken.None);

        var duplicate = Assert.ThrowsAsync<SqliteException>(() => connection.ExecuteAsync(null, "INSERT INTO settings (key, value) VALUES ('k', 'w')", CancellationToken.None));
        var missingValue = Assert.ThrowsAsync<SqliteException>(() => connection.ExecuteAsync(null, "INSERT INTO settings (key, value) VALUES ('j', NULL)", CancellationToken.None));

        Assert.That(database.Dialect.IsUniqueViolation(duplicate!), Is.True);
        Assert.That(database.Dialect.IsUniqueViolation(missingValue!), Is.False, "NOT NULL is a constraint too, but not a duplicate");
    }

    [Test]
    public async Task Column_and_table_introspection_answer_from_the_database()
    {
        var database = new CheckoutDatabase(DatabasePath);
        await database.InitializeAsync(CancellationToken.None);
        await using DbConnection connection = await database.OpenAsync(CancellationToken.None);

        Assert.That(await database.Dialect.ColumnExistsAsync(connection, null, "purchases", "merchant_host", CancellationToken.None), Is.True);
        Assert.That(await database.Dialect.ColumnExistsAsync(connection, null, "purchases", "no_such_column", CancellationToken.None), Is.False);
        Assert.That(await database.Dialect.TableExistsAsync(connection, null, "merchant_accounts", CancellationToken.None), Is.True);
        Assert.That(await database.Dialect.TableExistsAsync(connection, null, "no_such_table", CancellationToken.None), Is.False);
    }

    [Test]
    public async Task The_upsert_inserts_then_replaces()
    {
        var database = new CheckoutDatabase(DatabasePath);
        await database.InitializeAsync(CancellationToken.None);
        var agents = new AgentStore(database, TimeProvider.System, new TestSecretSealer());

        await agents.SetPausedAsync(true, CancellationToken.None);
        Assert.That(await agents.IsPausedAsync(CancellationToken.None), Is.True);
        await agents.SetPausedAsync(false, CancellationToken.None);

        Assert.That(await agents.IsPausedAsync(CancellationToken.None), Is.False);
        Assert.That(await CountAsync(database, "settings"), Is.EqualTo(1));
    }
}
