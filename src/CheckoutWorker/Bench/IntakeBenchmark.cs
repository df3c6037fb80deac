using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace CheckoutAgent.Worker.Bench;

/// <summary>What <see cref="IntakeBenchmark"/> runs.</summary>
public sealed class IntakeBenchSettings
{
    /// <value>Concurrent API clients, one measured level each. Default 1, 8, 32.</value>
    public IReadOnlyList<int> Clients { get; init; } = [1, 8, 32];

    /// <value>Purchases posted at each level. Default 2000.</value>
    public int Requests { get; init; } = 2000;

    /// <value>Purchases posted before measuring (JIT, connection pool, SQLite page cache). Default 200.</value>
    public int WarmUp { get; init; } = 200;

    /// <value>Where the service keeps its database; null: a fresh temporary folder, deleted afterwards.</value>
    public string? DataDirectory { get; init; }

    /// <value>Null: the embedded SQLite store. Otherwise a PostgreSQL connection string: the service keeps its state
    /// there (Quartz clustered on it), as a node of several would.</value>
    public string? PostgresConnectionString { get; init; }
}

/// <summary>One measured level: <see cref="Clients"/> clients posting <see cref="Requests"/> purchases between them.</summary>
public sealed record IntakeRun(
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("accepted")] int Accepted,
    [property: JsonPropertyName("errors")] int Errors,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("accepted_per_second")] double AcceptedPerSecond,
    [property: JsonPropertyName("p50_ms")] double P50Ms,
    [property: JsonPropertyName("p95_ms")] double P95Ms,
    [property: JsonPropertyName("p99_ms")] double P99Ms);

/// <summary>The whole intake measurement, as written to JSON.</summary>
public sealed record IntakeBenchResult(
    [property: JsonPropertyName("runs")] IReadOnlyList<IntakeRun> Runs,
    [property: JsonPropertyName("purchases_stored")] long PurchasesStored,
    [property: JsonPropertyName("processor_count")] int ProcessorCount,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt)
{
    /// <value><c>sqlite</c> or <c>postgres</c>.</value>
    [JsonPropertyName("engine")]
    public string Engine { get; init; } = CheckoutDatabase.SqliteProvider;
}

/// <summary>
/// How many purchases per second the HTTP API accepts into the store: a real <c>serve</c> host (Kestrel on loopback,
/// SQLite, Quartz) and real HTTP clients, each POST with its own idempotency key, a policy with a budget to sum and a
/// cap to check. Link's sandbox leaves every spend request waiting for approval, so the worker's own polling runs
/// beside intake as it would in production, and no checkout competes for the two cores.
/// </summary>
public static class IntakeBenchmark
{
    public static async Task<IntakeBenchResult> RunAsync(IntakeBenchSettings settings, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        var startedAt = TimeProvider.System.GetUtcNow();
        var dataDirectory = settings.DataDirectory ?? Path.Combine(Path.GetTempPath(), "checkout-agent-intake-" + Guid.NewGuid().ToString("N")[..8]);
        var ownsDirectory = settings.DataDirectory is null;
        try
        {
            var host = new WorkerHostSettings
            {
                Sandbox = new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Manual }),
                ConsoleLogLevel = LogEventLevel.Warning,
            };
            host.Configuration["Worker:DataDirectory"] = dataDirectory;
            if (settings.PostgresConnectionString is { } postgres)
            {
                host.Configuration["Storage:Provider"] = CheckoutDatabase.PostgresProvider;
                host.Configuration["Storage:ConnectionString"] = postgres;
            }
            await using var app = ServiceHost.Build(host, "http://127.0.0.1:0");
            await app.StartAsync(cancellationToken);
            var agents = app.Services.GetRequiredService<AgentStore>();
            var agent = await agents.AddAsync("intake-bench-" + Guid.NewGuid().ToString("N")[..6], [Scopes.PurchasesWrite],
                new AgentPolicy { MaxPerPurchase = 100_000, DailyBudget = 1_000_000_000_000, MaxRequestsPerSecond = null, MaxPurchasesPerHour = null }, cancellationToken);
            var baseAddress = new Uri(app.Urls.First());

