using System.Net.Http.Json;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Service;

namespace CheckoutAgent.Tests.Clients;

/// <summary><c>purchase get --watch</c> follows a purchase to its end; the exit code says whether it succeeded.</summary>
public class PurchaseWatchTests
{
    [Test]
    public async Task Watch_prints_events_until_a_denied_purchase_fails_and_exits_1()
    {
        await using var service = await TestService.StartAsync(sandboxOptions: new LinkSandboxOptions { Approval = SandboxApprovalMode.Deny });
        var (client, agent) = await service.AddAgentAsync("watcher");
        using var created = await TestService.PostPurchaseAsync(client, service.PurchaseBody(), Guid.NewGuid().ToString());
        var id = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString()!;

        var run = await ClientCli.RunAsync("purchase", "get", id, "--watch", "--interval", "0.1",
            "--server", service.BaseAddress.ToString(), "--token", agent.Token);

        Assert.That(run.Code, Is.EqualTo(1), run.ToString());
        Assert.That(run.Out, Does.Contain("timeline:").And.Contain("ended: failed: approval_denied"));
        var events = run.Out.Split('\n').SkipWhile(l => l != "timeline:").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.That(events, Has.Count.GreaterThanOrEqualTo(2), "each event once, in order");
        Assert.That(events.Distinct().Count(), Is.EqualTo(events.Count));
    }

    [Test]
    public async Task Watch_of_a_real_demo_checkout_ends_succeeded_with_exit_0_and_json_prints_the_final_purchase()
    {
        await using var service = await TestService.StartAsync(withShop: true);
        var (client, agent) = await service.AddAgentAsync("watcher");
        using var created = await TestService.PostPurchaseAsync(client, service.PurchaseBody(), Guid.NewGuid().ToString());
        var id = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString()!;

        var run = await ClientCli.RunAsync("purchase", "get", id, "--watch", "--json", "--interval", "0.2",
            "--server", service.BaseAddress.ToString(), "--token", agent.Token);

        Assert.That(run.Code, Is.Zero, run.ToString());
        var purchase = run.Json();
        Assert.That(purchase.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
    }
}
