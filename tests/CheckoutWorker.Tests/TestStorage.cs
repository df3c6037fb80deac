namespace CheckoutAgent.Tests;

/// <summary>
/// Which engine the in-process test hosts (<see cref="Service.TestService"/>, <see cref="TestWorker"/>) keep their state
/// on: SQLite in the data directory by default; with <c>CHECKOUT_AGENT_TEST_STORAGE=postgres</c> a new database on the
/// tests' PostgreSQL for each host (<see cref="TestPostgres"/>). <c>make test</c> runs the worker's tests both ways
/// (see scripts/test.sh); tests that read the SQLite file directly are marked <c>[Category("SqliteFile")]</c> and run on SQLite only.
/// </summary>
internal static class TestStorage
{
    public const string Variable = "CHECKOUT_AGENT_TEST_STORAGE";

    // One database per data directory, so a host restarted on the same data directory finds its state again.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string>>> Databases = new();

    public static bool OnPostgres => string.Equals(Environment.GetEnvironmentVariable(Variable), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>Adds the storage settings of the chosen engine to a test host's configuration.</summary>
    public static async Task ConfigureAsync(IDictionary<string, string?> configuration)
    {
        if (OnPostgres && !configuration.ContainsKey("Storage:Provider"))
        {
            configuration["Storage:Provider"] = "postgres";
            var dataDirectory = Path.GetFullPath(configuration.TryGetValue("Worker:DataDirectory", out var dir) && dir is not null ? dir : ".");
            configuration["Storage:ConnectionString"] = await Databases
                .GetOrAdd(dataDirectory, _ => new Lazy<Task<string>>(() => TestPostgres.CreateDatabaseAsync("worker"))).Value;
        }
    }
}
