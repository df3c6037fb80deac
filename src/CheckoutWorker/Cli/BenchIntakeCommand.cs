using System.CommandLine;
using System.Text.Json;
using CheckoutAgent.Worker.Bench;

namespace CheckoutAgent.Worker.Cli;

/// <summary><c>checkout-agent bench intake</c>: purchases per second the HTTP API accepts into the store.</summary>
internal static class BenchIntakeCommand
{
    private const int MaxClients = 256;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var clients = new Option<string>("--clients")
        {
            Description = "Concurrent API clients, one measured level each, comma-separated (default 1,8,32).",
            DefaultValueFactory = _ => "1,8,32",
        };
        clients.Validators.Add(result =>
        {
            if (BenchCommand.ParseLevels(result.GetValueOrDefault<string>(), MaxClients) is null)
            {
                result.AddError($"--clients must be whole numbers from 1 to 256 separated by commas, e.g. 1,8,32; got '{result.GetValueOrDefault<string>()}'.");
            }
        });
        var requests = new Option<int>("--requests")
        {
            Description = "Purchases posted at each level (default 2000).",
            DefaultValueFactory = _ => 2000,
        };
        requests.InRange(1, 1_000_000, "--requests must be between 1 and 1000000.");
        var postgres = new Option<string?>("--postgres")
        {
            Description = "Also measure with the service on this PostgreSQL database (a connection string; default: " +
                "Storage__ConnectionString when Storage__Provider is postgres). The SQLite run comes first.",
            DefaultValueFactory = _ => string.Equals(Environment.GetEnvironmentVariable("Storage__Provider"), "postgres", StringComparison.OrdinalIgnoreCase)
                ? Environment.GetEnvironmentVariable("Storage__ConnectionString") : null,
        };
        var output = new Option<FileInfo?>("--out")
        {
            Description = "Also write the results as JSON to this file.",
        };
        var command = new Command("intake",
            "Measure how many purchases per second the HTTP API accepts into the store: starts the service in-process on a " +
            "loopback port with a fresh temporary database, then posts purchases (each with its own Idempotency-Key, checked " +
            "against an agent's policy) from 1, 8 and 32 concurrent clients. Link's sandbox leaves them waiting for approval, " +
            "so no checkout runs. Prints accepted purchases per second and latency per level.")
        {
            clients, requests, postgres, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new IntakeBenchSettings { Clients = BenchCommand.ParseLevels(parse.GetValue(clients), MaxClients)!, Requests = parse.GetValue(requests) };
            var results = new List<IntakeBenchResult> { await IntakeBenchmark.RunAsync(settings, Console.Error, cancellationToken) };
            if (parse.GetValue(postgres) is { Length: > 0 } connectionString)
            {
                results.Add(await IntakeBenchmark.RunAsync(new IntakeBenchSettings
                {
                    Clients = settings.Clients, Requests = settings.Requests, PostgresConnectionString = connectionString,
                }, Console.Error, cancellationToken));
            }
            foreach (var result in results)
            {
                Console.Out.WriteLine($"-- {result.Engine}");
                Console.Out.Write(IntakeBenchmark.Format(result));
            }
            if (parse.GetValue(output) is { } file)
            {
                object written = results.Count == 1 ? results[0] : results;
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(written, Indented) + "\n", cancellationToken);
                Console.Error.WriteLine($"intake: results written to {file.FullName}");
            }
            return results.All(r => r.Runs.All(run => run.Errors == 0)) ? 0 : 1;
        });
        return command;
    }
}
