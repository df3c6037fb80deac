using System.Net;
using System.Net.Sockets;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Tests.Webhooks;

/// <summary>
/// Dispatchers on a database of their own, each built as a separate worker process would build it (its own database
/// object, stores and HTTP client), against real receivers on loopback.
/// </summary>
public class WebhookDispatcherTests : DataDirectoryTest
{
    private CheckoutDatabase _database = null!;
    private PurchaseStore _store = null!;
    private AgentStore _agents = null!;
    private readonly List<WebhookDispatcher> _dispatchers = [];

    [SetUp]
    public void CreateDatabase()
    {
        _database = new CheckoutDatabase(Path.Combine(DataDirectory, "checkout-agent.db"));
        _database.Initialize();
        _store = new PurchaseStore(_database, TimeProvider.System);
        _agents = new AgentStore(_database, TimeProvider.System, TestSealers.ForDataDirectory(DataDirectory));
    }

    [TearDown]
    public async Task StopDispatchers()
    {
        foreach (var dispatcher in _dispatchers)
        {
            await dispatcher.StopAsync(CancellationToken.None);
            dispatcher.Dispose();
        }
        _dispatchers.Clear();
    }

    [Test]
    public async Task TwoDispatchersOnOneDatabase_SendEveryEventExactlyOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync(async (_, _) =>
        {
            await Task.Delay(15);
            return 200;
        });
        var agent = await AddAgentAsync("pair");
        var purchases = await QueueRefusedAsync(agent, receiver.Url(), 24);

        // Both start on a full outbox and poll it every 50 ms, so they race for every claim.
        await StartDispatcherAsync();
        await StartDispatcherAsync();
        await receiver.WaitForAsync(24);
        var outbox = new WebhookOutbox(_database);
        foreach (var purchase in purchases)
        {
            await WebhookServiceTests.WaitForDeliveriesAsync(outbox, _store, purchase, WebhookStates.Delivered);
        }
        await Task.Delay(300);

        var ids = receiver.Received.Select(r => r.Header(WebhookSignature.EventIdHeader)).ToList();
        Assert.That(ids, Has.Count.EqualTo(24), "no event was sent twice");
        Assert.That(ids.Distinct().Count(), Is.EqualTo(24));
        foreach (var purchase in purchases)
        {
            var delivery = (await outbox.ListAsync(purchase, CancellationToken.None)).Single();
            Assert.That(delivery.Attempts, Is.EqualTo(1));
            var timeline = await _store.GetTimelineAsync(purchase, CancellationToken.None);
            Assert.That(timeline.Count(e => e.Kind == WebhookDispatcher.TimelineKind), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Stop_FinishesThePostsInFlight_AndLeavesTheRestPendingForTheNextStart()
    {
        using var release = new SemaphoreSlim(0);
        await using var receiver = await WebhookReceiver.StartAsync(async (_, n) =>
        {
            if (n < WebhookDispatcher.MaxParallel)
            {
                await release.WaitAsync(TimeSpan.FromSeconds(20));
            }
            return 200;
        });
        var agent = await AddAgentAsync("stopper");
        var purchases = await QueueRefusedAsync(agent, receiver.Url(), WebhookDispatcher.MaxParallel + 2);
        var dispatcher = await StartDispatcherAsync();
        await receiver.WaitForAsync(WebhookDispatcher.MaxParallel);

        var stopping = dispatcher.StopAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.That(stopping.IsCompleted, Is.False, "stop waits for the POSTs in flight");
        release.Release(WebhookDispatcher.MaxParallel);
        await stopping;

        var outbox = new WebhookOutbox(_database);
        var states = new List<(string State, int Attempts)>();
        foreach (var purchase in purchases)
        {
            var delivery = (await outbox.ListAsync(purchase, CancellationToken.None)).Single();
            states.Add((delivery.State, delivery.Attempts));
        }
        Assert.That(states.Count(s => s == (WebhookStates.Delivered, 1)), Is.EqualTo(WebhookDispatcher.MaxParallel), string.Join(", ", states));
        Assert.That(states.Count(s => s == (WebhookStates.Pending, 0)), Is.EqualTo(2), string.Join(", ", states));

        await StartDispatcherAsync();
        foreach (var purchase in purchases)
        {
            await WebhookServiceTests.WaitForDeliveriesAsync(outbox, _store, purchase, WebhookStates.Delivered);
        }
        Assert.That(receiver.Received, Has.Count.EqualTo(WebhookDispatcher.MaxParallel + 2));
    }

    [Test]
    public async Task RevokedAgent_DeliveryFailsUnsent_WithATimelineNote()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var agent = await AddAgentAsync("leaver");
        var purchase = (await QueueRefusedAsync(agent, receiver.Url(), 1)).Single();
        Assert.That(await _agents.RevokeAsync("leaver", CancellationToken.None), Is.True);

        await StartDispatcherAsync();
        var delivery = (await WebhookServiceTests.WaitForDeliveriesAsync(new WebhookOutbox(_database), _store, purchase, WebhookStates.Failed)).Single();

        Assert.That(delivery.Attempts, Is.Zero);
        Assert.That(receiver.Received, Is.Empty);
        var note = (await _store.GetTimelineAsync(purchase, CancellationToken.None)).Single(e => e.Kind == WebhookDispatcher.TimelineKind);
        Assert.That(note.Message, Does.Contain($"not sent, agent {agent.Id} was revoked; given up"));
    }

    [Test]
    public async Task Redirect_IsNotFollowed_AndCountsAsAFailedAttempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(302);
        var agent = await AddAgentAsync("redirected");
        var purchase = (await QueueRefusedAsync(agent, receiver.Url(), 1)).Single();

        await StartDispatcherAsync(new WebhookOptions { AllowPrivateNetworks = true, RetryFor = TimeSpan.FromMilliseconds(1), PollInterval = TimeSpan.FromMilliseconds(50) });
        await WebhookServiceTests.WaitForDeliveriesAsync(new WebhookOutbox(_database), _store, purchase, WebhookStates.Failed);

        Assert.That(receiver.Received.Select(r => r.Path), Is.EqualTo(new[] { "/hooks/checkout" }), "the Location was never requested");
        var message = (await _store.GetTimelineAsync(purchase, CancellationToken.None)).Single(e => e.Kind == WebhookDispatcher.TimelineKind).Message;
        Assert.That(message, Does.Contain("attempt 1 answered 302 (redirects are not followed)").And.Contain("gave up after 1 attempt over"));
        Assert.That(message, Does.Not.Contain(WebhookReceiver.AnswerBody));
    }

