using System.Net;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Tests.Webhooks;

/// <summary>
/// The webhook sender's connect-time check, with a resolver the test controls (a fake only for DNS, which has no
/// server here): a name that resolves to a private address is refused before any connection, even though intake
/// (which sees only the name) accepted it; the socket used is the one checked. Real receivers on loopback.
/// </summary>
public sealed class CallbackGuardTests : DataDirectoryTest
{
    /// <summary>Answers fixed addresses per host name, and counts the questions.</summary>
    private sealed class FixedResolver(Dictionary<string, IPAddress[]> answers) : ICallbackResolver
    {
        public int Asked;

        public ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Asked);
            return ValueTask.FromResult(answers.TryGetValue(host, out var addresses) ? addresses : []);
        }
    }

    private CheckoutDatabase _database = null!;
    private PurchaseStore _store = null!;
    private AgentStore _agents = null!;
    private WebhookDispatcher? _dispatcher;

    [SetUp]
    public void CreateDatabase()
    {
        _database = new CheckoutDatabase(Path.Combine(DataDirectory, "checkout-agent.db"));
        _database.Initialize();
        _store = new PurchaseStore(_database, TimeProvider.System);
        _agents = new AgentStore(_database, TimeProvider.System, TestSealers.ForDataDirectory(DataDirectory));
    }

    [TearDown]
    public async Task StopDispatcher()
    {
        if (_dispatcher is not null)
        {
            await _dispatcher.StopAsync(CancellationToken.None);
            _dispatcher.Dispose();
        }
    }

    private async Task StartAsync(WebhookOptions options, ICallbackResolver resolver)
    {
        options.PollInterval = TimeSpan.FromMilliseconds(50);
        _dispatcher = new WebhookDispatcher(_database, _store, _agents, Options.Create(options), TimeProvider.System,
            NullLogger<WebhookDispatcher>.Instance, resolver);
        await _dispatcher.StartAsync(CancellationToken.None);
    }

    /// <summary>A purchase its agent's policy refuses at intake: it queues one webhook at once.</summary>
    private async Task<string> QueueAsync(string callbackUrl)
    {
        var agent = (await _agents.AddAsync("guard-" + Guid.NewGuid().ToString("N")[..6], [Scopes.PurchasesWrite],
            new AgentPolicy { MaxPerPurchase = 100 }, CancellationToken.None)).Agent;
        var result = await _store.IntakeAsync(new PurchaseRequest
        {
            Recipe = "demo-shop", Items = [new PurchaseItem("Dripper", 1, 2400, null)], Amount = 2400,
            Context = new string('x', 120), CallbackUrl = callbackUrl,
        }, new PurchaseIntake(agent, null, null, "shop.example.test"), CancellationToken.None);
        return result.PurchaseId!;
    }

    private async Task<string> TimelineAsync(string purchaseId)
    {
        var delivery = await WebhookServiceTests.WaitForDeliveriesAsync(new WebhookOutbox(_database), _store, purchaseId, WebhookStates.Failed);
        Assert.That(delivery.Single().Attempts, Is.EqualTo(1), "refused once, never retried");
        return string.Join("\n", (await _store.GetTimelineAsync(purchaseId, CancellationToken.None)).Select(e => e.Message));
    }

    [Test]
    public async Task NameResolvingToAPrivateAddress_IsRefusedAtConnectTime_WithoutAnyConnection()
    {
        var resolver = new FixedResolver(new() { ["hooks.example.test"] = [IPAddress.Parse("10.0.0.5")] });
        await StartAsync(new WebhookOptions(), resolver);
        var purchase = await QueueAsync("https://hooks.example.test/hook");

        var timeline = await TimelineAsync(purchase);
        Assert.That(resolver.Asked, Is.EqualTo(1));
        Assert.That(timeline, Does.Contain("not sent, the callback is refused: hooks.example.test resolves to 10.0.0.5, a private address (RFC 1918)"));
    }

    [Test]
    public async Task RebindingToLoopback_IsRefused_ButTheSameNameOnTheAllowlistIsDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = receiver.BaseAddress.Port;
        // The name a receiver would have passed intake with, now answering this machine's loopback address.
        var resolver = new FixedResolver(new()
        {
            ["rebind.example.test"] = [IPAddress.Loopback],
            ["mapped.example.test"] = [IPAddress.Parse("::ffff:127.0.0.1")],
            ["ok.example.test"] = [IPAddress.Loopback],
        });
        await StartAsync(new WebhookOptions { AllowedTargets = ["ok.example.test"] }, resolver);

        var rebound = await QueueAsync($"http://rebind.example.test:{port}/hook");
        var mapped = await QueueAsync($"http://mapped.example.test:{port}/hook");
        var literal = await QueueAsync($"http://[::ffff:127.0.0.1]:{port}/hook");
        Assert.That(await TimelineAsync(rebound), Does.Contain("rebind.example.test resolves to 127.0.0.1, a loopback address"));
        Assert.That(await TimelineAsync(mapped), Does.Contain("a loopback address (this machine), in IPv6 form"));
        Assert.That(await TimelineAsync(literal), Does.Contain("in IPv6 form"));
        Assert.That(receiver.Received, Is.Empty, "nothing reached the loopback receiver");

        var allowed = await QueueAsync($"http://ok.example.test:{port}/hook");
        await WebhookServiceTests.WaitForDeliveriesAsync(new WebhookOutbox(_database), _store, allowed, WebhookStates.Delivered);
        Assert.That(receiver.Received, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task AllowPrivateNetworks_DeliversToLoopback_ThroughTheResolver()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var resolver = new FixedResolver(new() { ["receiver.test"] = [IPAddress.Loopback] });
        await StartAsync(new WebhookOptions { AllowPrivateNetworks = true }, resolver);
        var purchase = await QueueAsync($"http://receiver.test:{receiver.BaseAddress.Port}/hook");
        await WebhookServiceTests.WaitForDeliveriesAsync(new WebhookOutbox(_database), _store, purchase, WebhookStates.Delivered);
        Assert.That(receiver.Received.Single().Header("Host"), Does.StartWith("receiver.test"), "the request names the host, the socket goes where the resolver said");
    }
}
