using CheckoutAgent.Link;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Tests.EndToEnd;

/// <summary>The demo purchase in headless Chromium against the real demo shop on 127.0.0.1, through the real worker host.</summary>
[Category("Browser")]
public class DemoPurchaseTests : DataDirectoryTest
{
    [Test]
    public async Task Demo_Succeeds_WithOneSpendRequestOneOrderAndOneFinalClick()
    {
        var result = await DemoRunner.RunAsync(new DemoSettings { DataDirectory = DataDirectory }, TextWriter.Null, CancellationToken.None);

        var outcome = result.Outcome;
        Assert.That(outcome.Status, Is.EqualTo(PurchaseStatus.Succeeded), outcome.Message);
        Assert.That(result.Orders, Has.Count.EqualTo(1));
        Assert.That(outcome.OrderNumber, Is.EqualTo(result.Orders[0].OrderNumber));
        Assert.That(outcome.ChargedTotal, Is.EqualTo("$24.00"));
        Assert.That(result.Orders[0].Amount, Is.EqualTo(2400));
        Assert.That(result.Sandbox.SpendRequestCount, Is.EqualTo(1));
        Assert.That(result.Sandbox.AuthorizationCount, Is.EqualTo(1));
        Assert.That(result.Sandbox.Get(outcome.SpendRequestId!).Status, Is.EqualTo(SpendRequestStatus.Succeeded));

        var issued = result.Sandbox.IssuedCards.Single();
        Assert.That(outcome.CardLast4, Is.EqualTo(issued.Last4));
        Assert.That(outcome.CardBrand, Is.EqualTo("visa"));
        Assert.That(result.Timeline.Count(e => e.Kind == PurchaseStatus.Submitting), Is.EqualTo(1));
        Assert.That(result.Timeline.Count(e => e.Kind == "step"), Is.EqualTo(16));
        Assert.That(outcome.ScreenshotPath, Does.Exist);
        Assert.That(outcome.Timings.Select(t => t.Name), Does.Contain("approval").And.Contain("context").And.Contain("confirmation"));
    }

    [Test]
    public async Task Demo_PageTotalDiffersFromApproved_StopsBeforeTheFinalClick()
    {
        var result = await DemoRunner.RunAsync(new DemoSettings { DataDirectory = DataDirectory, Amount = 2300 }, TextWriter.Null, CancellationToken.None);

        Assert.That(result.Outcome.Status, Is.EqualTo(PurchaseStatus.Failed));
        Assert.That(result.Outcome.Code, Is.EqualTo(FailureCodes.TotalMismatch));
        Assert.That(result.Outcome.Message, Does.Contain("$24.00").And.Contain("$23.00"));
        Assert.That(result.Orders, Is.Empty);
        Assert.That(result.Sandbox.AuthorizationAttemptCount, Is.Zero, "the shop must never have seen the card");
        Assert.That(result.Timeline.Any(e => e.Kind == PurchaseStatus.Submitting), Is.False);
        Assert.That(result.Sandbox.Get(result.Outcome.SpendRequestId!).Status, Is.EqualTo(SpendRequestStatus.Canceled),
            "an unused one-time card is canceled");
    }
}
