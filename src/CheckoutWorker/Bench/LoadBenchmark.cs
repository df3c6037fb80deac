using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace CheckoutAgent.Worker.Bench;

/// <summary>What <see cref="LoadBenchmark"/> runs.</summary>
public sealed class LoadBenchSettings
{
    /// <value>Concurrent agents, each with its own token, calling in a closed loop. Default 50.</value>
    public int Agents { get; init; } = 50;

    /// <value>How long the agents call. Default 60 s.</value>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <value>Each agent's pause between two calls. Default 20 ms.</value>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <value>How often the shopper queues a purchase that Link approves and Chromium checks out at the demo shop. Default 3 s.</value>
    public TimeSpan CheckoutInterval { get; init; } = TimeSpan.FromSeconds(3);
}

/// <summary>Latency and answers of one kind of call.</summary>
public sealed record LoadCallStats(
    [property: JsonPropertyName("call")] string Call,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("p50_ms")] double P50Ms,
    [property: JsonPropertyName("p99_ms")] double P99Ms,
    [property: JsonPropertyName("max_ms")] double MaxMs,
    [property: JsonPropertyName("status_4xx")] int Status4xx,
    [property: JsonPropertyName("status_5xx")] int Status5xx,
    [property: JsonPropertyName("no_answer")] int NoAnswer);

/// <summary>The whole load measurement, as written to JSON.</summary>
public sealed record LoadBenchResult(
    [property: JsonPropertyName("agents")] int Agents,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("requests_per_second")] double RequestsPerSecond,
    [property: JsonPropertyName("calls")] IReadOnlyList<LoadCallStats> Calls,
    [property: JsonPropertyName("purchases_created")] int PurchasesCreated,
    [property: JsonPropertyName("purchases_stored")] int PurchasesStored,
    [property: JsonPropertyName("purchases_lost")] int PurchasesLost,
    [property: JsonPropertyName("purchases_duplicated")] int PurchasesDuplicated,
    [property: JsonPropertyName("replays_mismatched")] int ReplaysMismatched,
    [property: JsonPropertyName("purchases_canceled")] int PurchasesCanceled,
    [property: JsonPropertyName("checkouts_queued")] int CheckoutsQueued,
    [property: JsonPropertyName("checkouts_succeeded")] int CheckoutsSucceeded,
    [property: JsonPropertyName("checkouts_finished")] int CheckoutsFinished,
    [property: JsonPropertyName("memory_start_mb")] double MemoryStartMb,
    [property: JsonPropertyName("memory_end_mb")] double MemoryEndMb,
    [property: JsonPropertyName("managed_heap_start_mb")] double ManagedHeapStartMb,
    [property: JsonPropertyName("managed_heap_end_mb")] double ManagedHeapEndMb,
    [property: JsonPropertyName("processor_count")] int ProcessorCount,
    [property: JsonPropertyName("load_average_before")] string? LoadAverageBefore,
    [property: JsonPropertyName("load_average_after")] string? LoadAverageAfter,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt)
{
    /// <summary>The goals of issue 20: no 5xx, nothing lost or doubled, reads' p99 under 100 ms.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Misses
    {
        get
        {
            var misses = new List<string>();
            if (Calls.Sum(c => c.Status5xx + c.NoAnswer) > 0)
            {
                misses.Add("5xx or unanswered calls");
            }
            if (PurchasesLost + PurchasesDuplicated + ReplaysMismatched > 0)
            {
                misses.Add("lost or duplicated purchases");
            }
            if (Calls.Where(c => c.Call is "get" or "list").Any(c => c.P99Ms >= 100))
            {
                misses.Add("p99 of reads at or over 100 ms");
            }
            return misses;
        }
    }
}

/// <summary>
/// <c>bench load</c>: the API held under load while the worker checks out. Starts the serve host in-process on a
/// loopback port with the demo shop and the Link sandbox, then lets <see cref="LoadBenchSettings.Agents"/> agents
/// (each its own token, rate limits lifted so the server, not the policy, is measured) call in a closed loop for
/// <see cref="LoadBenchSettings.Duration"/>: creates (some retried with the same Idempotency-Key, which must replay
/// the same purchase), gets, lists and cancels. Their purchases are refused by policy at intake (so cancels of them get
/// 409 purchase_ended, counted as 4xx); meanwhile a shopper queues one purchase every few seconds that the sandbox
/// approves and Chromium buys at the demo shop. Afterwards it compares
/// what was answered 201 with what the database holds. Memory is the whole process: server and load generator.
/// </summary>
public static class LoadBenchmark
{
    private const string ShopperMarker = "[bench-load checkout]";
    private const string LoadMerchant = "load-agents-only.example";

