using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.EndToEnd;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CheckoutAgent.Tests.Webhooks;

/// <summary>Webhooks from the real <c>serve</c> host to real receivers on loopback.</summary>
public class WebhookServiceTests
{
    [Test]
    public async Task PolicyRefusedPurchase_SendsPurchaseFailed_SignedWithTheAgentsSecret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var service = await TestService.StartAsync(configuration: WebhookReceiver.AllowingLoopback());
        var (client, agent) = await service.AddAgentAsync("refused", policy: new AgentPolicy { MaxPerPurchase = 1000 });

        var purchaseId = await CreateAsync(client, service.PurchaseBody(2400, receiver.Url()));
        var received = (await receiver.WaitForAsync(1)).Single();
        var deliveries = await WaitForDeliveriesAsync(service, purchaseId, WebhookStates.Delivered);

        Assert.That(received.Path, Is.EqualTo("/hooks/checkout"));
        Assert.That(received.Header("Content-Type"), Is.EqualTo("application/json"));
        Assert.That(received.Header("User-Agent"), Is.EqualTo("checkout-agent-webhooks/1"));
        Assert.That(received.Header("CheckoutAgent-Event-Type"), Is.EqualTo("purchase.failed"));
        Assert.That(received.Header("CheckoutAgent-Event-Id"), Is.EqualTo(deliveries.Single().Id).And.StartWith("evt_"));
        Assert.That(WebhookSignature.Verify(agent.Agent.WebhookSecret, received.Header("CheckoutAgent-Signature"), received.Body, DateTimeOffset.UtcNow),
            Is.True, "signed with this agent's secret over the exact body");

        using var body = JsonDocument.Parse(received.Body);
        var root = body.RootElement;
        Assert.That(root.GetProperty("id").GetString(), Is.EqualTo(received.Header("CheckoutAgent-Event-Id")));
        Assert.That(root.GetProperty("type").GetString(), Is.EqualTo("purchase.failed"));
        Assert.That(root.TryGetProperty("created_at", out _), Is.True);
        var purchase = root.GetProperty("data").GetProperty("purchase");
        Assert.That(purchase.GetProperty("id").GetString(), Is.EqualTo(purchaseId));
        Assert.That(purchase.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(purchase.GetProperty("outcome").GetProperty("code").GetString(), Is.EqualTo(FailureCodes.PolicyRefused));

        var timeline = await TimelineAsync(client, purchaseId);
        var webhook = timeline.Where(e => e.Kind == "webhook").Select(e => e.Message).ToList();
        Assert.That(webhook, Has.Count.EqualTo(1));
        Assert.That(webhook[0], Does.StartWith($"webhook purchase.failed to {receiver.Url()}: delivered (200) on attempt 1"));
    }

