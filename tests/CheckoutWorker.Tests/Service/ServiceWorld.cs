using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Tests.EndToEnd;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Tests.Service;

/// <summary>
/// What outlives a <c>serve</c> child process: Link's emulator (reached through the stand-in link-cli), the demo shop
/// and an agent in the data directory; and the runs of <c>serve</c> on that data directory, killed on dispose.
/// </summary>
internal sealed class ServiceWorld : IAsyncDisposable
{
    private static readonly TimeSpan StageTimeout = TimeSpan.FromMinutes(3);

    private readonly List<ServiceProcess> _runs = [];

    private ServiceWorld(string dataDirectory, LinkEmulatorServer emulator, DemoShop shop, string token)
    {
        DataDirectory = dataDirectory;
        Emulator = emulator;
        Shop = shop;
        Token = token;
    }

    public string DataDirectory { get; }
    public LinkEmulatorServer Emulator { get; }
    public DemoShop Shop { get; }

    /// <value>The bearer token of the world's agent (purchases read and write).</value>
    public string Token { get; }

    public IReadOnlyList<ServiceProcess> Runs => _runs;

    /// <param name="database">Where the agent is stored: by default the SQLite file in <paramref name="dataDirectory"/>;
    /// a shared PostgreSQL database for cluster tests (whose runs are then configured for it).</param>
    public static async Task<ServiceWorld> StartAsync(string dataDirectory, EmulatorApprovalMode approval, DemoShopOptions shopOptions,
        CheckoutDatabase? database = null, CheckoutAgent.Link.Sandbox.LinkSandboxOptions? sandbox = null)
    {
        var emulator = await LinkEmulatorServer.StartAsync(new LinkEmulatorOptions { Approval = approval, Sandbox = sandbox ?? new() });
        var shop = await DemoShop.StartAsync(shopOptions, new SandboxIssuer(emulator.Sandbox));
        // A shared (PostgreSQL) database is a cluster's: its nodes are given the cluster key.
        var shared = database is not null;
        database ??= new CheckoutDatabase(Path.Combine(Path.GetFullPath(dataDirectory), "checkout-agent.db"));
        database.Initialize();
        var (scopes, error) = Scopes.Parse("purchases:write,purchases:read");
        Assert.That(error, Is.Null);
        // No rate limits: the worlds' tests poll purchases as fast as they like; the limits have tests of their own.
        var token = (await new AgentStore(database, TimeProvider.System,
            shared ? TestSealers.ForCluster() : TestSealers.ForDataDirectory(dataDirectory)).AddAsync("service-world", scopes, AgentPolicy.Unlimited, CancellationToken.None)).Token;
        return new ServiceWorld(dataDirectory, emulator, shop, token);
    }