    public static async Task<LoadBenchResult> RunAsync(LoadBenchSettings settings, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        var startedAt = TimeProvider.System.GetUtcNow();
        var chromium = ChromiumLocator.Find(Environment.GetEnvironmentVariable("Browser__ExecutablePath"));
        var dataDirectory = Path.Combine(Path.GetTempPath(), "checkout-agent-load-" + Guid.NewGuid().ToString("N")[..8]);
        var sandbox = new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Manual });
        var shopOptions = new DemoShopOptions { Variant = DemoVariant.SinglePage };
        try
        {
            await using var shop = await DemoShop.StartAsync(shopOptions, new SandboxIssuer(sandbox), ct: cancellationToken);
            var host = new WorkerHostSettings { Sandbox = sandbox, ConsoleLogLevel = LogEventLevel.Warning };
            host.Configuration["Worker:DataDirectory"] = dataDirectory;
            host.Configuration["Browser:ExecutablePath"] = chromium;
            host.Configuration["Link:ApprovalPollInterval"] = "00:00:00.200";
            foreach (var (key, value) in DemoRunner.ShopConfiguration(shop))
            {
                host.Configuration[key] = value;
            }
            await using var app = ServiceHost.Build(host, "http://127.0.0.1:0");
            await app.StartAsync(cancellationToken);
            var baseAddress = new Uri(app.Urls.First());
            var agents = app.Services.GetRequiredService<AgentStore>();
            var tokens = new List<(string Id, string Token)>();
            for (var i = 0; i < settings.Agents + 1; i++)
            {
                // The load agents' purchases are refused by policy at intake (a merchant they may not buy from): stored
                // and answered like any other, but they never take one of the worker's checkout slots, which a purchase
                // waiting for approval holds. The shopper (the last agent) may buy anywhere.
                var policy = i < settings.Agents ? AgentPolicy.Unlimited with { Merchants = [LoadMerchant] } : AgentPolicy.Unlimited;
                var added = await agents.AddAsync($"load-{i:000}", [Scopes.PurchasesWrite, Scopes.PurchasesRead], policy, cancellationToken);
                tokens.Add((added.Agent.Id, added.Token));
            }
            var (shopperId, shopperToken) = tokens[^1];
            progress.WriteLine($"load: service on {baseAddress}, demo shop on {shop.BaseUrl}, {settings.Agents} agents for {settings.Duration.TotalSeconds:0} s");

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Agents + 4, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
            using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var body = PurchaseBody(shop, shopOptions, "");

            // Warm-up: JIT, connections, SQLite's cache, so "memory at start" is the steady state's floor.
            var warm = new LoadRecorder();
            await Task.WhenAll(tokens.Take(settings.Agents).Select(t => new LoadAgent(http, t.Token, body, warm, new Random(7)).RunAsync(
                Now() + TimeSpan.FromSeconds(3), settings.ThinkTime, cancellationToken)));
            var (memoryStart, heapStart) = Memory();
            var loadBefore = MachineInfo.LoadAverage();

            var recorder = new LoadRecorder();
            var clock = Stopwatch.StartNew();
            var until = Now() + settings.Duration;
            using var stopApprover = new CancellationTokenSource();
            var approver = ApproveShopperAsync(sandbox, stopApprover.Token);
            var shopper = ShopAsync(http, shopperToken, PurchaseBody(shop, shopOptions, ShopperMarker), until, settings.CheckoutInterval, cancellationToken);
            var loadAgents = tokens.Take(settings.Agents).Select((t, i) =>
                new LoadAgent(http, t.Token, body, recorder, new Random(i)).RunAsync(until, settings.ThinkTime, cancellationToken)).ToList();
            await Task.WhenAll(loadAgents);
            var seconds = clock.Elapsed.TotalSeconds;
            var (memoryEnd, heapEnd) = Memory();
            var loadAfter = MachineInfo.LoadAverage();
            var shopperIds = await shopper;

            progress.WriteLine($"load: calls done; waiting up to 60 s for the {shopperIds.Count} checkouts to finish");
            var store = app.Services.GetRequiredService<PurchaseStore>();
            var deadline = Now() + TimeSpan.FromSeconds(60);
            var ended = new List<PurchaseRecord>();
            while (true)
            {
                ended.Clear();
                foreach (var id in shopperIds)
                {
                    if (await store.GetAsync(id, cancellationToken) is { } purchase && PurchaseStatus.IsTerminal(purchase.Status))
                    {
                        ended.Add(purchase);
                    }
                }
                if (ended.Count == shopperIds.Count || Now() > deadline)
                {
                    break;
                }
                await Task.Delay(250, cancellationToken);
            }
            await stopApprover.CancelAsync();
            await approver;

            var loadAgentIds = tokens.Take(settings.Agents).Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
            var stored = await StoredAsync(app.Services.GetRequiredService<CheckoutDatabase>(), loadAgentIds, cancellationToken);
            var created = recorder.Created.Keys.Concat(warm.Created.Keys).ToHashSet(StringComparer.Ordinal);
            await app.StopAsync(CancellationToken.None);

            return new LoadBenchResult(settings.Agents, Math.Round(seconds, 1), Math.Round(recorder.Total / seconds, 1),
                recorder.Stats(), created.Count, stored.Count, created.Count(id => !stored.Contains(id)), stored.Count(id => !created.Contains(id)),
                recorder.ReplaysMismatched, recorder.Canceled, shopperIds.Count, ended.Count(p => p.Status == PurchaseStatus.Succeeded), ended.Count,
                memoryStart, memoryEnd, heapStart, heapEnd, Environment.ProcessorCount, loadBefore, loadAfter, startedAt);
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    /// <summary>The table printed after a run.</summary>
    public static string Format(LoadBenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"{result.Agents} agents for {result.Seconds:0} s on {result.ProcessorCount} cores (load average {result.LoadAverageBefore ?? "?"} before, {result.LoadAverageAfter ?? "?"} after): {result.RequestsPerSecond:0} requests/s");
        text.AppendLine("call      count   p50 ms   p99 ms   max ms   4xx   5xx  no answer");
        foreach (var call in result.Calls)
        {
            text.AppendLine(c, $"{call.Call,-7} {call.Count,7}  {call.P50Ms,7:0.0}  {call.P99Ms,7:0.0}  {call.MaxMs,7:0.0}  {call.Status4xx,4}  {call.Status5xx,4}  {call.NoAnswer,9}");
        }
        text.AppendLine(c, $"purchases: {result.PurchasesCreated} created, {result.PurchasesStored} stored, {result.PurchasesLost} lost, {result.PurchasesDuplicated} duplicated, {result.ReplaysMismatched} replays mismatched, {result.PurchasesCanceled} canceled");
        text.AppendLine(c, $"checkouts at the demo shop meanwhile: {result.CheckoutsQueued} queued, {result.CheckoutsFinished} finished, {result.CheckoutsSucceeded} succeeded");
        text.AppendLine(c, $"memory (whole process): {result.MemoryStartMb:0} MB at start, {result.MemoryEndMb:0} MB at end; managed heap {result.ManagedHeapStartMb:0} → {result.ManagedHeapEndMb:0} MB");
        text.AppendLine(result.Misses.Count == 0 ? "goals met: no 5xx, nothing lost or duplicated, p99 of reads under 100 ms" : "goals missed: " + string.Join("; ", result.Misses));
        return text.ToString();
    }

    private static DateTimeOffset Now() => TimeProvider.System.GetUtcNow();

    /// <summary>Working set and managed heap (after a full collection), in MB.</summary>
    private static (double WorkingSet, double Heap) Memory()
    {
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return (Math.Round(process.WorkingSet64 / 1048576.0, 1), Math.Round(heap / 1048576.0, 1));
    }

    /// <summary>Approves, as the person would, only the shopper's spend requests; the load agents' wait.</summary>
    private static async Task ApproveShopperAsync(LinkSandbox sandbox, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var request in sandbox.List(includeHistory: false))
            {
                if (request.Status == SpendRequestStatus.PendingApproval && request.Context?.Contains(ShopperMarker, StringComparison.Ordinal) == true)
                {
                    sandbox.Approve(request.Id);
                }
            }
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<List<string>> ShopAsync(HttpClient http, string token, byte[] body, DateTimeOffset until, TimeSpan interval, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        while (Now() < until)
        {
            using var request = Post(token, body, Guid.NewGuid().ToString());
            using var response = await http.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode == 201)
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                ids.Add(json.RootElement.GetProperty("id").GetString()!);
            }
            await Task.Delay(interval, cancellationToken);
        }
        return ids;
    }

    private static async Task<HashSet<string>> StoredAsync(CheckoutDatabase database, HashSet<string> agentIds, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, agent_id FROM purchases";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!reader.IsDBNull(1) && agentIds.Contains(reader.GetString(1)))
            {
                ids.Add(reader.GetString(0));
            }
        }
        return ids;
    }

    internal static HttpRequestMessage Post(string token, byte[] body, string key)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private static byte[] PurchaseBody(DemoShop shop, DemoShopOptions options, string marker)
    {
        var request = DemoRunner.Request(shop, options, "pour-over-dripper", 1, "demo-shop");
        return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["recipe"] = request.Recipe,
            ["merchant_url"] = request.MerchantUrl,
            ["items"] = request.Items.Select(i => new Dictionary<string, object?> { ["name"] = i.Name, ["quantity"] = i.Quantity, ["unit_amount"] = i.UnitAmount, ["product_url"] = i.ProductUrl }),
            ["amount"] = request.Amount,
            ["context"] = $"{request.Context} {marker}".Trim(),
            ["buyer"] = "wallet",
            ["shipping"] = "wallet",
        }));
    }

    /// <summary>Every call's latency and answer, and what the creates and cancels came to.</summary>
    private sealed class LoadRecorder
    {
        private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _latencies = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int[]> _classes = new(StringComparer.Ordinal);
        private int _total;
        private int _replaysMismatched;
        private int _canceled;

        /// <summary>Purchase id → the key it was created with.</summary>
        public ConcurrentDictionary<string, string> Created { get; } = new(StringComparer.Ordinal);

        public int Total => _total;
        public int ReplaysMismatched => _replaysMismatched;
        public int Canceled => _canceled;

        public void Record(string call, double milliseconds, int status)
        {
            Interlocked.Increment(ref _total);
            _latencies.GetOrAdd(call, _ => []).Add(milliseconds);
            var classes = _classes.GetOrAdd(call, _ => new int[3]);
            var slot = status switch { 0 => 2, >= 500 => 1, >= 400 => 0, _ => -1 };
            if (slot >= 0)
            {
                Interlocked.Increment(ref classes[slot]);
            }
        }

        public void ReplayMismatched() => Interlocked.Increment(ref _replaysMismatched);

        public void CanceledOne() => Interlocked.Increment(ref _canceled);

        private static readonly string[] Calls = ["create", "retry", "get", "list", "cancel"];

        public List<LoadCallStats> Stats() => Calls
            .Where(_latencies.ContainsKey)
            .Select(call =>
            {
                var sorted = _latencies[call].Order().ToList();
                var classes = _classes[call];
                return new LoadCallStats(call, sorted.Count, IntakeBenchmark.Percentile(sorted, 0.50), IntakeBenchmark.Percentile(sorted, 0.99),
                    Math.Round(sorted[^1], 1), classes[0], classes[1], classes[2]);
            }).ToList();
    }

    /// <summary>One agent in a closed loop: 20% creates, 5% retries of an earlier create's key, 40% gets, 25% lists, 10% cancels.</summary>
    private sealed class LoadAgent(HttpClient http, string token, byte[] body, LoadRecorder recorder, Random random)
    {
        private readonly List<(string Id, string Key)> _mine = [];

        public async Task RunAsync(DateTimeOffset until, TimeSpan thinkTime, CancellationToken cancellationToken)
        {
            while (Now() < until && !cancellationToken.IsCancellationRequested)
            {
                var roll = random.Next(100);
                if (_mine.Count == 0 || roll < 20)
                {
                    await CreateAsync(Guid.NewGuid().ToString(), "create", cancellationToken);
                }
                else if (roll < 25)
                {
                    var (id, key) = _mine[random.Next(_mine.Count)];
                    var replayed = await CreateAsync(key, "retry", cancellationToken);
                    if (replayed is not null && replayed != id)
                    {
                        recorder.ReplayMismatched();
                    }
                }
                else if (roll < 65)
                {
                    await SendAsync(HttpMethod.Get, $"/v1/purchases/{_mine[random.Next(_mine.Count)].Id}", "get", cancellationToken);
                }
                else if (roll < 90)
                {
                    await SendAsync(HttpMethod.Get, "/v1/purchases?limit=20", "list", cancellationToken);
                }
                else
                {
                    var (status, _) = await SendAsync(HttpMethod.Post, $"/v1/purchases/{_mine[random.Next(_mine.Count)].Id}/cancel", "cancel", cancellationToken);
                    if (status == 200)
                    {
                        recorder.CanceledOne();
                    }
                }
                await Task.Delay(thinkTime, cancellationToken);
            }
        }

        /// <summary>The purchase id answered, or null.</summary>
        private async Task<string?> CreateAsync(string key, string call, CancellationToken cancellationToken)
        {
            using var request = Post(token, body, key);
            var (status, json) = await TimeAsync(request, call, cancellationToken);
            if (status is not (200 or 201) || json is null)
            {
                return null;
            }
            var id = JsonDocument.Parse(json).RootElement.GetProperty("id").GetString()!;
            if (call == "create")
            {
                _mine.Add((id, key));
                recorder.Created[id] = key;
            }
            return id;
        }

        private async Task<(int Status, string? Json)> SendAsync(HttpMethod method, string path, string call, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await TimeAsync(request, call, cancellationToken);
        }

        private async Task<(int Status, string? Json)> TimeAsync(HttpRequestMessage request, string call, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                var json = await response.Content.ReadAsStringAsync(cancellationToken);
                recorder.Record(call, Stopwatch.GetElapsedTime(started).TotalMilliseconds, (int)response.StatusCode);
                return ((int)response.StatusCode, json);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                recorder.Record(call, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0);
                return (0, null);
            }
        }
    }
}
