using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Storage;

/// <summary>
/// The one SQLite file of the embedded default: Quartz's tables, purchases and their event timelines, agents, schedules,
/// merchant accounts and the webhook outbox live side by side, so a purchase's state and its scheduled job are backed
/// up, moved and inspected together. Bundles what the stores need (<see cref="Connections"/>, <see cref="Dialect"/>)
/// with the SQLite migrations.
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
        Connections = new SqliteConnectionFactory(ConnectionString);
        Migrations = new MigrationRunner(Connections, Dialect, SqliteMigrations.All, TimeProvider.System);
    }

    /// <summary>Lets SQLite wait up to 30 s for a lock, in steps of a few milliseconds.</summary>
    public const string BusyTimeoutPragma = SqliteConnectionFactory.BusyTimeoutPragma;

    /// <value>Absolute path of the database file.</value>
    public string Path { get; }

    /// <value>Connection string shared with Quartz's ADO store.</value>
    public string ConnectionString { get; }

    /// <value>Opens the stores' connections.</value>
    public SqliteConnectionFactory Connections { get; }

    public SqlDialect Dialect { get; } = SqliteDialect.Instance;

    public MigrationRunner Migrations { get; }

    /// <summary>A connection with the busy handler set (see <see cref="SqliteConnectionFactory"/>).</summary>
    public Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => Connections.OpenAsync(cancellationToken);

    /// <summary>
    /// Creates the file if missing, turns on WAL and applies the migrations this database lacks (see
    /// <see cref="MigrationRunner"/>). Safe to call on every start and from several processes at once.
    /// </summary>
    /// <exception cref="DatabaseSchemaException">The database is newer than this build.</exception>
    public Task<MigrationReport> InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        return Migrations.RunAsync(cancellationToken);
    }

    /// <inheritdoc cref="InitializeAsync" />
    public MigrationReport Initialize() => InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
}
