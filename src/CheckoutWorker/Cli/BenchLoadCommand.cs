using System.CommandLine;
using System.Text.Json;
using CheckoutAgent.Worker.Bench;

namespace CheckoutAgent.Worker.Cli;

/// <summary><c>checkout-agent bench load</c>: the API under 50 concurrent agents while the worker checks out.</summary>
internal static class BenchLoadCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var agents = new Option<int>("--agents") { Description = "Concurrent agents, each with its own token (default 50).", DefaultValueFactory = _ => 50 };
        agents.InRange(1, 500, "--agents must be from 1 to 500.");
        var seconds = new Option<int>("--seconds") { Description = "How long the agents call (default 60).", DefaultValueFactory = _ => 60 };
        seconds.InRange(1, 3600, "--seconds must be from 1 to 3600.");
        var think = new Option<int>("--think-ms") { Description = "Each agent's pause between calls, in ms (default 20).", DefaultValueFactory = _ => 20 };
        think.InRange(0, 10_000, "--think-ms must be from 0 to 10000.");
        var output = new Option<FileInfo?>("--out") { Description = "Also write the results as JSON to this file." };
        var command = new Command("load",
            "Hold the API under load while the worker checks out: starts the service in-process on a loopback port with the " +
            "demo shop and the Link sandbox, then 50 agents call for 60 s in a closed loop (creates, retries of the same " +
            "Idempotency-Key, gets, lists, cancels; their purchases are refused by policy at intake, so cancels get 409) while a shopper's purchases are approved and bought in Chromium. Prints " +
            "requests/s, p50/p99 per call, 4xx/5xx, purchases created vs stored vs finished, and memory at start and end. " +
            "Exit code 1 when a goal is missed (a 5xx, a lost or doubled purchase, p99 of reads at or over 100 ms).")
        {
            agents, seconds, think, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new LoadBenchSettings
            {
                Agents = parse.GetValue(agents),
                Duration = TimeSpan.FromSeconds(parse.GetValue(seconds)),
                ThinkTime = TimeSpan.FromMilliseconds(parse.GetValue(think)),
            };
            var result = await LoadBenchmark.RunAsync(settings, Console.Error, cancellationToken);
            Console.Out.Write(LoadBenchmark.Format(result));
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(result, Indented) + "\n", cancellationToken);
                Console.Error.WriteLine($"load: results written to {file.FullName}");
            }
            return result.Misses.Count == 0 ? 0 : 1;
        });
        return command;
    }
}
