using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Tests.EndToEnd;
using CheckoutAgent.Worker.Agents;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Storage;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Tests.Service;

/// <summary>
/// Durability: <c>checkout-agent serve</c> runs as a real child process and is killed with SIGKILL (or stopped with
/// SIGTERM) at each stage of a purchase, then started again on the same data directory. Link (the emulator, reached
/// through the stand-in link-cli) and the demo shop live in this test process, so they outlive the worker and count
/// what it really did: one spend request per purchase, at most one order, no second final click.
/// </summary>
[Category("Browser")]
[NonParallelizable]
public class RestartTests : DataDirectoryTest
{
    private static readonly TimeSpan StageTimeout = TimeSpan.FromMinutes(3);

    private readonly List<ServiceProcess> _runs = [];
    private LinkEmulatorServer? _emulator;
    private DemoShop? _shop;
    private string _token = "";

    private LinkEmulatorServer Emulator => _emulator!;
    private DemoShop Shop => _shop!;

    [TearDown]
    public async Task StopEverything()
    {
        foreach (var run in _runs)
        {
            await run.DisposeAsync();
        }
        _runs.Clear();
        if (_shop is not null)
        {
            await _shop.DisposeAsync();
        }
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
        // The test's own connections to the database (the agent it added) must let go before the folder is deleted.
        SqliteConnection.ClearAllPools();
    }

    [Test]
    public async Task Restart_killed_while_approval_pending_keeps_polling_the_same_spend_request_and_buys_once()
    {
        await StartWorldAsync(EmulatorApprovalMode.Manual, new DemoShopOptions());
        var first = await StartServiceAsync("first run");
        var id = await PostPurchaseAsync(first);
        var pending = await WaitForAsync(first, id, p => Status(p) == PurchaseStatus.AwaitingApproval, "awaiting_approval");
        var spendRequestId = pending.GetProperty("spend_request_id").GetString()!;

        await first.KillAsync();
        var second = await StartServiceAsync("second run");
        // The person approves only now: the restarted worker must be polling the request the first run created.
        Emulator.Sandbox.Approve(spendRequestId);
        var ended = await WaitForAsync(second, id, IsTerminal, "a terminal status");

        Assert.Multiple(() =>
        {
            Assert.That(Status(ended), Is.EqualTo(PurchaseStatus.Succeeded), Explain(ended));
            Assert.That(ended.GetProperty("spend_request_id").GetString(), Is.EqualTo(spendRequestId));
            Assert.That(Emulator.Sandbox.SpendRequestCount, Is.EqualTo(1), "exactly one spend request for the purchase");
            Assert.That(Shop.Orders, Has.Count.EqualTo(1), "exactly one order");
            Assert.That(Shop.PaySubmissions, Is.EqualTo(1), "exactly one final click");
            Assert.That(Kinds(ended).Count(k => k == "spend_request"), Is.EqualTo(1), Explain(ended));
        });
    }

