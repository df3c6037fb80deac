using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Worker.Storage;

/// <summary>
/// The one SQLite file of the embedded default: Quartz's tables, purchases and their event timelines live side by side,
/// so a purchase's state and its scheduled job are backed up, moved and inspected together.
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

    /// <value>Absolute path of the database file.</value>
    public string Path { get; }

    /// <value>Connection string shared with Quartz's ADO store.</value>
    public string ConnectionString { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Creates the purchase tables if missing and turns on WAL so readers never block the writer.</summary>
    public void Initialize()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
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
            """;
        command.ExecuteNonQuery();
    }
}
