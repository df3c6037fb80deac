using CheckoutAgent.Link;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Tests.Purchases;

/// <summary>The pipeline's decisions that need no browser: Chromium is pointed at a missing file to prove it is never reached.</summary>
public class PurchasePipelineTests
{
    private static readonly Dictionary<string, string?> NoBrowser = new() { ["Browser:ExecutablePath"] = "/nonexistent/chromium" };

    [Test]
    public async Task Run_ApprovalDenied_EndsApprovalDeniedWithoutCard()
    {
        await using var worker = await TestWorker.StartAsync(new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Deny }), NoBrowser);

        var purchase = await worker.EnqueueAsync(PurchaseValidatorTests.ValidRequest());
        var ended = await worker.WaitForEndAsync(purchase.Id);

        Assert.That(ended.Status, Is.EqualTo(PurchaseStatus.Failed));
        Assert.That(ended.Outcome!.Code, Is.EqualTo(FailureCodes.ApprovalDenied));
        Assert.That(ended.Outcome.CardLast4, Is.Null);
        Assert.That(worker.Sandbox.SpendRequestCount, Is.EqualTo(1));
        Assert.That(File.Exists(worker.Vault.PathFor(purchase.Id)), Is.False);
    }

    [Test]
    public async Task Run_NobodyApproves_PollsOneSpendRequestThenCancelsIt()
    {
        var configuration = new Dictionary<string, string?>(NoBrowser) { ["Link:ApprovalTimeout"] = "00:00:01" };
        await using var worker = await TestWorker.StartAsync(new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Never }), configuration);

        var purchase = await worker.EnqueueAsync(PurchaseValidatorTests.ValidRequest());
        var ended = await worker.WaitForEndAsync(purchase.Id);

        Assert.That(ended.Outcome!.Code, Is.EqualTo(FailureCodes.ApprovalTimeout));
        Assert.That(worker.Sandbox.SpendRequestCount, Is.EqualTo(1), "polling must never create a second spend request");
        Assert.That(worker.Sandbox.Get(ended.SpendRequestId!).Status, Is.EqualTo(SpendRequestStatus.Canceled));
    }

    [Test]
    public async Task Run_InvalidRequest_NeverReachesLink()
    {
        await using var worker = await TestWorker.StartAsync(new LinkSandbox(new LinkSandboxOptions()), NoBrowser);

        var purchase = await worker.EnqueueAsync(PurchaseValidatorTests.ValidRequest() with { Context = "buy it" });
        var ended = await worker.WaitForEndAsync(purchase.Id);

        Assert.That(ended.Outcome!.Code, Is.EqualTo(FailureCodes.InvalidRequest));
        Assert.That(ended.Outcome.Message, Does.Contain("context: must be at least 100 characters"));
        Assert.That(worker.Sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    public async Task Run_UnknownRecipe_FailsNamingTheRecipe()
    {
        await using var worker = await TestWorker.StartAsync(new LinkSandbox(new LinkSandboxOptions()), NoBrowser);

        var purchase = await worker.EnqueueAsync(PurchaseValidatorTests.ValidRequest() with { Recipe = "no-such-shop" });
        var ended = await worker.WaitForEndAsync(purchase.Id);

        Assert.That(ended.Outcome!.Code, Is.EqualTo(FailureCodes.RecipeInvalid));
        Assert.That(ended.Outcome.Message, Does.Contain("no-such-shop"));
        Assert.That(worker.Sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    public async Task Run_FoundSubmitting_EndsOutcomeUnknownAndNeverOpensABrowser()
    {
        await using var worker = await TestWorker.StartAsync(new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Never }), NoBrowser);
        // A purchase as a crash leaves it: "submitting" recorded, the worker gone before the merchant answered.
        var purchase = await worker.Store.CreateAsync(PurchaseValidatorTests.ValidRequest(), CancellationToken.None);
        Assert.That(await worker.Store.TransitionAsync(purchase.Id, PurchaseStatus.CheckingOut, "approved", "approved", CancellationToken.None,
            spendRequestId: "lsrq_from_before_the_crash"), Is.True);
        Assert.That(await worker.Store.TransitionAsync(purchase.Id, PurchaseStatus.Submitting, "submitting", "final click", CancellationToken.None), Is.True);

        await worker.Pipeline.RunAsync(purchase.Id, CancellationToken.None);
        await worker.Pipeline.RunAsync(purchase.Id, CancellationToken.None);

        var ended = await worker.Store.GetAsync(purchase.Id, CancellationToken.None);
        var timeline = await worker.Store.GetTimelineAsync(purchase.Id, CancellationToken.None);
        Assert.That(ended!.Status, Is.EqualTo(PurchaseStatus.OutcomeUnknown));
        Assert.That(ended.Outcome!.Code, Is.EqualTo(FailureCodes.InterruptedWhileSubmitting));
        Assert.That(timeline.Count(e => e.Kind == PurchaseStatus.OutcomeUnknown), Is.EqualTo(1), "a second run must change nothing");
        Assert.That(worker.Sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Run_UnsafeCardFile_EndsCardUnavailableWithoutNamingTheCardFile()
    {
        await using var worker = await TestWorker.StartAsync(new LinkSandbox(new LinkSandboxOptions()), NoBrowser);
        var purchase = await worker.Store.CreateAsync(PurchaseValidatorTests.ValidRequest(), CancellationToken.None);
        // A card file that others may read: the worker must refuse it, and say so without pointing at it.
        var cardPath = worker.Vault.PathFor(purchase.Id);
        await File.WriteAllTextAsync(cardPath, "{}");
        File.SetUnixFileMode(cardPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await worker.Pipeline.RunAsync(purchase.Id, CancellationToken.None);

        var ended = await worker.Store.GetAsync(purchase.Id, CancellationToken.None);
        var timeline = await worker.Store.GetTimelineAsync(purchase.Id, CancellationToken.None);
        Assert.That(ended!.Outcome!.Code, Is.EqualTo(FailureCodes.CardUnavailable));
        Assert.That(ended.Outcome.Message, Does.Contain("CARD_FILE_UNSAFE"));
        Assert.That(timeline.Select(e => e.Message).Append(ended.Outcome.Message), Has.None.Contain(worker.Vault.Directory));
        Assert.That(File.Exists(cardPath), Is.False);
        Assert.That(worker.Sandbox.Get(ended.SpendRequestId!).Status, Is.EqualTo(SpendRequestStatus.Canceled));
    }

    [Test]
    public async Task Store_ACanceledPurchase_NeverReachesSubmitting_AndAnEndedOneNeverChanges()
    {
        await using var worker = await TestWorker.StartAsync(new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Never }), NoBrowser);
        var purchase = await worker.Store.CreateAsync(PurchaseValidatorTests.ValidRequest(), CancellationToken.None);
        Assert.That(await worker.Store.TransitionAsync(purchase.Id, PurchaseStatus.Submitting, "submitting", "final click", CancellationToken.None),
            Is.False, "submitting is reached only from checking_out");
        Assert.That(await worker.Store.TransitionAsync(purchase.Id, PurchaseStatus.CheckingOut, "approved", "approved", CancellationToken.None), Is.True);

        var canceled = await worker.Store.CancelAsync(purchase.Id, null, "test", CancellationToken.None);
        Assert.That(canceled.Disposition, Is.EqualTo(CancelDisposition.Canceled));
        // The checkout that was filling the form now asks to click: refused, so it never clicks.
        Assert.That(await worker.Store.TransitionAsync(purchase.Id, PurchaseStatus.Submitting, "submitting", "final click", CancellationToken.None), Is.False);
        Assert.That(await worker.Store.TransitionAsync(purchase.Id, PurchaseStatus.Succeeded, "succeeded", "late", CancellationToken.None), Is.False);
        var ended = await worker.Store.GetAsync(purchase.Id, CancellationToken.None);
        Assert.That(ended!.Status, Is.EqualTo(PurchaseStatus.Failed));
        Assert.That(ended.Outcome!.Code, Is.EqualTo(FailureCodes.Canceled));
        Assert.That((await worker.Store.CancelAsync(purchase.Id, null, "again", CancellationToken.None)).Disposition, Is.EqualTo(CancelDisposition.AlreadyEnded));
    }

    [Test]
    public async Task Timeline_IsAppendOnlyAndInOrder()
    {
        await using var worker = await TestWorker.StartAsync(new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Deny }), NoBrowser);

        var purchase = await worker.EnqueueAsync(PurchaseValidatorTests.ValidRequest());
        await worker.WaitForEndAsync(purchase.Id);
        var timeline = await worker.Store.GetTimelineAsync(purchase.Id, CancellationToken.None);

        Assert.That(timeline.Select(e => e.Kind), Is.EqualTo(new[] { "queued", "policy", "spend_request", PurchaseStatus.Failed }));
        Assert.That(timeline.Select(e => e.At), Is.Ordered);
    }
}