    [Test]
    public async Task NoListener_And_SlowReceiver_AreFailedAttempts_WithTheReasonInTheTimeline()
    {
        await using var slow = await WebhookReceiver.StartAsync(async (_, _) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            return 200;
        });
        var agent = await AddAgentAsync("unreachable");
        var refused = (await QueueRefusedAsync(agent, $"http://127.0.0.1:{ClosedPort()}/hooks?token=receiver-secret", 1)).Single();
        var timedOut = (await QueueRefusedAsync(agent, slow.Url(), 1)).Single();

        await StartDispatcherAsync(new WebhookOptions
        {
            AllowPrivateNetworks = true,
            RetryFor = TimeSpan.FromMilliseconds(1), RequestTimeout = TimeSpan.FromMilliseconds(300), PollInterval = TimeSpan.FromMilliseconds(50),
        });
        var outbox = new WebhookOutbox(_database);
        await WebhookServiceTests.WaitForDeliveriesAsync(outbox, _store, refused, WebhookStates.Failed);
        await WebhookServiceTests.WaitForDeliveriesAsync(outbox, _store, timedOut, WebhookStates.Failed);

        var refusedNote = (await _store.GetTimelineAsync(refused, CancellationToken.None)).Single(e => e.Kind == WebhookDispatcher.TimelineKind).Message;
        Assert.That(refusedNote, Does.Contain("attempt 1 got no answer (could not connect)"));
        Assert.That(refusedNote, Does.Contain("/hooks?…").And.Not.Contain("receiver-secret"), "the query may hold the receiver's secret");
        var slowNote = (await _store.GetTimelineAsync(timedOut, CancellationToken.None)).Single(e => e.Kind == WebhookDispatcher.TimelineKind).Message;
        Assert.That(slowNote, Does.Contain("attempt 1 got no answer (timed out)"));
    }

    [Test]
    public void Options_DelayDoublesUpToMaxDelay_AndValidationRefusesMaxBelowInitial()
    {
        var options = new WebhookOptions();
        Assert.That(Enumerable.Range(1, 9).Select(options.DelayAfter).Select(d => (int)d.TotalSeconds),
            Is.EqualTo(new[] { 30, 60, 120, 240, 480, 960, 1920, 3600, 3600 }));
        var bad = new WebhookOptions { InitialDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromMinutes(1) };
        Assert.That(bad.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(bad)).ToList(), Has.Count.EqualTo(1));
        Assert.That(WebhookDispatcher.FormatDuration(TimeSpan.FromMilliseconds(35)), Is.EqualTo("35 ms"));
        Assert.That(WebhookDispatcher.FormatDuration(TimeSpan.FromSeconds(60)), Is.EqualTo("60 s"));
        Assert.That(WebhookDispatcher.FormatDuration(TimeSpan.FromHours(24)), Is.EqualTo("24 h"));
    }

    private async Task<Agent> AddAgentAsync(string name) =>
        (await _agents.AddAsync(name, [Scopes.PurchasesWrite], new AgentPolicy { MaxPerPurchase = 100 }, CancellationToken.None)).Agent;

    /// <summary>Purchases the agent's policy refuses at intake: each queues one <c>purchase.failed</c> webhook at once.</summary>
    private async Task<List<string>> QueueRefusedAsync(Agent agent, string callbackUrl, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var request = new PurchaseRequest
            {
                Recipe = "demo-shop",
                Items = [new PurchaseItem("Pour-over dripper", 1, 2400, null)],
                Amount = 2400,
                Context = new string('x', 120),
                CallbackUrl = callbackUrl,
            };
            var result = await _store.IntakeAsync(request, new PurchaseIntake(agent, null, null, "shop.example.test"), CancellationToken.None);
            Assert.That(result.Decision!.Allowed, Is.False);
            ids.Add(result.PurchaseId!);
        }
        return ids;
    }

    /// <summary>A dispatcher as another worker process would have it: its own database object, stores and HTTP client.</summary>
    private async Task<WebhookDispatcher> StartDispatcherAsync(WebhookOptions? options = null)
    {
        var database = new CheckoutDatabase(_database.Path!);
        var dispatcher = new WebhookDispatcher(database, new PurchaseStore(database, TimeProvider.System), new AgentStore(database, TimeProvider.System, TestSealers.ForDataDirectory(DataDirectory)),
            Options.Create(options ?? new WebhookOptions { PollInterval = TimeSpan.FromMilliseconds(50), AllowPrivateNetworks = true }), TimeProvider.System,
            NullLogger<WebhookDispatcher>.Instance);
        _dispatchers.Add(dispatcher);
        await dispatcher.StartAsync(CancellationToken.None);
        return dispatcher;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
