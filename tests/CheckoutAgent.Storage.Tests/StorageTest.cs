using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Tests.Storage;

/// <summary>
/// Gives each test its own folder under the temp folder, removed afterwards, and — for fixtures that run on both engines
/// (<c>[TestFixture("sqlite")]</c>, <c>[TestFixture("postgres")]</c>) — its own database: a file in that folder, or a new
/// database on the tests' PostgreSQL (<see cref="TestPostgres"/>).
/// </summary>
public abstract class StorageTest(string provider = CheckoutDatabase.SqliteProvider)
{
    protected string Provider { get; } = provider;

    protected bool OnPostgres => Provider == CheckoutDatabase.PostgresProvider;

    /// <value>The test's own PostgreSQL database (on PostgreSQL fixtures).</value>
    protected string? PostgresConnectionString { get; private set; }

    protected string Folder { get; private set; } = "";

    /// <summary>The test's database on the fixture's engine; every call is another "process" on the same database.</summary>
    protected CheckoutDatabase OpenDatabase() => OnPostgres ? CheckoutDatabase.Postgres(PostgresConnectionString!) : new CheckoutDatabase(DatabasePath);

    [SetUp]
    public async Task CreatePostgresDatabase()
    {
        if (OnPostgres)
        {
            PostgresConnectionString = await TestPostgres.CreateDatabaseAsync("storage");
        }
    }

    protected string DatabasePath => Path.Combine(Folder, "checkout-agent.db");

    [SetUp]
    public void CreateFolder()
    {
        Folder = Path.Combine(Path.GetTempPath(), "checkout-agent-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    [TearDown]
    public void DeleteFolder()
    {
        // Pooled connections keep the file open.
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    protected static async Task<object?> ScalarAsync(CheckoutDatabase database, string sql)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// Initializes <paramref name="database"/>, then another <see cref="CheckoutDatabase"/> on the same file: the second
    /// must apply and adopt nothing, and neither the recorded versions nor <paramref name="probeSql"/>'s answer may move.
    /// </summary>
    protected async Task AssertInitializingAgainChangesNothingAsync(CheckoutDatabase database, string probeSql)
    {
        await database.InitializeAsync(CancellationToken.None);
        var versions = await VersionsAsync(database);
        var probe = await ScalarAsync(database, probeSql);

        var again = await OpenDatabase().InitializeAsync(CancellationToken.None);

        Assert.That(again.Applied, Is.Empty);
        Assert.That(again.Adopted, Is.Empty);
        Assert.That(await VersionsAsync(database), Is.EqualTo(versions));
        Assert.That(await ScalarAsync(database, probeSql), Is.EqualTo(probe));
    }

    protected static async Task<long> CountAsync(CheckoutDatabase database, string table) => (long)(await ScalarAsync(database, $"SELECT COUNT(*) FROM {table}"))!;

    protected static async Task<List<(long Version, string Name, string How)>> VersionsAsync(CheckoutDatabase database)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, name, how FROM schema_migrations ORDER BY version";
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<(long, string, string)>();
        while (await reader.ReadAsync())
        {
            result.Add((Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2)));
        }
        return result;
    }
}