    [Test]
    public async Task ReceiverFailsTwice_DeliveredOnAttempt3_WithBackoffInTheTimeline()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500, 500, 200);
        await using var service = await TestService.StartAsync(configuration: new Dictionary<string, string?>
        {
            [WebhookReceiver.AllowPrivateNetworksKey] = "true",
            ["Webhooks:InitialDelay"] = "00:00:00.150",
        });
        var (client, agent) = await service.AddAgentAsync("retrier", policy: new AgentPolicy { MaxPerPurchase = 1000 });

        var purchaseId = await CreateAsync(client, service.PurchaseBody(2400, receiver.Url()));
        var received = await receiver.WaitForAsync(3);
        var delivery = (await WaitForDeliveriesAsync(service, purchaseId, WebhookStates.Delivered)).Single();

        Assert.That(received, Has.Count.EqualTo(3));
        Assert.That(delivery.Attempts, Is.EqualTo(3));
        Assert.That(received.Select(r => r.Header("CheckoutAgent-Event-Id")).Distinct().Count(), Is.EqualTo(1), "one event id on every retry");
        Assert.That(received.Select(r => r.Body).Distinct().Count(), Is.EqualTo(1), "the same body on every retry");
        Assert.That(received.All(r => WebhookSignature.Verify(agent.Agent.WebhookSecret, r.Header("CheckoutAgent-Signature"), r.Body, DateTimeOffset.UtcNow)), Is.True);
        // Backoff doubles: ~150 ms after the first failure, ~300 ms after the second.
        Assert.That(received[1].At - received[0].At, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(140)));
        Assert.That(received[2].At - received[1].At, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290)));

        var webhook = (await TimelineAsync(client, purchaseId)).Where(e => e.Kind == "webhook").Select(e => e.Message).ToList();
        Assert.That(webhook, Has.Count.EqualTo(3));
        Assert.That(webhook[0], Does.Match("attempt 1 answered 500 in [0-9]+ ms; next attempt in 150 ms$"));
        Assert.That(webhook[1], Does.Match("attempt 2 answered 500 in [0-9]+ ms; next attempt in 300 ms$"));
        Assert.That(webhook[2], Does.Contain("delivered (200) on attempt 3"));
        Assert.That(string.Join('\n', webhook), Does.Not.Contain(WebhookReceiver.AnswerBody), "the receiver's answer stays out of the timeline");
    }

    [Test]
    public async Task ReceiverKeepsFailing_GivesUpAfterRetryFor_AndSaysSoInTheTimeline()
    {
        await using var receiver = await WebhookReceiver.StartAsync(503);
        await using var service = await TestService.StartAsync(configuration: new Dictionary<string, string?>
        {
            [WebhookReceiver.AllowPrivateNetworksKey] = "true",
            ["Webhooks:InitialDelay"] = "00:00:00.100",
            ["Webhooks:RetryFor"] = "00:00:00.600",
        });
        var (client, _) = await service.AddAgentAsync("giver-upper", policy: new AgentPolicy { MaxPerPurchase = 1000 });

        var purchaseId = await CreateAsync(client, service.PurchaseBody(2400, receiver.Url()));
        var delivery = (await WaitForDeliveriesAsync(service, purchaseId, WebhookStates.Failed)).Single();

        // Attempts at ~0, ~100 and ~300 ms; a fourth would come ~700 ms after the event, past the 600 ms allowed
        // (fewer when a busy machine delays them).
        Assert.That(delivery.Attempts, Is.InRange(2, 3));
        Assert.That(receiver.Received, Has.Count.EqualTo(delivery.Attempts));
        var webhook = (await TimelineAsync(client, purchaseId)).Where(e => e.Kind == "webhook").Select(e => e.Message).ToList();
        Assert.That(webhook, Has.Count.EqualTo(delivery.Attempts));
        Assert.That(webhook[0], Does.Contain("attempt 1 answered 503").And.Contain("next attempt in 100 ms"));
        Assert.That(webhook[^1], Does.Match($"attempt {delivery.Attempts} answered 503 in [0-9]+ ms; gave up after {delivery.Attempts} attempts over [0-9]+ m?s$"));
        await Task.Delay(500);
        Assert.That(receiver.Received, Has.Count.EqualTo(delivery.Attempts), "nothing is sent after giving up");
    }

    [Test]
    [Category("Browser")]
    public async Task RealCheckout_SendsAwaitingApprovalThenSucceeded_WithNoCardDataInAnyBody()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var service = await TestService.StartAsync(withShop: true, configuration: WebhookReceiver.AllowingLoopback());
        var (client, agent) = await service.AddAgentAsync("shopper");

        var purchaseId = await CreateAsync(client, service.PurchaseBody(callbackUrl: receiver.Url()));
        var ended = await TestService.WaitForEndAsync(client, purchaseId);
        Assert.That(ended.GetProperty("status").GetString(), Is.EqualTo(PurchaseStatus.Succeeded), ended.ToString());
        var received = await receiver.WaitForAsync(2);
        await WaitForDeliveriesAsync(service, purchaseId, WebhookStates.Delivered);

        Assert.That(received.Select(r => r.Header("CheckoutAgent-Event-Type")), Is.EqualTo(new[] { "purchase.awaiting_approval", "purchase.succeeded" }));
        Assert.That(received.All(r => WebhookSignature.Verify(agent.Agent.WebhookSecret, r.Header("CheckoutAgent-Signature"), r.Body, DateTimeOffset.UtcNow)), Is.True);
        using (var succeeded = JsonDocument.Parse(received[1].Body))
        {
            var outcome = succeeded.RootElement.GetProperty("data").GetProperty("purchase").GetProperty("outcome");
            Assert.That(outcome.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
            Assert.That(outcome.GetProperty("card_last4").GetString(), Has.Length.EqualTo(4));
        }

        var card = service.Sandbox.IssuedCards.Single();
        var scanner = new LeakScanner(card.Number, card.Cvc, card.ExpMonth, card.ExpYear);
        foreach (var (request, index) in received.Select((r, i) => (r, i)))
        {
            scanner.ScanText($"webhook {index} body", request.Body);
            scanner.ScanText($"webhook {index} headers", string.Join('\n', request.Headers.Select(h => $"{h.Key}: {h.Value}")));
        }
        var timeline = await TimelineAsync(client, purchaseId);
        scanner.ScanText("timeline", string.Join('\n', timeline.Select(e => e.Message)));
        Assert.That(scanner.Findings, Is.Empty);
        Assert.That(LeakScanner.FindVisaLikeNumbers(string.Concat(received.Select(r => r.Body))), Is.Empty);
        Assert.That(timeline.Count(e => e.Kind == "webhook" && e.Message.Contains("delivered (200) on attempt 1", StringComparison.Ordinal)), Is.EqualTo(2));
    }

    [Test]
    [Category("Browser")]
    public async Task ThreeDSecureCheckout_SendsActionRequiredWithLinksMessageAndDeadline_ThenSucceeded()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var service = await TestService.StartAsync(sandboxOptions: new LinkSandboxOptions { Authentication = SandboxAuthenticationMode.Auto },
            shopOptions: new DemoShopOptions { Variant = DemoVariant.ThreeDs },
            configuration: new Dictionary<string, string?> { [WebhookReceiver.AllowPrivateNetworksKey] = "true" });
        var (client, _) = await service.AddAgentAsync("shopper");
        var body = service.PurchaseBody(callbackUrl: receiver.Url());
        body["recipe"] = "demo-three-ds";

        var purchaseId = await CreateAsync(client, body);
        var ended = await TestService.WaitForEndAsync(client, purchaseId);
        Assert.That(ended.GetProperty("status").GetString(), Is.EqualTo(PurchaseStatus.Succeeded), ended.ToString());
        var received = await receiver.WaitForAsync(3);

        Assert.That(received.Select(r => r.Header("CheckoutAgent-Event-Type")),
            Is.EqualTo(new[] { "purchase.awaiting_approval", "purchase.action_required", "purchase.succeeded" }));
        using (var actionRequired = JsonDocument.Parse(received[1].Body))
        {
            Assert.That(actionRequired.RootElement.GetProperty("type").GetString(), Is.EqualTo("purchase.action_required"));
            var purchase = actionRequired.RootElement.GetProperty("data").GetProperty("purchase");
            Assert.That(purchase.GetProperty("status").GetString(), Is.EqualTo(PurchaseStatus.AwaitingAuthentication));
            var action = purchase.GetProperty("outcome").GetProperty("action");
            Assert.That(action.GetProperty("type").GetString(), Is.EqualTo("three_d_secure"));
            Assert.That(action.GetProperty("message").GetString(), Is.EqualTo("Confirm the payment of $24.00 at Demo Coffee Supply in the Link app."));
            Assert.That(action.GetProperty("deadline").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UtcNow).And.LessThan(DateTimeOffset.UtcNow.AddMinutes(6)));
        }
        Assert.That(service.Shop!.Orders, Has.Count.EqualTo(1));
        Assert.That(service.Shop.PaySubmissions, Is.EqualTo(1), "one final click");

        var card = service.Sandbox.IssuedCards.Single();
        var scanner = new LeakScanner(card.Number, card.Cvc, card.ExpMonth, card.ExpYear);
        foreach (var (request, index) in received.Select((r, i) => (r, i)))
        {
            scanner.ScanText($"webhook {index} body", request.Body);
        }
        scanner.ScanText("timeline", string.Join('\n', (await TimelineAsync(client, purchaseId)).Select(e => e.Message)));
        Assert.That(scanner.Findings, Is.Empty);
    }

    internal static async Task<string> CreateAsync(HttpClient client, object body)
    {
        using var response = await TestService.PostPurchaseAsync(client, body, Guid.NewGuid().ToString("N"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<IReadOnlyList<(string Kind, string Message)>> TimelineAsync(HttpClient client, string purchaseId)
    {
        var purchase = await client.GetFromJsonAsync<JsonElement>($"/v1/purchases/{purchaseId}");
        return purchase.GetProperty("timeline").EnumerateArray()
            .Select(e => (e.GetProperty("kind").GetString()!, e.GetProperty("message").GetString()!))
            .ToList();
    }

    private static Task<IReadOnlyList<(string Id, string EventType, string State, int Attempts)>> WaitForDeliveriesAsync(
        TestService service, string purchaseId, string state) =>
        WaitForDeliveriesAsync(new WebhookOutbox(service.Services.GetRequiredService<CheckoutDatabase>()), service.Store, purchaseId, state);

    /// <summary>Waits until every delivery of the purchase is in <paramref name="state"/> and the timeline holds an event per attempt.</summary>
    internal static async Task<IReadOnlyList<(string Id, string EventType, string State, int Attempts)>> WaitForDeliveriesAsync(
        WebhookOutbox outbox, PurchaseStore store, string purchaseId, string state, TimeSpan? timeout = null)
    {
        var (deliveries, _) = await Poll.UntilAsync(async () =>
        {
            var listed = await outbox.ListAsync(purchaseId, CancellationToken.None);
            if (listed.Count == 0 || !listed.All(d => d.State == state))
            {
                return (Deliveries: listed, Recorded: false);
            }
            // The timeline event is appended just after the delivery's state is recorded.
            var events = (await store.GetTimelineAsync(purchaseId, CancellationToken.None)).Count(e => e.Kind == WebhookDispatcher.TimelineKind);
            return (Deliveries: listed, Recorded: events >= listed.Sum(d => Math.Max(d.Attempts, 1)));
        }, seen => seen.Recorded, timeout ?? TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20),
            seen => $"deliveries of {purchaseId} not all {state}: {string.Join(", ", seen.Deliveries)}");
        return deliveries;
    }
}
