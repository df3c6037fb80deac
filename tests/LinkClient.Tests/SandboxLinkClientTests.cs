using System.Runtime.Versioning;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Tests.LinkClient;

// Card files rest on POSIX permissions; the worker only runs on Linux.
[UnsupportedOSPlatform("windows")]
public class SandboxLinkClientTests : SandboxClientTest
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private (LinkSandbox Sandbox, SandboxLinkClient Client) Create(SandboxApprovalMode mode, long maxAmount = 50000)
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions { Approval = mode, MaxAmount = maxAmount }, Time);
        return (sandbox, new SandboxLinkClient(sandbox));
    }

    private DateTimeOffset In(TimeSpan span) => Time.GetUtcNow() + span;

    [Test]
    public async Task WaitForApproval_returns_the_approved_request_with_brand_last4_and_the_card_file()
    {
        var (sandbox, client) = Create(SandboxApprovalMode.Auto);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        var path = Dir.File("card.json");

        var approved = await client.WaitForApprovalAsync(created.Id, path, Interval, In(TimeSpan.FromMinutes(5)), CancellationToken.None);

        var card = sandbox.IssuedCards.Single();
        Assert.That(approved.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(approved.CardBrand, Is.EqualTo("visa"));
        Assert.That(approved.CardLast4, Is.EqualTo(card.Last4));
        Assert.That(approved.CardOutputFile, Is.EqualTo(path));
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var secret = CardFile.Read(path);
        Assert.That(secret.Reveal(CardField.Number), Is.EqualTo(card.Number));
        Assert.That(secret.Reveal(CardField.Cvc), Is.EqualTo(card.Cvc));
        Assert.That(approved.ToString(), Does.Not.Contain(card.Number));
    }

    [Test]
    public async Task WaitForApproval_keeps_polling_the_same_request_until_the_person_approves()
    {
        var (sandbox, client) = Create(SandboxApprovalMode.Never);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        Time.BeforeTimerFires = fired =>
        {
            if (fired == 3)
            {
                sandbox.Approve(created.Id);
            }
        };

        var approved = await client.WaitForApprovalAsync(created.Id, Dir.File("card.json"), Interval, In(TimeSpan.FromMinutes(5)), CancellationToken.None);

        Assert.That(approved.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(Time.TimersFired, Is.EqualTo(3));
        Assert.That(sandbox.SpendRequestCount, Is.EqualTo(1));
    }

    [Test]
    public async Task WaitForApproval_times_out_with_POLLING_TIMEOUT_and_never_creates_a_second_request()
    {
        var (sandbox, client) = Create(SandboxApprovalMode.Never);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        var path = Dir.File("card.json");
        var start = Time.GetUtcNow();

        var ex = Assert.ThrowsAsync<LinkException>(() => client.WaitForApprovalAsync(created.Id, path, Interval, In(TimeSpan.FromSeconds(7)), CancellationToken.None));

        Assert.That(ex.Code, Is.EqualTo("POLLING_TIMEOUT"));
        Assert.That(ex.Message, Does.Contain(created.Id).And.Contain("pending_approval"));
        Assert.That(sandbox.SpendRequestCount, Is.EqualTo(1));
        Assert.That(sandbox.Get(created.Id).Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
        Assert.That(File.Exists(path), Is.False);
        // 2 + 2 + 2 + 1: the last sleep is cut short so the final look happens at the deadline, not after it.
        Assert.That(Time.GetUtcNow() - start, Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(Time.TimersFired, Is.EqualTo(4));
    }

    [Test]
    public async Task WaitForApproval_returns_a_denial_without_writing_a_file()
    {
        var (_, client) = Create(SandboxApprovalMode.Deny);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        var path = Dir.File("card.json");

        var result = await client.WaitForApprovalAsync(created.Id, path, Interval, In(TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.That(result.Status, Is.EqualTo(SpendRequestStatus.Denied));
        Assert.That(result.CardOutputFile, Is.Null);
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public async Task WaitForApproval_reports_expiry_once_the_window_passes_while_polling()
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Never, ApprovalWindow = TimeSpan.FromSeconds(5) }, Time);
        var client = new SandboxLinkClient(sandbox);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);

        var result = await client.WaitForApprovalAsync(created.Id, Dir.File("card.json"), Interval, In(TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.That(result.Status, Is.EqualTo(SpendRequestStatus.Expired));
    }

    [Test]
    public async Task WaitForApproval_refuses_an_existing_output_file_and_the_card_can_still_be_fetched_to_a_new_one()
    {
        var (_, client) = Create(SandboxApprovalMode.Auto);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        var taken = Dir.File("taken.json");
        File.WriteAllText(taken, "someone else's");

        var ex = Assert.ThrowsAsync<LinkException>(() => client.WaitForApprovalAsync(created.Id, taken, Interval, In(TimeSpan.FromMinutes(1)), CancellationToken.None));
        var retry = await client.WaitForApprovalAsync(created.Id, Dir.File("card.json"), Interval, In(TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.That(ex.Code, Is.EqualTo("OUTPUT_FILE_EXISTS"));
        Assert.That(File.ReadAllText(taken), Is.EqualTo("someone else's"));
        Assert.That(retry.CardOutputFile, Is.EqualTo(Dir.File("card.json")));
    }

    [Test]
    public async Task WaitForApproval_honours_cancellation_while_waiting()
    {
        var (sandbox, client) = Create(SandboxApprovalMode.Never);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        using var cts = new CancellationTokenSource();
        Time.BeforeTimerFires = fired =>
        {
            if (fired == 2)
            {
                cts.Cancel();
            }
        };

        Assert.That(() => client.WaitForApprovalAsync(created.Id, Dir.File("card.json"), Interval, In(TimeSpan.FromHours(1)), cts.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Time.TimersFired, Is.EqualTo(2));
        Assert.That(sandbox.SpendRequestCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Create_validates_locally_and_sends_nothing_when_invalid()
    {
        // The sandbox itself would take 60000 here; the client still applies Link's own cap.
        var (sandbox, client) = Create(SandboxApprovalMode.Auto, maxAmount: 100000);

        var ex = Assert.ThrowsAsync<LinkException>(() => client.CreateSpendRequestAsync(TestData.Card(amount: 60000), CancellationToken.None));

        Assert.That(ex.Code, Is.EqualTo("INVALID_REQUEST"));
        Assert.That(ex.Field, Is.EqualTo("amount"));
        Assert.That(sandbox.SpendRequestCount, Is.Zero);
        Assert.That(await client.CreateSpendRequestAsync(TestData.Card(amount: 50000), CancellationToken.None), Is.Not.Null);
    }

    [Test]
    public async Task Retrieve_cancel_and_list_go_to_the_sandbox()
    {
        var (_, client) = Create(SandboxApprovalMode.Never);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);

        var retrieved = await client.RetrieveSpendRequestAsync(created.Id, CancellationToken.None);
        var canceled = await client.CancelSpendRequestAsync(created.Id, CancellationToken.None);
        var methods = await client.ListPaymentMethodsAsync(CancellationToken.None);

        Assert.That(retrieved.Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
        Assert.That(canceled.Status, Is.EqualTo(SpendRequestStatus.Canceled));
        Assert.That(methods.Select(m => m.Id), Does.Contain("csmrpd_sandbox_visa"));
        var ex = Assert.ThrowsAsync<LinkException>(() => client.RetrieveSpendRequestAsync("lsrq_unknown", CancellationToken.None));
        Assert.That(ex.Code, Is.EqualTo("NOT_FOUND"));
    }
}