            var engine = settings.PostgresConnectionString is null ? CheckoutDatabase.SqliteProvider : CheckoutDatabase.PostgresProvider;
            var before = await CountPurchasesAsync(app.Services.GetRequiredService<CheckoutDatabase>(), cancellationToken);
            progress.WriteLine($"intake ({engine}): service on {baseAddress}, warming up with {settings.WarmUp} purchases");
            await PostManyAsync(baseAddress, agent.Token, Math.Min(8, Math.Max(1, settings.WarmUp)), settings.WarmUp, "warm", cancellationToken);

            var runs = new List<IntakeRun>();
            foreach (var clients in settings.Clients)
            {
                var run = await PostManyAsync(baseAddress, agent.Token, clients, settings.Requests, $"c{clients}", cancellationToken);
                runs.Add(run);
                progress.WriteLine($"intake ({engine}): {clients,3} client(s): {run.AcceptedPerSecond,7:0} purchases/s accepted, p50 {run.P50Ms:0.0} ms, p95 {run.P95Ms:0.0} ms" +
                                   (run.Errors > 0 ? $", {run.Errors} error(s)" : ""));
            }

            var stored = await CountPurchasesAsync(app.Services.GetRequiredService<CheckoutDatabase>(), cancellationToken) - before;
            // Disposing alone would leave Quartz's scheduler thread running (and the process alive).
            await app.StopAsync(CancellationToken.None);
            return new IntakeBenchResult(runs, stored, Environment.ProcessorCount, startedAt) { Engine = engine };
        }
        finally
        {
            if (ownsDirectory && Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    /// <summary>The table printed after a run.</summary>
    public static string Format(IntakeBenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        text.AppendLine("clients  accepted/s   p50 ms   p95 ms   p99 ms  errors");
        foreach (var run in result.Runs)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"{run.Clients,7}  {run.AcceptedPerSecond,10:0}  {run.P50Ms,7:0.0}  {run.P95Ms,7:0.0}  {run.P99Ms,7:0.0}  {run.Errors,6}");
        }
        return text.ToString();
    }

    private static async Task<IntakeRun> PostManyAsync(Uri baseAddress, string token, int clients, int requests, string keyPrefix, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(PurchaseBody()));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var latencies = new double[requests];
        var next = -1;
        var accepted = 0;
        var errors = 0;
        var run = Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases") { Content = content };
                request.Headers.Add("Idempotency-Key", $"bench-{run}-{keyPrefix}-{index}");
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request, cancellationToken);
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if ((int)response.StatusCode == 201)
                {
                    Interlocked.Increment(ref accepted);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }, cancellationToken)));
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new IntakeRun(clients, requests, accepted, errors, Math.Round(seconds, 3), Math.Round(accepted / seconds, 1),
            Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99));
    }

    /// <summary>Nearest-rank percentile of sorted values, rounded to 0.01.</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double fraction)
    {
        if (sorted.Count == 0)
        {
            return 0;
        }
        var rank = (int)Math.Ceiling(fraction * sorted.Count) - 1;
        return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Count - 1)], 2);
    }

    private static async Task<long> CountPurchasesAsync(CheckoutDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM purchases";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>A purchase an agent would send: one item, buyer, shipping, context; the merchant is never reached.</summary>
    private static Dictionary<string, object?> PurchaseBody() => new()
    {
        ["recipe"] = "demo-shop",
        ["merchant_url"] = "http://shop.example.test",
        ["items"] = new[] { new Dictionary<string, object?> { ["name"] = "Ceramic pour-over coffee dripper", ["quantity"] = 1, ["unit_amount"] = 2400 } },
        ["amount"] = 2400,
        ["currency"] = "usd",
        ["context"] = "Restocking the office kitchen: one pour-over dripper, as the weekly procurement list asks; measured by checkout-agent bench intake.",
        ["buyer"] = new Dictionary<string, object?> { ["email"] = "jane.doe@example.com", ["name"] = "Jane Doe" },
        ["shipping"] = new Dictionary<string, object?>
        {
            ["name"] = "Jane Doe", ["line1"] = "510 Townsend St", ["city"] = "San Francisco", ["state"] = "CA", ["postal_code"] = "94103", ["country"] = "US",
        },
    };
}
