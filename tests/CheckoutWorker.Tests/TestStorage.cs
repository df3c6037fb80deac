namespace CheckoutAgent.Tests;

/// <summary>
/// Which engine the in-process test hosts (<see cref="Service.TestService"/>, <see cref="TestWorker"/>) keep their state
/// on: SQLite in the data directory by default; with <c>CHECKOUT_AGENT_TEST_STORAGE=postgres</c> a new database on the
/// tests' PostgreSQL for each host (<see cref="TestPostgres"/>). <c>make test</c> runs the worker's tests both ways
/// (see scripts/test.sh); tests that read the SQLite file directly or run child processes on it are marked
/// <c>[Category(TestStorage.SqliteOnly)]</c> and run on SQLite only.
/// </summary>
internal static class TestStorage
{
    public const string Variable = "CHECKOUT_AGENT_TEST_STORAGE";

    /// <summary>The category of tests that read the SQLite file or run child processes on it: left out of the PostgreSQL pass.</summary>
    public const string SqliteOnly = "SqliteOnly";

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

    /// <summary>The dump <see cref="Dump"/> writes: scanned by the leak suites as the database's stand-in on PostgreSQL.</summary>
    public const string DumpFileName = "postgres-dump.txt";

    /// <summary>
    /// On PostgreSQL, writes every row of every table of the data directory's database into
    /// <c>&lt;data dir&gt;/postgres-dump.txt</c> (text as is, bytes decoded as UTF-8, as a file scan reads them), so the
    /// leak suites scan what the database holds as they scan the SQLite file. Nothing on SQLite.
    /// </summary>
    public static void Dump(string dataDirectory)
    {
        if (!OnPostgres || !Databases.TryGetValue(Path.GetFullPath(dataDirectory), out var database))
        {
            return;
        }
        using var connection = new Npgsql.NpgsqlConnection(database.Value.GetAwaiter().GetResult());
        connection.Open();
        var tables = new List<string>();
        using (var list = new Npgsql.NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", connection))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var dump = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            dump.Append("-- ").AppendLine(table);
            using var select = new Npgsql.NpgsqlCommand($"SELECT * FROM \"{table}\"", connection);
            using var rows = select.ExecuteReader();
            while (rows.Read())
            {
                for (var i = 0; i < rows.FieldCount; i++)
                {
                    var value = rows.IsDBNull(i) ? "NULL" : rows.GetValue(i) is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : Convert.ToString(rows.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
                    dump.Append(value).Append('\t');
                }
                dump.AppendLine();
            }
        }
        Directory.CreateDirectory(dataDirectory);
        File.WriteAllText(Path.Combine(dataDirectory, DumpFileName), dump.ToString());
    }
}
