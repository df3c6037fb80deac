using CheckoutAgent.Link;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Tests.Purchases;

/// <summary>
/// One spend request per purchase, whatever Link's rate limits answer: against the real sandbox with Link's duplicate
/// rule on. A fake clock stands in only for the waits between retries (seconds each).
/// </summary>
public class SpendRequestCreationTests
{
    private const string Context =
        "Buying one pour-over dripper from the local demo shop for the CheckoutAgent tests; a sandbox purchase, no real money moves at all.";

    private static SpendRequestCreateOptions Options() => new()
    {
        Amount = 2400, MerchantName = "Demo Coffee Supply", MerchantUrl = "http://127.0.0.1:9", Context = Context,
        LineItems = [new LineItem("Pour-over dripper", 1, 2400)], Totals = [new Total("total", "Total", 2400)],
    };

    [Test]
    public async Task A_repeated_create_for_the_same_purchase_adopts_its_own_open_request()
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions { RejectDuplicates = true, Approval = SandboxApprovalMode.Manual });
        var client = new SandboxLinkClient(sandbox);
        var notes = new List<string>();

        // The first run created it and stopped before recording the id; the second asks again.
        var first = await SpendRequestCreation.CreateAsync(client, "pur_1", Options(), new InstantTime(), Note(notes), CancellationToken.None);
        var again = await SpendRequestCreation.CreateAsync(client, "pur_1", Options(), new InstantTime(), Note(notes), CancellationToken.None);
        var other = await SpendRequestCreation.CreateAsync(client, "pur_2", Options(), new InstantTime(), Note(notes), CancellationToken.None);

        Assert.That(again.Id, Is.EqualTo(first.Id), "adopted, not a second request");
        Assert.That(first.Metadata[SpendRequestCreation.PurchaseKey], Is.EqualTo("pur_1"));
        Assert.That(other.Id, Is.Not.EqualTo(first.Id), "another purchase's identical order is its own request");
        Assert.That(sandbox.SpendRequestCount, Is.EqualTo(2));
        Assert.That(notes, Is.Empty);
    }

    [Test]
    public void A_rate_limit_is_waited_out_and_the_same_create_repeated_a_bounded_number_of_times()
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions { HourlyCreateLimit = 1, Approval = SandboxApprovalMode.Manual });
        var client = new SandboxLinkClient(sandbox);
        sandbox.Create(Options());
        var notes = new List<string>();

        var error = Assert.ThrowsAsync<LinkException>(() =>
            SpendRequestCreation.CreateAsync(client, "pur_1", Options(), new InstantTime(), Note(notes), CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.RateLimited));
        Assert.That(notes, Has.Count.EqualTo(SpendRequestCreation.RateLimitRetries));
        Assert.That(notes[0], Does.Contain("rate limit").And.Contain("asked again"));
        Assert.That(sandbox.SpendRequestCount, Is.EqualTo(1), "nothing more was created");
    }

    private static Func<string, Task> Note(List<string> notes) => note =>
    {
        notes.Add(note);
        return Task.CompletedTask;
    };

    /// <summary>The system clock, except that every wait is over at once (the retries' backoff is seconds long).</summary>
    private sealed class InstantTime : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            System.CreateTimer(callback, state, dueTime == Timeout.InfiniteTimeSpan ? dueTime : TimeSpan.Zero, period);
    }
}
