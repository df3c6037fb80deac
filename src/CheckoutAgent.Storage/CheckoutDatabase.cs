using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Storage;

/// <summary>
/// The worker's database, on one of two engines, bundling what the stores need (<see cref="Connections"/>,
/// <see cref="Dialect"/>), that engine's migrations and what Quartz's ADO store shares (<see cref="ConnectionString"/>).
/// <list type="bullet">
/// <item>SQLite (the embedded default, <c>new CheckoutDatabase(path)</c>): one file holding Quartz's tables, purchases and
/// their timelines, agents, schedules, merchant accounts and the webhook outbox, backed up and moved together.</item>
/// <item>PostgreSQL (<see cref="Postgres"/>): the same tables on a server several workers share, with Quartz clustered
/// on it.</item>
/// </list>
/// </summary>
public sealed class CheckoutDatabase
{
    /// <summary>Provider names, as <c>Storage:Provider</c> takes them.</summary>
    public const string SqliteProvider = "sqlite", PostgresProvider = "postgres";

    /// <summary>The embedded SQLite file at <paramref name="path"/> (created on <see cref="InitializeAsync"/>).</summary>
    public CheckoutDatabase(string path)
    {
        Provider = SqliteProvider;
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
        Dialect = SqliteDialect.Instance;
        Migrations = new MigrationRunner(Connections, Dialect, SqliteMigrations.All, TimeProvider.System);
    }

    private CheckoutDatabase(PostgresConnectionFactory connections)
    {
        Provider = PostgresProvider;
        ConnectionString = connections.ConnectionString;
        Connections = connections;
        Dialect = PostgresDialect.Instance;
        Migrations = new MigrationRunner(Connections, Dialect, PostgresMigrations.All, TimeProvider.System);
    }

    /// <summary>A PostgreSQL database several workers share. Nothing is opened until first use.</summary>
    /// <exception cref="ArgumentException">The connection string cannot be parsed (the message does not quote it).</exception>
    public static CheckoutDatabase Postgres(string connectionString) => new(new PostgresConnectionFactory(connectionString));

    /// <summary>Lets SQLite wait up to 30 s for a lock, in steps of a few milliseconds.</summary>
    public const string BusyTimeoutPragma = SqliteConnectionFactory.BusyTimeoutPragma;

    /// <value><see cref="SqliteProvider"/> or <see cref="PostgresProvider"/>.</value>
    public string Provider { get; }

    /// <value>Whether several workers may share this database (Quartz clustering, leases in the database).</value>
    public bool IsShared => Provider == PostgresProvider;

    /// <value>Absolute path of the SQLite file; null on PostgreSQL.</value>
    public string? Path { get; }

    /// <value>Connection string shared with Quartz's ADO store. On PostgreSQL it may hold a password: never log it.</value>
    public string ConnectionString { get; }

    /// <value>Opens the stores' connections.</value>
    public IConnectionFactory Connections { get; }

    /// <value>Where the database is, for messages: the file, or <c>postgres://host:port/database</c>. Never a password.</value>
    public string Description => Connections.Description;

    public SqlDialect Dialect { get; }

    public MigrationRunner Migrations { get; }

    /// <summary>A ready connection (on SQLite with the busy handler set, see <see cref="SqliteConnectionFactory"/>).</summary>
    public Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => Connections.OpenAsync(cancellationToken);

    /// <summary>
    /// Creates the SQLite file if missing (and turns on WAL), then applies the migrations this database lacks (see
    /// <see cref="MigrationRunner"/>). Safe to call on every start and from several processes or nodes at once.
    /// </summary>
    /// <exception cref="DatabaseSchemaException">The database is newer than this build.</exception>
    public Task<MigrationReport> InitializeAsync(CancellationToken cancellationToken)
    {
        if (Path is not null)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        }
        return Migrations.RunAsync(cancellationToken);
    }

    /// <inheritdoc cref="InitializeAsync" />
    public MigrationReport Initialize() => InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
}