    [Test]
    public async Task Restart_killed_mid_form_resumes_in_a_fresh_context_with_the_same_card_and_buys_once()
    {
        // The first checkout page stops before its card fields: the buyer has filled the shipping part when it is killed.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pageViews = 0;
        await StartWorldAsync(EmulatorApprovalMode.Auto, new DemoShopOptions
        {
            BeforeCardFields = async ct =>
            {
                if (Interlocked.Increment(ref pageViews) == 1)
                {
                    held.TrySetResult();
                    await release.Task.WaitAsync(ct);
                }
            },
        });
        var first = await StartServiceAsync("first run");
        var id = await PostPurchaseAsync(first);
        await WaitForTaskAsync(held.Task, "the shop to serve the first half of the checkout page", first);
        var midForm = await WaitForAsync(first, id,
            p => Timeline(p).Any(e => e.Kind == "step" && e.Message.Contains("Email", StringComparison.Ordinal)), "a step filling the Email field");
        Assert.That(Status(midForm), Is.EqualTo(PurchaseStatus.CheckingOut), Explain(midForm));

        await first.KillAsync();
        release.TrySetResult();
        var second = await StartServiceAsync("second run");
        var ended = await WaitForAsync(second, id, IsTerminal, "a terminal status");

        var card = Emulator.Sandbox.IssuedCards.Single();
        Assert.Multiple(() =>
        {
            Assert.That(Status(ended), Is.EqualTo(PurchaseStatus.Succeeded), Explain(ended));
            Assert.That(Emulator.Sandbox.SpendRequestCount, Is.EqualTo(1), "the resumed checkout used the same spend request");
            Assert.That(ended.GetProperty("spend_request_id").GetString(), Is.EqualTo(card.SpendRequestId));
            Assert.That(ended.GetProperty("outcome").GetProperty("card_last4").GetString(), Is.EqualTo(card.Last4), "the same card");
            Assert.That(Shop.Orders, Has.Count.EqualTo(1), "exactly one order");
            Assert.That(Shop.Orders.Single().CardLast4, Is.EqualTo(card.Last4), "paid with the same card");
            Assert.That(Shop.PaySubmissions, Is.EqualTo(1), "exactly one final click");
            Assert.That(pageViews, Is.EqualTo(2), "a fresh context loaded the checkout again");
            var kinds = Kinds(ended);
            Assert.That(kinds, Does.Contain("resumed"), Explain(ended));
            Assert.That(kinds.Count(k => k == "spend_request"), Is.EqualTo(1), Explain(ended));
            Assert.That(kinds.Count(k => k == "submitting"), Is.EqualTo(1), Explain(ended));
        });
    }

    [Test]
    public async Task Restart_killed_while_submitting_ends_outcome_unknown_without_a_second_click()
    {
        // The shop holds its answer to the final click: the worker has recorded "submitting" and clicked, and is killed
        // before it can read the result. The merchant then goes on and charges, as a real one would.
        var clicked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await StartWorldAsync(EmulatorApprovalMode.Auto, new DemoShopOptions
        {
            BeforeAuthorize = async ct =>
            {
                clicked.TrySetResult();
                await answer.Task.WaitAsync(ct);
            },
        });
        var first = await StartServiceAsync("first run");
        var id = await PostPurchaseAsync(first);
        await WaitForTaskAsync(clicked.Task, "the final click to reach the shop", first);
        var submitting = await WaitForAsync(first, id, p => Status(p) == PurchaseStatus.Submitting, "submitting");
        Assert.That(Kinds(submitting), Does.Contain("submitting"), Explain(submitting));

        await first.KillAsync();
        answer.TrySetResult();
        await WaitUntilAsync(() => Shop.Orders.Count == 1, "the shop to place the order it was paid for", first);
        var second = await StartServiceAsync("second run");
        var ended = await WaitForAsync(second, id, IsTerminal, "a terminal status");

        Assert.Multiple(() =>
        {
            Assert.That(Status(ended), Is.EqualTo(PurchaseStatus.OutcomeUnknown), Explain(ended));
            Assert.That(ended.GetProperty("outcome").GetProperty("code").GetString(), Is.EqualTo(FailureCodes.InterruptedWhileSubmitting), Explain(ended));
            Assert.That(Emulator.Sandbox.SpendRequestCount, Is.EqualTo(1), "exactly one spend request");
            Assert.That(Shop.Orders, Has.Count.LessThanOrEqualTo(1), "at most one order");
            Assert.That(Shop.PaymentAttempts, Is.LessThanOrEqualTo(1), "at most one payment attempt");
            Assert.That(Shop.PaySubmissions, Is.EqualTo(1), "the pay endpoint was hit once, by the first run: no second click after the restart");
            var kinds = Kinds(ended);
            Assert.That(kinds.Count(k => k == "submitting"), Is.EqualTo(1), Explain(ended));
            Assert.That(kinds, Does.Not.Contain("resumed"), Explain(ended));
        });
        // Nothing happens later either: the purchase is over for the worker.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(Shop.PaySubmissions, Is.EqualTo(1), "no click after the purchase ended");
    }

