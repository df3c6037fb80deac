using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Worker.Configuration;

namespace CheckoutAgent.Worker.Cli;

/// <summary>
/// <c>checkout-agent db migrate|status</c>: the schema of the configured database (the SQLite file in the data
/// directory, or PostgreSQL per <c>Storage__Provider</c> and <c>Storage__ConnectionString</c>). <c>serve</c> migrates on
/// start anyway; these let an operator do it ahead of a rolling upgrade and see where a database stands.
/// </summary>
internal static class DbCommand
{
    public static Command Create() => new("db", "The worker's database: show its schema version, or bring it up to date.")
    {
        Migrate(), Status(),
    };

    private static Command Migrate()
    {
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("migrate", "Apply the migrations the database lacks (safe to run while other nodes start: they take turns). " +
            "Uses Storage__Provider / Storage__ConnectionString like serve; SQLite by default.")
        {
            dataDir,
        };
        command.SetAction(async (parse, cancellationToken) => await ReachingAsync(parse, parse.GetValue(dataDir)!, async database =>
        {
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"migrating {database.Description} ({database.Provider})...");
            var report = await database.InitializeAsync(cancellationToken);
            foreach (var adopted in report.Adopted)
            {
                output.WriteLine($"  adopted  {adopted.Version,3} {adopted.Name} (made by an unversioned release)");
            }
            foreach (var applied in report.Applied)
            {
                output.WriteLine($"  applied  {applied.Version,3} {applied.Name}");
            }
            output.WriteLine(report.Applied.Count == 0 && report.Adopted.Count == 0
                ? $"already up to date at version {report.Version}"
                : $"now at version {report.Version}");
            return 0;
        }));
        return command;
    }

    private static Command Status()
    {
        var dataDir = CommonOptions.DataDirectory();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var command = new Command("status", "Show each migration of the configured database and whether it is applied; exit 1 when some are pending, " +
            "78 when the database is newer than this build.")
        {
            dataDir, json,
        };
        command.SetAction(async (parse, cancellationToken) => await ReachingAsync(parse, parse.GetValue(dataDir)!, async database =>
        {
            if (database.Path is { } file && !File.Exists(file))
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: there is no database at {file} yet: 'checkout-agent db migrate' or 'serve' creates it");
                return 1;
            }
            var status = await database.Migrations.StatusAsync(cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    database = status.Database,
                    engine = status.Engine,
                    pending = status.Pending,
                    unknown_versions = status.UnknownVersions,
                    migrations = status.Migrations.Select(m => new { version = m.Version, name = m.Name, applied_at = m.AppliedAt, how = m.How }),
                }));
            }
            else
            {
                output.WriteLine($"{status.Database} ({status.Engine})");
                foreach (var m in status.Migrations)
                {
                    var state = m.AppliedAt is { } at ? $"{m.How} {at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z" : "pending";
                    output.WriteLine($"  {m.Version,3} {m.Name,-28} {state}");
                }
                foreach (var unknown in status.UnknownVersions)
                {
                    output.WriteLine($"  {unknown,3} (unknown to this build: a newer checkout-agent applied it)");
                }
                output.WriteLine(status.UnknownVersions.Count > 0 ? "the database is newer than this build"
                    : status.Pending == 0 ? "up to date" : $"{status.Pending} pending: run 'checkout-agent db migrate' (serve also migrates on start)");
            }
            return status.UnknownVersions.Count > 0 ? CliApp.ConfigurationError : status.Pending > 0 ? 1 : 0;
        }));
        return command;
    }

    /// <summary>Runs <paramref name="action"/> on the configured database; one that cannot be reached is one line on stderr
    /// naming it (never its password) and exit 1.</summary>
    private static async Task<int> ReachingAsync(ParseResult parse, string dataDirectory, Func<CheckoutDatabase, Task<int>> action)
    {
        var database = StorageOptions.OpenDatabase(new WorkerOptions { DataDirectory = dataDirectory }.DatabasePath);
        try
        {
            return await action(database);
        }
        catch (System.Data.Common.DbException ex)
        {
            parse.InvocationConfiguration.Error.WriteLine($"error: the database {database.Description} could not be used ({ex.GetType().Name}): {ex.Message}");
            return 1;
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            parse.InvocationConfiguration.Error.WriteLine($"error: the database {database.Description} could not be reached: {ex.Message}");
            return 1;
        }
    }
}
