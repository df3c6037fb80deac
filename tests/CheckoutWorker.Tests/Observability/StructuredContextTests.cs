using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Tests.Service;

namespace CheckoutAgent.Tests.Observability;

/// <summary>
/// One purchase, queued by an agent over the API and checked out in real Chromium, must be traceable in Seq by
/// properties alone: every event of its run carries the purchase id, recipe and agent, those after the spend request
/// its id, and each step event its step number.
/// </summary>
[Category("Browser")]
public class StructuredContextTests
{
    [Test]
    public async Task Every_event_of_a_checkout_reaches_Seq_with_purchase_spend_request_recipe_step_and_agent_as_properties()
    {
        await using var seq = await FakeSeq.StartAsync();
        string purchaseId;
        string agentId;
        string spendRequestId;
        await using (var service = await TestService.StartAsync(withShop: true,
            configuration: new Dictionary<string, string?> { ["Seq:ServerUrl"] = seq.BaseUrl.ToString() }))
        {
            var (client, agent) = await service.AddAgentAsync("context-agent");
            agentId = agent.Agent.Id;
            using var created = await TestService.PostPurchaseAsync(client, service.PurchaseBody(), "context-1");
            Assert.That((int)created.StatusCode, Is.EqualTo(201), await created.Content.ReadAsStringAsync());
            purchaseId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            var ended = await TestService.WaitForEndAsync(client, purchaseId);
            Assert.That(ended.GetProperty("status").GetString(), Is.EqualTo("succeeded"), ended.ToString());
            spendRequestId = ended.GetProperty("spend_request_id").GetString()!;
            // Disposing the service flushes the Seq sink.
        }

        var events = seq.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ofPurchase = events.Where(e => e.TryGetProperty("PurchaseId", out var p) && p.GetString() == purchaseId).ToList();
        var steps = ofPurchase.Where(e => e.TryGetProperty("Step", out _)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(steps, Has.Count.GreaterThanOrEqualTo(5), "one event per recipe step: " + string.Join('\n', ofPurchase));
            Assert.That(steps.Select(e => e.GetProperty("Step").GetInt32()), Is.Ordered.And.Unique, "step numbers are numbers, in order");
            foreach (var e in steps)
            {
                Assert.That(e.GetProperty("@mt").GetString(), Does.Not.Contain(purchaseId), "ids are properties, not built into the template");
                Assert.That(e.GetProperty("SpendRequestId").GetString(), Is.EqualTo(spendRequestId), e.ToString());
                Assert.That(e.GetProperty("Recipe").GetString(), Is.EqualTo("demo-shop"), e.ToString());
                Assert.That(e.GetProperty("Agent").GetString(), Is.EqualTo(agentId), e.ToString());
                Assert.That(e.GetProperty("StepKind").GetString(), Is.Not.Empty, e.ToString());
            }
            var ended = ofPurchase.SingleOrDefault(e => e.GetProperty("@mt").GetString()!.Contains("ended", StringComparison.Ordinal));
            Assert.That(ended.ValueKind, Is.EqualTo(JsonValueKind.Object), "the purchase's end reached Seq");
            Assert.That(ended.GetProperty("SpendRequestId").GetString(), Is.EqualTo(spendRequestId));
            Assert.That(ended.GetProperty("Agent").GetString(), Is.EqualTo(agentId));
        });
    }
}
