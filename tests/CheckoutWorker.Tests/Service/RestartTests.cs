using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Purchases;

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
    private ServiceWorld? _world;

    private ServiceWorld World => _world!;
    private LinkEmulatorServer Emulator => World.Emulator;
    private DemoShop Shop => World.Shop;

    [TearDown]
    public async Task StopEverything()
    {
        if (_world is not null)
        {
            await _world.DisposeAsync();
            _world = null;
        }
    }

    [Test]
    public async Task Restart_killed_while_approval_pending_keeps_polling_the_same_spend_request_and_buys_once()
    {
        var (first, id, spendRequestId) = await StartAwaitingApprovalAsync();

        await first.KillAsync();
        // The person approves only now: the restarted worker must be polling the request the first run created.
        var ended = await ApproveOnASecondRunAsync(id, spendRequestId);

        AssertBoughtOnceWith(ended, spendRequestId,
            () => Assert.That(Shop.PaySubmissions, Is.EqualTo(1), "exactly one final click"));
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
    public async Task Restart_killed_while_awaiting_authentication_ends_outcome_unknown_without_a_second_click()
    {
        // The bank asks the card holder to confirm after the final click (3-D Secure) and nobody has yet: the worker
        // waits with the page open and is killed meanwhile. The card holder then confirms, and the payment goes through
        // at Link, as a real one would while no page is watching.
        await StartWorldAsync(EmulatorApprovalMode.Auto, new DemoShopOptions { Variant = DemoVariant.ThreeDs },
            new LinkSandboxOptions { Authentication = SandboxAuthenticationMode.Manual });
        var first = await StartServiceAsync("first run");
        var id = await World.PostPurchaseAsync(first, recipe: "demo-three-ds");
        var awaiting = await WaitForAsync(first, id, p => Status(p) == PurchaseStatus.AwaitingAuthentication, "awaiting_authentication");
        var spendRequestId = awaiting.GetProperty("spend_request_id").GetString()!;
        Assert.That(Emulator.Sandbox.Get(spendRequestId).Status, Is.EqualTo(SpendRequestStatus.RequiresAction), Explain(awaiting));
        Assert.That(awaiting.GetProperty("outcome").GetProperty("action").GetProperty("message").GetString(), Does.Contain("Confirm the payment"), Explain(awaiting));

        await first.KillAsync();
        Emulator.Sandbox.ApproveAction(spendRequestId);
        var second = await StartServiceAsync("second run");
        var ended = await WaitForAsync(second, id, IsTerminal, "a terminal status");

        Assert.Multiple(() =>
        {
            Assert.That(Status(ended), Is.EqualTo(PurchaseStatus.OutcomeUnknown), Explain(ended));
            Assert.That(ended.GetProperty("outcome").GetProperty("code").GetString(), Is.EqualTo(FailureCodes.InterruptedWhileSubmitting), Explain(ended));
            Assert.That(Emulator.Sandbox.SpendRequestCount, Is.EqualTo(1), "exactly one spend request");
            Assert.That(Shop.PaymentAttempts, Is.EqualTo(1), "one payment attempt, the first run's");
            Assert.That(Shop.PaySubmissions, Is.EqualTo(1), "the pay endpoint was hit once, by the first run: no second click after the restart");
            var kinds = Kinds(ended);
            Assert.That(kinds.Count(k => k == "submitting"), Is.EqualTo(1), Explain(ended));
            Assert.That(kinds.Count(k => k == PurchaseStatus.AwaitingAuthentication), Is.EqualTo(1), Explain(ended));
            Assert.That(kinds, Does.Not.Contain("resumed"), Explain(ended));
        });
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(Shop.PaySubmissions, Is.EqualTo(1), "no click after the purchase ended");
    }

    [Test]
    public async Task Restart_after_sigterm_while_approval_pending_exits_zero_and_resumes_the_same_spend_request()
    {
        var (first, id, spendRequestId) = await StartAwaitingApprovalAsync();

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        var exitCode = await first.TerminateAsync(TimeSpan.FromSeconds(20));
        TestContext.Out.WriteLine($"SIGTERM to exit: {stopping.ElapsedMilliseconds} ms");
        Assert.That(exitCode, Is.Zero, first.Describe());
        Assert.That(first.Output, Does.Not.Match(@" (ERR|FTL)\]"), "a graceful stop logs no error:\n" + first.Describe());
        Assert.That(first.Output, Does.Contain("stopped at a safe point"), first.Describe());
        var ended = await ApproveOnASecondRunAsync(id, spendRequestId);

        AssertBoughtOnceWith(ended, spendRequestId);
    }

    /// <summary>A world whose person approves by hand, and a first run with one purchase waiting at approval.</summary>
    private async Task<(ServiceProcess First, string Id, string SpendRequestId)> StartAwaitingApprovalAsync()
    {
        await StartWorldAsync(EmulatorApprovalMode.Manual, new DemoShopOptions());
        var first = await StartServiceAsync("first run");
        var id = await PostPurchaseAsync(first);
        var pending = await WaitForAsync(first, id, p => Status(p) == PurchaseStatus.AwaitingApproval, "awaiting_approval");
        return (first, id, pending.GetProperty("spend_request_id").GetString()!);
    }

    /// <summary>Starts a second run, approves the spend request as the person, and waits for the purchase to end.</summary>
    private async Task<JsonElement> ApproveOnASecondRunAsync(string id, string spendRequestId)
    {
        var second = await StartServiceAsync("second run");
        Emulator.Sandbox.Approve(spendRequestId);
        return await WaitForAsync(second, id, IsTerminal, "a terminal status");
    }

    /// <summary>The purchase succeeded with the spend request of the first run: one spend request, one order.</summary>
    private void AssertBoughtOnceWith(JsonElement ended, string spendRequestId, Action? andAlso = null) =>
        Assert.Multiple(() =>
        {
            Assert.That(Status(ended), Is.EqualTo(PurchaseStatus.Succeeded), Explain(ended));
            Assert.That(ended.GetProperty("spend_request_id").GetString(), Is.EqualTo(spendRequestId));
            Assert.That(Emulator.Sandbox.SpendRequestCount, Is.EqualTo(1), "exactly one spend request for the purchase");
            Assert.That(Shop.Orders, Has.Count.EqualTo(1), "exactly one order");
            andAlso?.Invoke();
            Assert.That(Kinds(ended).Count(k => k == "spend_request"), Is.EqualTo(1), Explain(ended));
        });

    private async Task StartWorldAsync(EmulatorApprovalMode approval, DemoShopOptions shopOptions, LinkSandboxOptions? sandbox = null) =>
        _world = await ServiceWorld.StartAsync(DataDirectory, approval, shopOptions, sandbox: sandbox);

    private Task<ServiceProcess> StartServiceAsync(string name) => World.StartServiceAsync(name);

    private Task<string> PostPurchaseAsync(ServiceProcess run) => World.PostPurchaseAsync(run);

    private Task<JsonElement> WaitForAsync(ServiceProcess run, string purchaseId, Func<JsonElement, bool> condition, string what) =>
        World.WaitForAsync(run, purchaseId, condition, what);

    private Task WaitForTaskAsync(Task task, string what, ServiceProcess run) => World.WaitUntilAsync(() => task.IsCompleted, what, run);

    private Task WaitUntilAsync(Func<bool> condition, string what, ServiceProcess run) => World.WaitUntilAsync(condition, what, run);

    private static bool IsTerminal(JsonElement purchase) => ServiceWorld.IsTerminal(purchase);

    private static string Status(JsonElement purchase) => ServiceWorld.Status(purchase);

    private static List<(string Kind, string Message)> Timeline(JsonElement purchase) => ServiceWorld.Timeline(purchase);

    private static List<string> Kinds(JsonElement purchase) => ServiceWorld.Kinds(purchase);

    private string Explain(JsonElement purchase) => World.Explain(purchase);
}
