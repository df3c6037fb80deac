using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Clients;
using CheckoutAgent.Tests.Webhooks;
using CheckoutAgent.Worker.Client;
using CheckoutAgent.Worker.Mcp;
using CheckoutAgent.Worker.Webhooks;
using ModelContextProtocol.Protocol;

namespace CheckoutAgent.Tests.Service;

/// <summary>
/// Issue 20 against the real serve host: callbacks into the worker's own network refused at intake, rate limits per
/// agent answered 429 with Retry-After (HTTP, CLI client, MCP), and token and webhook-secret rotation without a failed
/// request. Link approval is manual, so no purchase goes further than waiting for it.
/// </summary>
public sealed class HardeningTests
{
    private static Task<TestService> StartAsync(IReadOnlyDictionary<string, string?>? configuration = null) =>
        TestService.StartAsync(sandboxOptions: new LinkSandboxOptions { Approval = SandboxApprovalMode.Manual }, configuration: configuration);

    private static async Task<HttpResponseMessage> CreateAsync(HttpClient client, object body, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key ?? Guid.NewGuid().ToString());
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");

    [TestCase("https://169.254.169.254/latest/meta-data", "link-local")]
    [TestCase("https://10.0.0.5/hook", "private address (RFC 1918)")]
    [TestCase("https://localhost:9/hook", "loopback")]
    [TestCase("https://[::ffff:127.0.0.1]/x", "loopback")]
    public async Task Create_WithACallbackIntoThePrivateNetwork_Is422NamingFieldAndRule_AndStoresNothing(string url, string rule)
    {
        await using var service = await StartAsync();
        var (client, _) = await service.AddAgentAsync("probe");
        using var response = await CreateAsync(client, service.PurchaseBody(callbackUrl: url));
        Assert.That((int)response.StatusCode, Is.EqualTo(422));
        var error = await ErrorAsync(response);
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("callback_not_allowed"));
        Assert.That(error.GetProperty("field").GetString(), Is.EqualTo("callback_url"));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain(rule));
        var list = await client.GetFromJsonAsync<JsonElement>("/v1/purchases");
        Assert.That(list.GetProperty("data").GetArrayLength(), Is.Zero, "nothing stored");
    }

    [Test]
    public async Task Create_LoopbackCallback_IsAccepted_WhenTheOwnerAllowsPrivateNetworks_OrListsItsCidr()
    {
        await using (var open = await StartAsync(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" }))
        {
            var (client, _) = await open.AddAgentAsync("on-prem");
            using var response = await CreateAsync(client, open.PurchaseBody(callbackUrl: "http://127.0.0.1:9/hook"));
            Assert.That((int)response.StatusCode, Is.EqualTo(201));
        }
        // A CIDR inside loopback: the webhook this purchase queues may only ever be sent to this machine (CIDRs of
        // private ranges are covered without any connection in CallbackRulesTests).
        await using var listed = await StartAsync(new Dictionary<string, string?> { ["Webhooks:AllowedTargets:0"] = "127.0.0.2/32" });
        var (agent, _) = await listed.AddAgentAsync("on-prem");
        using (var allowed = await CreateAsync(agent, listed.PurchaseBody(callbackUrl: "https://127.0.0.2:9/hook")))
        {
            Assert.That((int)allowed.StatusCode, Is.EqualTo(201));
        }
        using var other = await CreateAsync(agent, listed.PurchaseBody(callbackUrl: "https://127.0.0.3:9/hook"));
        Assert.That((int)other.StatusCode, Is.EqualTo(422));
    }

    [Test]
    public async Task Start_WithABadAllowlistEntry_FailsNamingTheSetting()
    {
        var error = Assert.CatchAsync(() => StartAsync(new Dictionary<string, string?> { ["Webhooks:AllowedTargets:0"] = "10.0.0.0/99" }));
        Assert.That(error!.Message, Does.Contain("Webhooks:AllowedTargets").And.Contain("10.0.0.0/99"));
    }

    [Test]
    public async Task RequestsOverTheAgentsRate_Get429WithRetryAfter_AndOtherAgentsAreNotHeld()
    {
        await using var service = await StartAsync();
        var (limited, _) = await service.AddAgentAsync("runaway", policy: new AgentPolicy { MaxRequestsPerSecond = 5 });
        var (other, _) = await service.AddAgentAsync("calm", policy: new AgentPolicy { MaxRequestsPerSecond = 5 });

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 12; i++)
        {
            var response = await limited.GetAsync("/v1/purchases");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused ??= response;
            }
        }
        Assert.That(statuses.Count(s => s == HttpStatusCode.OK), Is.InRange(5, 10), string.Join(",", statuses));
        Assert.That(refused, Is.Not.Null, "the rate was exceeded: " + string.Join(",", statuses));
        Assert.That(refused!.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(1)));
        var error = await ErrorAsync(refused);
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("rate_limited"));
        Assert.That(error.GetProperty("field").GetString(), Is.EqualTo("max_requests_per_second"));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("5 requests a second").And.Contain("--max-requests-per-second"));

        Assert.That((await other.GetAsync("/v1/purchases")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "limits are per agent");
        await Task.Delay(1100);
        Assert.That((await limited.GetAsync("/v1/purchases")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the bucket refills");
    }

    [Test]
    public async Task PurchasesOverTheHourlyLimit_Get429WithRetryAfter_AreNotStoredOrBudgeted_AndARetryStillReplays()
    {
        await using var service = await StartAsync();
        var (client, agent) = await service.AddAgentAsync("hourly", policy: new AgentPolicy { MaxPurchasesPerHour = 2, DailyBudget = 10_000 });
        for (var i = 0; i < 2; i++)
        {
            using var created = await CreateAsync(client, service.PurchaseBody(), $"key-{i}");
            Assert.That((int)created.StatusCode, Is.EqualTo(201));
        }
        using var third = await CreateAsync(client, service.PurchaseBody(), "key-2");
        Assert.That((int)third.StatusCode, Is.EqualTo(429));
        Assert.That(third.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.FromMinutes(59)).And.LessThanOrEqualTo(TimeSpan.FromHours(1)));
        var error = await ErrorAsync(third);
        Assert.That(error.GetProperty("field").GetString(), Is.EqualTo("max_purchases_per_hour"));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("at most 2 purchases an hour"));

        using var retry = await CreateAsync(client, service.PurchaseBody(), "key-0");
        Assert.That((int)retry.StatusCode, Is.EqualTo(201), "a retry of a key already used replays, whatever the limit");
        Assert.That(retry.Headers.GetValues("Idempotent-Replayed"), Is.EqualTo(new[] { "true" }));
        var list = await client.GetFromJsonAsync<JsonElement>("/v1/purchases");
        Assert.That(list.GetProperty("data").GetArrayLength(), Is.EqualTo(2), "the refused create stored nothing");

        // Lifted: the same request goes through, and the budget saw only the two stored purchases ($48 of $100).
        await service.Agents.SetPolicyAsync("hourly", agent.Agent.Policy with { MaxPurchasesPerHour = null, DailyBudget = 10_000 }, CancellationToken.None);
        using var lifted = await CreateAsync(client, service.PurchaseBody(), "key-2");
        Assert.That((int)lifted.StatusCode, Is.EqualTo(201));
        var purchase = await lifted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(purchase.GetProperty("status").GetString(), Is.Not.EqualTo("failed"), purchase.ToString());
    }

    [Test]
    public async Task RateLimited_ClientCliAndMcp_SayItClearly_WithTheWait()
    {
        await using var service = await StartAsync();
        var (_, agent) = await service.AddAgentAsync("eager", policy: new AgentPolicy { MaxRequestsPerSecond = 1 });
        using var api = new CheckoutApiClient(service.BaseAddress, agent.Token);
        await api.ListPurchasesAsync();
        var error = Assert.ThrowsAsync<CheckoutApiException>(() => api.ListPurchasesAsync());
        Assert.That(error!.IsRateLimited, Is.True);
        Assert.That(error.RetryAfter, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(error.Code, Is.EqualTo("rate_limited"));

        var run = await ClientCli.RunAsync("purchase", "list", "--server", service.BaseAddress.ToString(), "--token", agent.Token);
        if (run.Code == 0)
        {
            run = await ClientCli.RunAsync("purchase", "list", "--server", service.BaseAddress.ToString(), "--token", agent.Token);
        }
        Assert.That(run.Code, Is.EqualTo(4), run.ToString());
        Assert.That(run.Err, Does.Contain("rate_limited (max_requests_per_second)").And.Contain("rate limited: wait 1 s"));
        Assert.That(run.Out + run.Err, Does.Not.Contain(agent.Token));

        var tools = new CheckoutTools(api);
        var result = await tools.ListPurchases();
        if (result.IsError != true)
        {
            result = await tools.ListPurchases();
        }
        Assert.That(result.IsError, Is.True);
        var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        Assert.That(text, Does.Contain("rate_limited").And.Contain("wait 1 s before calling again"));
        Assert.That(result.StructuredContent!.Value.GetProperty("error").GetProperty("retry_after_seconds").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task RotateToken_DuringTheOverlap_NoRequestFails_ThenTheOldTokenStops()
    {
        await using var service = await StartAsync();
        var (oldClient, agent) = await service.AddAgentAsync("rotating", policy: AgentPolicy.Unlimited);
        using var stop = new CancellationTokenSource();
        var token = agent.Token;
        var failures = new List<string>();
        var sent = 0;
        // An agent polling all the time, switching to the new token when it learns it.
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = service.Client(Volatile.Read(ref token));
                using var response = await client.GetAsync("/v1/purchases");
                Interlocked.Increment(ref sent);
                if (!response.IsSuccessStatusCode)
                {
                    lock (failures)
                    {
                        failures.Add($"{(int)response.StatusCode}");
                    }
                }
            }
        });
        async Task UntilSentAsync(int count) =>
            await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref sent)), n => n >= count || loop.IsCompleted,
                TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10), n => $"only {n} requests sent");
        await UntilSentAsync(5);
        // A grace long enough for a slow machine's requests, short enough to watch it end.
        var fresh = await service.Agents.RotateTokenAsync("rotating", TimeSpan.FromSeconds(5), CancellationToken.None);
        var rotatedAt = DateTime.UtcNow;
        await UntilSentAsync(Volatile.Read(ref sent) + 5);
        Volatile.Write(ref token, fresh!);
        await UntilSentAsync(Volatile.Read(ref sent) + 5);
        await stop.CancelAsync();
        await loop;
        Assert.That(failures, Is.Empty, $"{sent} requests across the rotation");
        Assert.That(sent, Is.GreaterThan(10));

        if (DateTime.UtcNow - rotatedAt < TimeSpan.FromSeconds(4))
        {
            Assert.That((await oldClient.GetAsync("/v1/purchases")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "still in its grace");
        }
        var left = rotatedAt + TimeSpan.FromSeconds(5.2) - DateTime.UtcNow;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }
        Assert.That((await oldClient.GetAsync("/v1/purchases")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the grace is over");
        Assert.That((await service.Client(fresh).GetAsync("/v1/purchases")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task RotateWebhookSecret_DeliveriesCarryBothSignatures_EitherSecretVerifies()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var service = await TestService.StartAsync(configuration: WebhookReceiver.AllowingLoopback());
        // Its policy refuses the purchase at intake, which queues the purchase.failed webhook at once.
        var (client, agent) = await service.AddAgentAsync("signed", policy: new AgentPolicy { MaxPerPurchase = 100 });
        var fresh = await service.Agents.RotateWebhookSecretAsync("signed", TimeSpan.FromHours(1), CancellationToken.None);
        using var created = await CreateAsync(client, service.PurchaseBody(callbackUrl: receiver.Url()));
        Assert.That((int)created.StatusCode, Is.EqualTo(201));
        await receiver.WaitForAsync(1);
        var received = receiver.Received.Single();
        var header = received.Header(WebhookSignature.Header)!;
        Assert.That(header.Split(',').Count(p => p.StartsWith("v1=", StringComparison.Ordinal)), Is.EqualTo(2), header);
        Assert.That(WebhookSignature.Verify(fresh!, header, received.Body, DateTimeOffset.UtcNow), Is.True, "the new secret verifies");
        Assert.That(WebhookSignature.Verify(agent.Agent.WebhookSecret, header, received.Body, DateTimeOffset.UtcNow), Is.True, "the old one too");
        Assert.That(WebhookSignature.Verify(["whsec_other", fresh!], header, received.Body, DateTimeOffset.UtcNow), Is.True);
        Assert.That(WebhookSignature.Verify("whsec_other", header, received.Body, DateTimeOffset.UtcNow), Is.False);
    }
}
