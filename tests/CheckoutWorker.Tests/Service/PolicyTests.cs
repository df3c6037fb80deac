using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CheckoutAgent.Tests.Service;

/// <summary>The owner's policy, decided before any spend request: refused purchases are stored with the reason and never reach Link.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class PolicyTests : NoApprovalServiceTest
{
    private async Task<JsonElement> CreateAsync(HttpClient client, long amount, string key, string? merchant = null)
    {
        var body = Server.PurchaseBody(amount);
        if (merchant is not null)
        {
            body["merchant_url"] = merchant;
        }
        using var response = await TestService.PostPurchaseAsync(client, body, key);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static (string Status, string? Code, string Policy) Decision(JsonElement purchase) => (
        purchase.GetProperty("status").GetString()!,
        purchase.TryGetProperty("outcome", out var outcome) && outcome.ValueKind == JsonValueKind.Object ? outcome.GetProperty("code").GetString() : null,
        purchase.GetProperty("timeline").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "policy").GetProperty("message").GetString()!);

    [Test]
    public async Task MaxPerPurchase_RefusesLargerAmounts_WithTheReasonInTheTimeline()
    {
        var (client, _) = await Server.AddAgentAsync("capped", policy: new AgentPolicy { MaxPerPurchase = 2000 });
        var refused = Decision(await CreateAsync(client, 2400, "big"));
        Assert.That(refused.Status, Is.EqualTo("failed"));
        Assert.That(refused.Code, Is.EqualTo("policy_refused"));
        Assert.That(refused.Policy, Does.Contain("max_per_purchase").And.Contain("$24.00").And.Contain("$20.00"));
        var allowed = Decision(await CreateAsync(client, 1500, "small"));
        Assert.That(allowed.Status, Is.EqualTo("queued"));
        Assert.That(allowed.Policy, Does.StartWith("allowed"));
        await Task.Delay(500);
        Assert.That(Server.Sandbox.SpendRequestCount, Is.EqualTo(1), "only the allowed purchase reached Link");
    }

    [Test]
    public async Task DailyBudget_CountsPurchasesInFlight_AndIgnoresFailedOnes()
    {
        var (client, _) = await Server.AddAgentAsync("budgeted", policy: new AgentPolicy { DailyBudget = 5000 });
        var first = await CreateAsync(client, 2000, "a");
        Assert.That(Decision(first).Status, Is.EqualTo("queued"));
        Assert.That(Decision(await CreateAsync(client, 2000, "b")).Status, Is.EqualTo("queued"));
        // 4000 in flight (nobody approved yet): 2000 more would pass 5000.
        var third = Decision(await CreateAsync(client, 2000, "c"));
        Assert.That(third.Code, Is.EqualTo("policy_refused"));
        Assert.That(third.Policy, Does.Contain("daily_budget").And.Contain("$40.00 already spent or in flight"));

        // A canceled purchase frees its share of the budget.
        using var cancel = await client.PostAsync($"/v1/purchases/{first.GetProperty("id").GetString()}/cancel", null);
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Decision(await CreateAsync(client, 2000, "d")).Status, Is.EqualTo("queued"));
    }

    [Test]
    public async Task MonthlyBudget_RefusesWhatWouldPassIt()
    {
        var (client, _) = await Server.AddAgentAsync("monthly", policy: new AgentPolicy { MonthlyBudget = 3000 });
        Assert.That(Decision(await CreateAsync(client, 2500, "a")).Status, Is.EqualTo("queued"));
        var refused = Decision(await CreateAsync(client, 1000, "b"));
        Assert.That(refused.Policy, Does.Contain("monthly_budget"));
    }

    [Test]
    public async Task MerchantAllowlist_AllowsListedHostsAndSubdomains_Only()
    {
        var (client, _) = await Server.AddAgentAsync("picky", policy: new AgentPolicy { Merchants = ["*.example.test", "shop.other.test"] });
        Assert.That(Decision(await CreateAsync(client, 100, "a", "https://store.example.test/")).Status, Is.EqualTo("queued"));
        Assert.That(Decision(await CreateAsync(client, 100, "b", "https://shop.other.test/")).Status, Is.EqualTo("queued"));
        var refused = Decision(await CreateAsync(client, 100, "c", "https://evil.test/"));
        Assert.That(refused.Code, Is.EqualTo("policy_refused"));
        Assert.That(refused.Policy, Does.Contain("merchant_not_allowed").And.Contain("evil.test"));
    }

    [Test]
    public async Task GlobalPause_RefusesNewPurchases_UntilResumed_AndNeedsAdmin()
    {
        var (client, _) = await Server.AddAgentAsync("owner", "purchases:write,purchases:read,admin");
        using (var pause = await client.PostAsync("/v1/admin/pause", null))
        {
            Assert.That(pause.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        var refused = Decision(await CreateAsync(client, 100, "a"));
        Assert.That(refused.Code, Is.EqualTo("policy_refused"));
        Assert.That(refused.Policy, Does.Contain("paused"));
        using (var resume = await client.PostAsync("/v1/admin/resume", null))
        {
            Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        Assert.That(Decision(await CreateAsync(client, 100, "b")).Status, Is.EqualTo("queued"));
        var status = await client.GetFromJsonAsync<JsonElement>("/v1/admin/status");
        Assert.That(status.GetProperty("paused").GetBoolean(), Is.False);
        await Task.Delay(300);
        Assert.That(Server.Sandbox.SpendRequestCount, Is.EqualTo(1));
    }

    [TestCase(null, null, null, null, 500, 0, 0, true)]
    [TestCase(400L, null, null, null, 500, 0, 0, false)]
    [TestCase(null, 1000L, null, null, 500, 600, 600, false)]
    [TestCase(null, 1000L, null, null, 500, 500, 500, true)]
    [TestCase(null, null, 1000L, null, 500, 0, 600, false)]
    [TestCase(null, null, null, "shop.example.com", 500, 0, 0, true)]
    [TestCase(null, null, null, "other.example.com", 500, 0, 0, false)]
    public void Evaluate_Rules(long? max, long? daily, long? monthly, string? merchant, long amount, long today, long month, bool allowed)
    {
        var policy = new AgentPolicy { MaxPerPurchase = max, DailyBudget = daily, MonthlyBudget = monthly, Merchants = merchant is null ? null : [merchant] };
        var decision = PolicyEvaluator.Evaluate(new PolicyInput(policy, false, amount, "usd", "shop.example.com", today, month));
        Assert.That(decision.Allowed, Is.EqualTo(allowed), decision.Reason);
    }

    [Test]
    public void HostMatches_WildcardCoversSubdomainsNotLookalikes()
    {
        Assert.That(PolicyEvaluator.HostMatches("*.example.com", "a.example.com"), Is.True);
        Assert.That(PolicyEvaluator.HostMatches("*.example.com", "example.com"), Is.True);
        Assert.That(PolicyEvaluator.HostMatches("*.example.com", "badexample.com"), Is.False);
        Assert.That(PolicyEvaluator.HostMatches("shop.example.com", "SHOP.example.com"), Is.True);
    }
}