    /// <summary>A run of <c>serve</c> on the world's data directory, reaching Link through the stand-in link-cli.</summary>
    /// <param name="name">What the test calls this run, for failure messages.</param>
    /// <param name="environment">More settings (<c>Section__Key</c>), e.g. <c>Seq__ServerUrl</c>; they win over the defaults.</param>
    /// <param name="dataDirectory">The run's own data directory (a cluster node's); by default the world's.</param>
    public async Task<ServiceProcess> StartServiceAsync(string name, IReadOnlyDictionary<string, string>? environment = null, string? dataDirectory = null)
    {
        dataDirectory ??= DataDirectory;
        var cli = LinkCliTransportTests.StandIn();
        var authDirectory = CardFile.EnsurePrivateDirectory(Path.Combine(Path.GetFullPath(dataDirectory), "link-cli"));
        var authFile = Path.Combine(authDirectory, "auth.json");
        if (!File.Exists(authFile))
        {
            Emulator.WriteAuthFile(authFile);
        }
        var settings = new Dictionary<string, string>
        {
            ["Link__Transport"] = "cli",
            ["Link__Cli__ExecutablePath"] = cli.ExecutablePath,
            ["Link__Cli__AuthFile"] = authFile,
            ["Link__Cli__ApiBaseUrl"] = Emulator.ApiBaseUrl.ToString(),
            ["Link__Cli__AuthBaseUrl"] = Emulator.AuthBaseUrl.ToString(),
            ["Link__ApprovalPollInterval"] = "00:00:00.200",
            // Generous on a slow machine: a held page or answer must not time out before the test kills the worker.
            ["Browser__StepTimeout"] = "00:02:00",
            ["Browser__OutcomeTimeout"] = "00:02:00",
        };
        for (var i = 0; i < cli.LeadingArguments.Count; i++)
        {
            settings[$"Link__Cli__LeadingArguments__{i}"] = cli.LeadingArguments[i];
        }
        foreach (var (key, value) in DemoRunner.ShopConfiguration(Shop))
        {
            settings[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }
        var run = await ServiceProcess.StartAsync(name, dataDirectory, settings);
        _runs.Add(run);
        return run;
    }

    /// <summary>Queues a purchase of one item from the world's shop on <paramref name="run"/> and returns its id.</summary>
    public async Task<string> PostPurchaseAsync(ServiceProcess run, string? callbackUrl = null, string recipe = "demo-shop")
    {
        var client = run.Client(Token);
        var body = TestService.PurchaseBodyFor(Shop, callbackUrl: callbackUrl);
        body["recipe"] = recipe;
        using var response = await TestService.PostPurchaseAsync(client, body, "world-" + Guid.NewGuid().ToString("N"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text + "\n" + run.Describe());
        using var created = JsonDocument.Parse(text);
        return created.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Polls GET /v1/purchases/{id} on a run until <paramref name="condition"/> holds; fails with the purchase and every run's output.</summary>
    public async Task<JsonElement> WaitForAsync(ServiceProcess run, string purchaseId, Func<JsonElement, bool> condition, string what)
    {
        var client = run.Client(Token);
        JsonElement purchase = default;
        var found = false;
        await Poll.TryUntilAsync(async () =>
        {
            if (run.HasExited)
            {
                return true;
            }
            purchase = await client.GetFromJsonAsync<JsonElement>($"/v1/purchases/{purchaseId}");
            found = condition(purchase);
            if (!found && IsTerminal(purchase))
            {
                Assert.Fail($"waiting for {what}, the purchase ended instead: {Explain(purchase)}");
            }
            return found;
        }, stop => stop, StageTimeout, TimeSpan.FromMilliseconds(150));
        if (found)
        {
            return purchase;
        }
        Assert.Fail($"{run.Name}: no {what} within {StageTimeout.TotalSeconds:0} s{(run.HasExited ? " (the service exited)" : "")}. Last seen: {Explain(purchase)}");
        return purchase;
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails with every run's output.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, ServiceProcess run)
    {
        await Poll.UntilAsync(condition, StageTimeout, TimeSpan.FromMilliseconds(100),
            () => $"{run.Name}: still waiting for {what} after {StageTimeout.TotalSeconds:0} s.\n{Explain(default)}");
    }

    public static bool IsTerminal(JsonElement purchase) => PurchaseStatus.IsTerminal(Status(purchase));

    public static string Status(JsonElement purchase) => purchase.GetProperty("status").GetString()!;

    public static List<(string Kind, string Message)> Timeline(JsonElement purchase) =>
        purchase.TryGetProperty("timeline", out var timeline)
            ? [.. timeline.EnumerateArray().Select(e => (e.GetProperty("kind").GetString()!, e.GetProperty("message").GetString()!))]
            : [];

    public static List<string> Kinds(JsonElement purchase) => [.. Timeline(purchase).Select(e => e.Kind)];

    /// <summary>The purchase's timeline, what the outside world saw, and every run's output: enough to tell what went wrong.</summary>
    public string Explain(JsonElement purchase)
    {
        var timeline = purchase.ValueKind == JsonValueKind.Object
            ? string.Join('\n', Timeline(purchase).Select(e => $"  {e.Kind,-16} {e.Message}"))
            : "  (no purchase read)";
        var status = purchase.ValueKind == JsonValueKind.Object ? $"{Status(purchase)} {(purchase.TryGetProperty("outcome", out var o) ? o.ToString() : "")}" : "?";
        return $"status {status}\ntimeline:\n{timeline}\n"
            + $"spend requests {Emulator.Sandbox.SpendRequestCount}, pay submissions {Shop.PaySubmissions}, payment attempts {Shop.PaymentAttempts}, orders {Shop.Orders.Count}\n"
            + string.Join('\n', _runs.Select(r => r.Describe()));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var run in _runs)
        {
            await run.DisposeAsync();
        }
        _runs.Clear();
        await Shop.DisposeAsync();
        await Emulator.DisposeAsync();
        // The test's own connections to the database (the agent it added) must let go before the folder is deleted.
        SqliteConnection.ClearAllPools();
    }

    /// <summary>The purchase (as the API shows it) ended failed with <paramref name="code"/>, its message holding <paramref name="messageHas"/>.</summary>
    public static void AssertFailed(JsonElement purchase, string code, string? messageHas = null)
    {
        Assert.That(Status(purchase), Is.EqualTo(PurchaseStatus.Failed), purchase.ToString());
        var outcome = purchase.GetProperty("outcome");
        Assert.That(outcome.GetProperty("code").GetString(), Is.EqualTo(code), purchase.ToString());
        if (messageHas is not null)
        {
            Assert.That(outcome.GetProperty("message").GetString(), Does.Contain(messageHas), purchase.ToString());
        }
    }
}