    [Test]
    public async Task Restart_after_sigterm_while_approval_pending_exits_zero_and_resumes_the_same_spend_request()
    {
        await StartWorldAsync(EmulatorApprovalMode.Manual, new DemoShopOptions());
        var first = await StartServiceAsync("first run");
        var id = await PostPurchaseAsync(first);
        var pending = await WaitForAsync(first, id, p => Status(p) == PurchaseStatus.AwaitingApproval, "awaiting_approval");
        var spendRequestId = pending.GetProperty("spend_request_id").GetString()!;

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        var exitCode = await first.TerminateAsync(TimeSpan.FromSeconds(20));
        TestContext.Out.WriteLine($"SIGTERM to exit: {stopping.ElapsedMilliseconds} ms");
        Assert.That(exitCode, Is.Zero, first.Describe());
        Assert.That(first.Output, Does.Not.Match(@" (ERR|FTL)\]"), "a graceful stop logs no error:\n" + first.Describe());
        Assert.That(first.Output, Does.Contain("stopped at a safe point"), first.Describe());
        var second = await StartServiceAsync("second run");
        Emulator.Sandbox.Approve(spendRequestId);
        var ended = await WaitForAsync(second, id, IsTerminal, "a terminal status");

        Assert.Multiple(() =>
        {
            Assert.That(Status(ended), Is.EqualTo(PurchaseStatus.Succeeded), Explain(ended));
            Assert.That(ended.GetProperty("spend_request_id").GetString(), Is.EqualTo(spendRequestId));
            Assert.That(Emulator.Sandbox.SpendRequestCount, Is.EqualTo(1), "exactly one spend request");
            Assert.That(Shop.Orders, Has.Count.EqualTo(1), "exactly one order");
            Assert.That(Kinds(ended).Count(k => k == "spend_request"), Is.EqualTo(1), Explain(ended));
        });
    }

    /// <summary>The parts that outlive the worker: Link's emulator, the demo shop, and an agent in the data directory.</summary>
    private async Task StartWorldAsync(EmulatorApprovalMode approval, DemoShopOptions shopOptions)
    {
        _emulator = await LinkEmulatorServer.StartAsync(new LinkEmulatorOptions { Approval = approval });
        _shop = await DemoShop.StartAsync(shopOptions, new SandboxIssuer(_emulator.Sandbox));
        var database = new CheckoutDatabase(Path.Combine(Path.GetFullPath(DataDirectory), "checkout-agent.db"));
        database.Initialize();
        var (scopes, error) = Scopes.Parse("purchases:write,purchases:read");
        Assert.That(error, Is.Null);
        _token = (await new AgentStore(database, TimeProvider.System).AddAsync("restart-tests", scopes, new AgentPolicy(), CancellationToken.None)).Token;
    }

