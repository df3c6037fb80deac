using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Storage;

/// <summary>
/// The one SQLite file of the embedded default: Quartz's tables, purchases and their event timelines, agents, schedules
/// and the webhook outbox live side by side, so a purchase's state and its scheduled job are backed up, moved and
/// inspected together.
/// </summary>
public sealed class CheckoutDatabase
{
    public CheckoutDatabase(string path)
    {
        Path = path;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Quartz and the purchase store write from several threads; wait for the lock instead of failing.
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>Lets SQLite wait up to 30 s for a lock, in steps of a few milliseconds.</summary>
    public const string BusyTimeoutPragma = "PRAGMA busy_timeout = 30000";

    /// <value>Absolute path of the database file.</value>
    public string Path { get; }

    /// <value>Connection string shared with Quartz's ADO store.</value>
    public string ConnectionString { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        // SQLite's own busy handler waits for a lock in steps of a few milliseconds. Without it Microsoft.Data.Sqlite
        // retries a busy statement after 150 ms sleeps, which under concurrent writers made intake 10x slower.
        await using var command = connection.CreateCommand();
        command.CommandText = BusyTimeoutPragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Creates the tables if missing (and the columns a database from an older version lacks) and turns on WAL so
    /// readers never block the writer. Safe to call on every start and from several processes.
    /// </summary>
    public void Initialize()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS purchases (
                id               TEXT PRIMARY KEY,
                created_at       TEXT NOT NULL,
                updated_at       TEXT NOT NULL,
                status           TEXT NOT NULL,
                recipe           TEXT NOT NULL,
                request_json     TEXT NOT NULL,
                spend_request_id TEXT,
                outcome_json     TEXT
            );
            CREATE TABLE IF NOT EXISTS purchase_events (
                seq          INTEGER PRIMARY KEY AUTOINCREMENT,
                purchase_id  TEXT NOT NULL REFERENCES purchases(id),
                at           TEXT NOT NULL,
                kind         TEXT NOT NULL,
                message      TEXT NOT NULL,
                data_json    TEXT
            );
            CREATE INDEX IF NOT EXISTS ix_purchase_events_purchase ON purchase_events(purchase_id, seq);
            CREATE TABLE IF NOT EXISTS agents (
                id               TEXT PRIMARY KEY,
                name             TEXT NOT NULL UNIQUE,
                token_hash       TEXT NOT NULL UNIQUE,
                scopes           TEXT NOT NULL,
                webhook_secret   TEXT NOT NULL,
                policy_json      TEXT NOT NULL,
                created_at       TEXT NOT NULL,
                revoked_at       TEXT
            );
            CREATE TABLE IF NOT EXISTS idempotency_keys (
                agent_id       TEXT NOT NULL,
                key            TEXT NOT NULL,
                request_hash   TEXT NOT NULL,
                purchase_id    TEXT NOT NULL,
                status_code    INTEGER NOT NULL,
                response_json  TEXT NOT NULL,
                created_at     TEXT NOT NULL,
                PRIMARY KEY (agent_id, key)
            );
            CREATE TABLE IF NOT EXISTS settings (
                key    TEXT PRIMARY KEY,
                value  TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS schedules (
                id             TEXT PRIMARY KEY,
                agent_id       TEXT NOT NULL,
                name           TEXT NOT NULL,
                cron           TEXT NOT NULL,
                time_zone      TEXT NOT NULL,
                request_json   TEXT NOT NULL,
                paused         INTEGER NOT NULL DEFAULT 0,
                created_at     TEXT NOT NULL,
                updated_at     TEXT NOT NULL,
                UNIQUE (agent_id, name)
            );
            CREATE TABLE IF NOT EXISTS webhook_deliveries (
                id              TEXT PRIMARY KEY,
                purchase_id     TEXT NOT NULL,
                agent_id        TEXT,
                event_type      TEXT NOT NULL,
                url             TEXT NOT NULL,
                body            TEXT NOT NULL,
                created_at      TEXT NOT NULL,
                next_attempt_at TEXT NOT NULL,
                attempts        INTEGER NOT NULL DEFAULT 0,
                state           TEXT NOT NULL,
                lease_until     TEXT
            );
            CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
            """);
        // Columns added after the first release: a database made by an older version gains them in place.
        AddColumnIfMissing(connection, "purchases", "agent_id", "TEXT");
        AddColumnIfMissing(connection, "purchases", "schedule_id", "TEXT");
        AddColumnIfMissing(connection, "purchases", "amount", "INTEGER");
        AddColumnIfMissing(connection, "purchases", "currency", "TEXT");
        AddColumnIfMissing(connection, "purchases", "merchant_host", "TEXT");
        // Who holds a delivery's lease: a sender records its result only while the lease is still its own.
        AddColumnIfMissing(connection, "webhook_deliveries", "lease_owner", "TEXT");
        Execute(connection, """
            CREATE INDEX IF NOT EXISTS ix_purchases_agent ON purchases(agent_id, created_at, id);
            CREATE INDEX IF NOT EXISTS ix_purchases_status ON purchases(status);
            -- Covers the budget sums of intake: read from the index alone, without a table lookup per purchase.
            CREATE INDEX IF NOT EXISTS ix_purchases_spend ON purchases(agent_id, currency, created_at, status, amount);
            """);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void AddColumnIfMissing(SqliteConnection connection, string table, string column, string type)
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
            if ((long)command.ExecuteScalar()! > 0)
            {
                return;
            }
        }
        try
        {
            Execute(connection, $"ALTER TABLE {table} ADD COLUMN {column} {type}");
        }
        catch (SqliteException ex) when (ex.Message.Contains("duplicate column", StringComparison.OrdinalIgnoreCase))
        {
            // Another process added it between the check and the change.
        }
    }
}
