using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Observability;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Tests.Webhooks;
using Serilog.Events;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>
/// One in-process leak scenario: the real <c>serve</c> host (<see cref="TestService"/>) with the demo shop as the test
/// sets it up, logging everything to a captured console, its log file and a Seq stand-in, reporting to a webhook
/// receiver; then one purchase and a <see cref="LeakSweep"/> over all of it. Console capture is process-wide, so the
/// tests using this run alone.
/// </summary>
internal sealed class LeakWorld : IAsyncDisposable
{
    private readonly StringWriter _console;
    private readonly TextWriter _originalOut;
    private readonly TextWriter _originalError;
    private readonly DateTime _since;
    private bool _stopped;

    private LeakWorld(DateTime since, StringWriter console, TextWriter originalOut, TextWriter originalError)
    {
        _since = since;
        _console = console;
        _originalOut = originalOut;
        _originalError = originalError;
    }

    public TestService Service { get; private set; } = null!;
    public FakeSeq? Seq { get; private set; }
    public WebhookReceiver Webhooks { get; private set; } = null!;
    public HttpClient Api { get; private set; } = null!;
    public NewAgent Agent { get; private set; } = null!;
    public DemoShop Shop => Service.Shop!;
    public LinkSandbox Sandbox => Service.Sandbox;

    /// <param name="shop">The demo shop's variant and test hooks.</param>
    /// <param name="configuration">More worker settings, e.g. a short <c>Browser:StepTimeout</c>.</param>
    /// <param name="seqReachable">False: <c>Seq:ServerUrl</c> points at a closed loopback port instead of the Seq stand-in.</param>
    public static async Task<LeakWorld> StartAsync(DemoShopOptions shop, LinkSandboxOptions? sandbox = null,
        IReadOnlyDictionary<string, string?>? configuration = null, bool seqReachable = true)
    {
        var console = new StringWriter();
        var world = new LeakWorld(DateTime.UtcNow, console, Console.Out, Console.Error);
        var synchronized = TextWriter.Synchronized(console);
        Console.SetOut(synchronized);
        Console.SetError(synchronized);
        try
        {
            world.Seq = seqReachable ? await FakeSeq.StartAsync() : null;
            world.Webhooks = await WebhookReceiver.StartAsync();
            var settings = new Dictionary<string, string?>(WebhookReceiver.AllowingLoopback(configuration))
            {
                ["Seq:ServerUrl"] = world.Seq?.BaseUrl.ToString() ?? $"http://127.0.0.1:{ClosedPort()}",
            };
            world.Service = await TestService.StartAsync(sandboxOptions: sandbox, configuration: settings,
                dataDirectory: DataDirectoryTest.NewDataDirectory(), shopOptions: shop, consoleLevel: LogEventLevel.Verbose);
            (world.Api, world.Agent) = await world.Service.AddAgentAsync("leak-suite", "purchases:write,purchases:read");
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    /// <summary>Queues one purchase of the shop's first product with <paramref name="recipe"/>, reporting to the webhook receiver.</summary>
    public async Task<string> PostPurchaseAsync(string recipe = "demo-shop")
    {
        var body = Service.PurchaseBody(callbackUrl: Webhooks.Url());
        body["recipe"] = recipe;
        using var response = await TestService.PostPurchaseAsync(Api, body, "leak-" + Guid.NewGuid().ToString("N"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text);
        using var created = JsonDocument.Parse(text);
        return created.RootElement.GetProperty("id").GetString()!;
    }

    public Task<JsonElement> WaitForEndAsync(string purchaseId) => TestService.WaitForEndAsync(Api, purchaseId);

    /// <summary>Polls the purchase until <paramref name="condition"/> holds (30 s at most).</summary>
    public async Task<JsonElement> WaitForAsync(string purchaseId, Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var purchase = await Api.GetFromJsonAsync<JsonElement>($"/v1/purchases/{purchaseId}");
            if (condition(purchase))
            {
                return purchase;
            }
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"no {what}: {purchase}");
            await Task.Delay(50);
        }
    }

    /// <summary>Runs the sweep: live places first, then the worker is stopped and the rest is scanned.</summary>
    public Task<LeakSweep> SweepAsync(string purchaseId, SandboxIssuedCard card, bool browserRan) =>
        SweepAsync(purchaseId, [card], [], browserRan);

    /// <summary>
    /// Runs the sweep for every card and canary: live places first, then the worker is stopped and the rest is scanned.
    /// </summary>
    /// <param name="purchaseId">The purchase whose API and MCP answers are read; it must show in every place.</param>
    /// <param name="earlierPurchaseIds">The scenario's earlier purchases: read too, and they must show in the list, logs and console.</param>
    /// <param name="beforeStop">Runs after the live pass, before the worker stops, e.g. to scan more outputs with <see cref="LeakSweep.Text"/>.</param>
    public async Task<LeakSweep> SweepAsync(string purchaseId, IReadOnlyList<SandboxIssuedCard> cards, IReadOnlyList<LeakCanary> canaries, bool browserRan,
        IReadOnlyList<string>? earlierPurchaseIds = null, Action<LeakSweep>? beforeStop = null)
    {
        var sweep = new LeakSweep(cards, canaries, _since,
            new LeakSources(Service.BaseAddress, Agent.Token, purchaseId, Service.DataDirectory, Seq, Webhooks, earlierPurchaseIds));
        await sweep.LiveAsync();
        beforeStop?.Invoke(sweep);
        await StopAsync();
        sweep.Final(_console.ToString(), browserRan);
        return sweep;
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        try
        {
            if (Service is not null)
            {
                await Service.DisposeAsync();
            }
        }
        finally
        {
            Console.SetOut(_originalOut);
            Console.SetError(_originalError);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (Seq is not null)
        {
            await Seq.DisposeAsync();
        }
        if (Webhooks is not null)
        {
            await Webhooks.DisposeAsync();
        }
        if (Service is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            DataDirectoryTest.Delete(Service.DataDirectory);
        }
        _console.Dispose();
    }
}
