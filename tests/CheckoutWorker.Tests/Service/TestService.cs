using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Purchases;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace CheckoutAgent.Tests.Service;

/// <summary>
/// The real <c>serve</c> host (Kestrel on a free loopback port, SQLite, Quartz) on a fresh data directory, with an
/// in-process Link sandbox and, on request, the demo shop. Agents are created through the real <see cref="AgentStore"/>.
/// </summary>
internal sealed class TestService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];
    private readonly bool _ownsDataDirectory;

    private TestService(WebApplication app, LinkSandbox sandbox, DemoShop? shop, string dataDirectory, bool ownsDataDirectory)
    {
        _app = app;
        _ownsDataDirectory = ownsDataDirectory;
        Sandbox = sandbox;
        Shop = shop;
        DataDirectory = dataDirectory;
        BaseAddress = new Uri(app.Urls.First());
    }

    public LinkSandbox Sandbox { get; }
    public DemoShop? Shop { get; }
    public string DataDirectory { get; }
    public Uri BaseAddress { get; }
    public IServiceProvider Services => _app.Services;
    public PurchaseStore Store => Services.GetRequiredService<PurchaseStore>();
    public AgentStore Agents => Services.GetRequiredService<AgentStore>();

    /// <param name="withShop">Also start the demo shop (its card processor wired to the sandbox) for real checkouts.</param>
    /// <param name="dataDirectory">Run on this data directory (e.g. a previous service's, to restart on the same database);
    /// the caller then owns it and disposing the service leaves it in place. Default: a fresh one, deleted on dispose.</param>
    /// <param name="shopOptions">The demo shop's options (variant, test hooks); given, the shop is started whatever <paramref name="withShop"/> says.</param>
    /// <param name="consoleLevel">Lowest level the service writes to the console (stderr). Default warning.</param>
    public static async Task<TestService> StartAsync(bool withShop = false, LinkSandboxOptions? sandboxOptions = null,
        IReadOnlyDictionary<string, string?>? configuration = null, string? dataDirectory = null,
        DemoShopOptions? shopOptions = null, LogEventLevel consoleLevel = LogEventLevel.Warning)
    {
        var ownsDataDirectory = dataDirectory is null;
        var sandbox = new LinkSandbox(sandboxOptions ?? new LinkSandboxOptions());
        DemoShop? shop = withShop || shopOptions is not null ? await DemoShop.StartAsync(shopOptions ?? new DemoShopOptions(), new SandboxIssuer(sandbox)) : null;
        dataDirectory ??= DataDirectoryTest.NewDataDirectory();
        var settings = new WorkerHostSettings { Sandbox = sandbox, ConsoleLogLevel = consoleLevel };
        settings.Configuration["Worker:DataDirectory"] = dataDirectory;
        settings.Configuration["Link:ApprovalPollInterval"] = "00:00:00.050";
        if (shop is not null)
        {
            foreach (var (key, value) in DemoRunner.ShopConfiguration(shop))
            {
                settings.Configuration[key] = value;
            }
        }
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
        {
            settings.Configuration[key] = value;
        }
        await TestStorage.ConfigureAsync(settings.Configuration);
        var app = ServiceHost.Build(settings, "http://127.0.0.1:0");
        await app.StartAsync();
        return new TestService(app, sandbox, shop, dataDirectory, ownsDataDirectory);
    }

    /// <summary>Creates an agent (default policy: no limits at all) and returns an HTTP client that sends its token.</summary>
    public async Task<(HttpClient Client, NewAgent Agent)> AddAgentAsync(string name, string scopes = "purchases:write,purchases:read,schedules:write",
        AgentPolicy? policy = null)
    {
        var (parsed, error) = Scopes.Parse(scopes);
        Assert.That(error, Is.Null);
        // Tests call faster than an agent would: without a policy of their own, agents here have no rate limits
        // (HardeningTests set them explicitly).
        var created = await Agents.AddAsync(name, parsed, policy ?? AgentPolicy.Unlimited, CancellationToken.None);
        var client = Client(created.Token);
        return (client, created);
    }

    /// <summary>An HTTP client to the service, with a bearer token when given.</summary>
    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        _clients.Add(client);
        return client;
    }

    /// <summary>A valid purchase body for the demo shop (or a merchant that is never reached when there is no shop).</summary>
    public Dictionary<string, object?> PurchaseBody(long amount = 2400, string? callbackUrl = null) => PurchaseBodyFor(Shop, amount, callbackUrl);

    /// <summary>A valid purchase body for <paramref name="shop"/> (or a merchant that is never reached when null).</summary>
    public static Dictionary<string, object?> PurchaseBodyFor(DemoShop? shop, long amount = 2400, string? callbackUrl = null)
    {
        var merchant = shop?.BaseUrl.GetLeftPart(UriPartial.Authority) ?? "http://shop.example.test";
        var product = new DemoShopOptions().Products[0];
        return new Dictionary<string, object?>
        {
            ["recipe"] = "demo-shop",
            ["merchant_url"] = merchant,
            ["items"] = new[] { new Dictionary<string, object?> { ["name"] = product.Name, ["quantity"] = 1, ["unit_amount"] = shop is null ? amount : product.Price, ["product_url"] = shop?.ProductUrl(product.Sku).ToString() } },
            ["amount"] = shop is null ? amount : product.Price,
            ["currency"] = "usd",
            ["context"] = "Buying one pour-over dripper from the demo shop for the office kitchen, as asked in ticket 42; a one-time sandbox purchase.",
            ["buyer"] = new Dictionary<string, object?> { ["email"] = "jane.doe@example.com", ["name"] = "Jane Doe" },
            ["shipping"] = new Dictionary<string, object?>
            {
                ["name"] = "Jane Doe", ["line1"] = "510 Townsend St", ["city"] = "San Francisco", ["state"] = "CA", ["postal_code"] = "94103", ["country"] = "US",
            },
            ["callback_url"] = callbackUrl,
        };
    }

    /// <summary>POSTs a purchase with an idempotency key.</summary>
    public static Task<HttpResponseMessage> PostPurchaseAsync(HttpClient client, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    /// <summary>A service whose Link sandbox never answers approval requests: purchases wait at approval, so nothing needs a browser.</summary>
    public static Task<TestService> StartWithoutApprovalAsync() =>
        StartAsync(sandboxOptions: new LinkSandboxOptions { Approval = SandboxApprovalMode.Never });

    /// <summary>Polls GET /v1/purchases/{id} until its status is terminal.</summary>
    public static async Task<JsonElement> WaitForEndAsync(HttpClient client, string purchaseId, TimeSpan? timeout = null)
    {
        return await Poll.UntilAsync(
            () => client.GetFromJsonAsync<JsonElement>($"/v1/purchases/{purchaseId}"),
            purchase => PurchaseStatus.IsTerminal(purchase.GetProperty("status").GetString()!),
            timeout ?? TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(100),
            purchase => $"purchase {purchaseId} still {purchase.GetProperty("status")} after the timeout: {purchase}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (Shop is not null)
        {
            await Shop.DisposeAsync();
        }
        if (_ownsDataDirectory)
        {
            DataDirectoryTest.Delete(DataDirectory);
        }
    }
}