    /// <summary>A run of <c>serve</c> on this test's data directory, reaching Link through the stand-in link-cli.</summary>
    private async Task<ServiceProcess> StartServiceAsync(string name)
    {
        var cli = LinkCliTransportTests.StandIn();
        var authDirectory = CardFile.EnsurePrivateDirectory(Path.Combine(Path.GetFullPath(DataDirectory), "link-cli"));
        var authFile = Path.Combine(authDirectory, "auth.json");
        if (!File.Exists(authFile))
        {
            Emulator.WriteAuthFile(authFile);
        }
        var environment = new Dictionary<string, string>
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
            environment[$"Link__Cli__LeadingArguments__{i}"] = cli.LeadingArguments[i];
        }
        foreach (var (key, value) in DemoRunner.ShopConfiguration(Shop))
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }
        var run = await ServiceProcess.StartAsync(name, DataDirectory, environment);
        _runs.Add(run);
        return run;
    }

    private async Task<string> PostPurchaseAsync(ServiceProcess run)
    {
        var client = run.Client(_token);
        var product = new DemoShopOptions().Products[0];
        var body = new Dictionary<string, object?>
        {
            ["recipe"] = "demo-shop",
            ["merchant_url"] = Shop.BaseUrl.GetLeftPart(UriPartial.Authority),
            ["items"] = new[] { new Dictionary<string, object?> { ["name"] = product.Name, ["quantity"] = 1, ["unit_amount"] = product.Price, ["product_url"] = Shop.ProductUrl(product.Sku).ToString() } },
            ["amount"] = product.Price,
            ["currency"] = "usd",
            ["context"] = "Buying one pour-over dripper from the demo shop for the office kitchen; a restart test of a one-time sandbox purchase.",
            ["buyer"] = new Dictionary<string, object?> { ["email"] = "jane.doe@example.com", ["name"] = "Jane Doe" },
            ["shipping"] = new Dictionary<string, object?>
            {
                ["name"] = "Jane Doe", ["line1"] = "510 Townsend St", ["city"] = "San Francisco", ["state"] = "CA", ["postal_code"] = "94103", ["country"] = "US",
            },
        };
        using var response = await TestService.PostPurchaseAsync(client, body, "restart-" + Guid.NewGuid().ToString("N"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text + "\n" + run.Describe());
        using var created = JsonDocument.Parse(text);
        return created.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Polls GET /v1/purchases/{id} on a run until <paramref name="condition"/> holds; fails with the purchase and every run's output.</summary>
    private async Task<JsonElement> WaitForAsync(ServiceProcess run, string purchaseId, Func<JsonElement, bool> condition, string what)
    {
        var client = run.Client(_token);
        var deadline = DateTime.UtcNow + StageTimeout;
        JsonElement purchase = default;
        while (DateTime.UtcNow < deadline && !run.HasExited)
        {
            purchase = await client.GetFromJsonAsync<JsonElement>($"/v1/purchases/{purchaseId}");
            if (condition(purchase))
            {
                return purchase;
            }
            if (IsTerminal(purchase))
            {
                Assert.Fail($"waiting for {what}, the purchase ended instead: {Explain(purchase)}");
            }
            await Task.Delay(150);
        }
        Assert.Fail($"{run.Name}: no {what} within {StageTimeout.TotalSeconds:0} s{(run.HasExited ? " (the service exited)" : "")}. Last seen: {Explain(purchase)}");
        return purchase;
    }

    private Task WaitForTaskAsync(Task task, string what, ServiceProcess run) => WaitUntilAsync(() => task.IsCompleted, what, run);

    private async Task WaitUntilAsync(Func<bool> condition, string what, ServiceProcess run)
    {
        var deadline = DateTime.UtcNow + StageTimeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{run.Name}: still waiting for {what} after {StageTimeout.TotalSeconds:0} s.\n{Explain(default)}");
            }
            await Task.Delay(100);
        }
    }

    private static bool IsTerminal(JsonElement purchase) => PurchaseStatus.IsTerminal(Status(purchase));

    private static string Status(JsonElement purchase) => purchase.GetProperty("status").GetString()!;

    private static List<(string Kind, string Message)> Timeline(JsonElement purchase) =>
        purchase.TryGetProperty("timeline", out var timeline)
            ? [.. timeline.EnumerateArray().Select(e => (e.GetProperty("kind").GetString()!, e.GetProperty("message").GetString()!))]
            : [];

    private static List<string> Kinds(JsonElement purchase) => [.. Timeline(purchase).Select(e => e.Kind)];

    /// <summary>The purchase's timeline, what the outside world saw, and every run's output: enough to tell what went wrong.</summary>
    private string Explain(JsonElement purchase)
    {
        var timeline = purchase.ValueKind == JsonValueKind.Object
            ? string.Join('\n', Timeline(purchase).Select(e => $"  {e.Kind,-16} {e.Message}"))
            : "  (no purchase read)";
        var status = purchase.ValueKind == JsonValueKind.Object ? $"{Status(purchase)} {(purchase.TryGetProperty("outcome", out var o) ? o.ToString() : "")}" : "?";
        var world = _emulator is null || _shop is null ? "" :
            $"spend requests {Emulator.Sandbox.SpendRequestCount}, pay submissions {Shop.PaySubmissions}, payment attempts {Shop.PaymentAttempts}, orders {Shop.Orders.Count}";
        return $"status {status}\ntimeline:\n{timeline}\n{world}\n{string.Join('\n', _runs.Select(r => r.Describe()))}";
    }
}
