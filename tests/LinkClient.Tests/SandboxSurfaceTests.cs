using System.Runtime.Versioning;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Tests.LinkClient;

/// <summary>The rest of Link's surface in the sandbox and its in-process client: update, list, delegated create,
/// Shared Payment Tokens, transactions, observations, modes and logins.</summary>
[UnsupportedOSPlatform("windows")]
public class SandboxSurfaceTests : SandboxClientTest
{
    private LinkSandbox Sandbox(SandboxApprovalMode mode = SandboxApprovalMode.Manual, long maxAmount = 50_000) =>
        new(new LinkSandboxOptions { Approval = mode, MaxAmount = maxAmount }, Time);

    [Test]
    public void Update_before_approval_changes_only_the_given_fields()
    {
        var sandbox = Sandbox();
        var id = sandbox.Create(TestData.Card(amount: 2500)).Id;

        var updated = sandbox.Update(id, new SpendRequestUpdate { Amount = 3000, PaymentMethodId = "csmrpd_sandbox_mastercard" });

        Assert.That(updated.Amount, Is.EqualTo(3000));
        Assert.That(updated.PaymentMethodId, Is.EqualTo("csmrpd_sandbox_mastercard"));
        Assert.That(updated.MerchantUrl, Is.EqualTo(TestData.MerchantUrl));
        Assert.That(updated.Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
    }

    [Test]
    public void Update_is_validated_with_the_sandbox_cap_and_changes_nothing_when_refused()
    {
        var sandbox = Sandbox(maxAmount: 1000);
        var id = sandbox.Create(TestData.Card(amount: 500)).Id;

        var ex = Assert.Throws<LinkException>(() => sandbox.Update(id, new SpendRequestUpdate { Amount = 1001, MerchantUrl = "https://other.example" }));

        Assert.That(ex!.Field, Is.EqualTo("amount"));
        Assert.That(sandbox.Get(id).Amount, Is.EqualTo(500));
        Assert.That(sandbox.Get(id).MerchantUrl, Is.EqualTo(TestData.MerchantUrl));
    }

    [Test]
    public void Update_of_a_token_request_cannot_add_a_merchant_url()
    {
        var sandbox = Sandbox();
        var id = sandbox.Create(TestData.SharedPaymentToken()).Id;

        var ex = Assert.Throws<LinkException>(() => sandbox.Update(id, new SpendRequestUpdate { MerchantUrl = "https://shop.example" }));

        Assert.That(ex!.Field, Is.EqualTo("merchant_url"));
    }

    [TestCase(SandboxApprovalMode.Auto)]
    [TestCase(SandboxApprovalMode.Deny)]
    public void Update_after_the_answer_is_INVALID_STATE(SandboxApprovalMode mode)
    {
        var sandbox = Sandbox(mode);
        var id = sandbox.Create(TestData.Card()).Id;

        var ex = Assert.Throws<LinkException>(() => sandbox.Update(id, new SpendRequestUpdate { Amount = 100 }));

        Assert.That(ex!.Code, Is.EqualTo(LinkErrorCodes.InvalidState));
    }

    [Test]
    public void CreateDelegated_is_approved_with_a_card_even_when_the_mode_would_deny()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Deny);

        var request = sandbox.CreateDelegated(TestData.Card());

        Assert.That(request.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(sandbox.FindIssuedCard(request.Id), Is.Not.Null);
    }

    [Test]
    public void List_is_newest_first_and_hides_closed_requests_unless_history_is_asked()
    {
        var sandbox = Sandbox();
        var a = sandbox.Create(TestData.Card()).Id;
        var b = sandbox.Create(TestData.Card()).Id;
        sandbox.Deny(b);
        var c = sandbox.Create(TestData.Card(requestApproval: false)).Id;

        Assert.That(sandbox.List(includeHistory: false).Select(r => r.Id), Is.EqualTo(new[] { c, a }));
        Assert.That(sandbox.List(includeHistory: true).Select(r => r.Id), Is.EqualTo(new[] { c, b, a }));
    }

    [Test]
    public void Manual_mode_waits_like_never()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Manual);
        var id = sandbox.Create(TestData.Card()).Id;

        Time.Advance(TimeSpan.FromMinutes(29));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
        Assert.That(sandbox.Approve(id).Status, Is.EqualTo(SpendRequestStatus.Approved));
    }

    [Test]
    public void Expire_mode_expires_after_ExpireAfter_not_the_approval_window()
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Expire, ExpireAfter = TimeSpan.FromSeconds(10) }, Time);
        var id = sandbox.Create(TestData.Card()).Id;

        Time.Advance(TimeSpan.FromSeconds(9));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.Expired));
    }

    [Test]
    public void An_earlier_expires_at_is_honoured_and_a_past_one_refused()
    {
        var sandbox = Sandbox();
        var soon = Time.GetUtcNow().AddMinutes(5);
        var request = sandbox.Create(new SpendRequestCreateOptions
        {
            Amount = 100, MerchantName = "Shop", MerchantUrl = TestData.MerchantUrl, Context = TestData.Context, ExpiresAt = soon,
        });

        Assert.That(request.ExpiresAt, Is.EqualTo(soon));
        var ex = Assert.Throws<LinkException>(() => sandbox.Create(new SpendRequestCreateOptions
        {
            Amount = 100, MerchantName = "Shop", MerchantUrl = TestData.MerchantUrl, Context = TestData.Context, ExpiresAt = Time.GetUtcNow(),
        }));
        Assert.That(ex!.Field, Is.EqualTo("expires_at"));
    }

    [Test]
    public void Approving_a_token_request_mints_one_bound_single_use_token()
    {
        var sandbox = Sandbox();
        var id = sandbox.Create(TestData.SharedPaymentToken()).Id;
        Assert.That(sandbox.FindSharedPaymentToken(id), Is.Null);

        sandbox.Approve(id);
        var token = sandbox.FindSharedPaymentToken(id)!;

        Assert.That(token.Id, Does.StartWith("spt_"));
        Assert.That(token.NetworkId, Is.EqualTo("net_sandbox"));
        Assert.That(token.Amount, Is.EqualTo(100));
        Assert.That(token.ValidUntil, Is.EqualTo(Time.GetUtcNow() + new LinkSandboxOptions().CardValidity));
        Assert.That(sandbox.RedeemSharedPaymentToken(token.Id, "net_sandbox", 100, "usd").Accepted, Is.True);
        Assert.That(sandbox.RedeemSharedPaymentToken(token.Id, "net_sandbox", 100, "usd").DeclineCode, Is.EqualTo(SharedPaymentTokenDeclineCodes.AlreadyUsed));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.Succeeded));
    }

    [Test]
    public void A_token_past_its_validity_is_refused()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Auto);
        var id = sandbox.Create(TestData.SharedPaymentToken()).Id;
        var token = sandbox.FindSharedPaymentToken(id)!;

        Time.Advance(new LinkSandboxOptions().CardValidity + TimeSpan.FromMinutes(1));

        Assert.That(sandbox.RedeemSharedPaymentToken(token.Id, "net_sandbox", 100, "usd").DeclineCode, Is.EqualTo(SharedPaymentTokenDeclineCodes.Expired));
    }

    [Test]
    public void A_token_of_a_canceled_request_is_refused()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Auto);
        var id = sandbox.Create(TestData.SharedPaymentToken()).Id;
        var token = sandbox.FindSharedPaymentToken(id)!;
        sandbox.Cancel(id);

        Assert.That(sandbox.RedeemSharedPaymentToken(token.Id, "net_sandbox", 100, "usd").DeclineCode, Is.EqualTo(SharedPaymentTokenDeclineCodes.Canceled));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.Canceled));
    }

    [Test]
    public void Report_stores_the_observation_and_refuses_an_unknown_spend_request()
    {
        var sandbox = Sandbox();
        var id = sandbox.Create(TestData.Card()).Id;

        var receipt = sandbox.Report(new AgentObservation { Domain = "shop.example", Outcome = "success", SpendRequestId = id });
        var ex = Assert.Throws<LinkException>(() => sandbox.Report(new AgentObservation { Domain = "shop.example", Outcome = "success", SpendRequestId = "lsrq_nope" }));

        Assert.That(receipt.SpendRequestId, Is.EqualTo(id));
        Assert.That(receipt.ObjectType, Is.EqualTo("agent_observation"));
        Assert.That(ex!.Code, Is.EqualTo(LinkErrorCodes.NotFound));
        Assert.That(sandbox.Observations, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_declined_authorization_records_no_transaction_an_approved_one_does()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Auto);
        var id = sandbox.Create(TestData.Card(amount: 2500)).Id;
        var card = sandbox.FindIssuedCard(id)!;

        sandbox.Authorize(card.Number, "000", card.ExpMonth, card.ExpYear, TestData.MerchantUrl, 2500, "usd");
        Assert.That(sandbox.ListTransactions(new TransactionQuery()).Items, Is.Empty);

        sandbox.Authorize(card.Number, card.Cvc, card.ExpMonth, card.ExpYear, TestData.MerchantUrl, 2000, "usd");
        var transaction = sandbox.ListTransactions(new TransactionQuery()).Items.Single();
        Assert.That(transaction.Amount, Is.EqualTo(2000));
        Assert.That(transaction.CreatedDate, Is.EqualTo("2026-05-01T12:00:00Z"));
        Assert.That(transaction.Status, Is.EqualTo("succeeded"));
    }

    [Test]
    public void Refresh_rotates_minted_refresh_tokens_and_keeps_the_configured_one()
    {
        var auth = Sandbox().Auth;

        var first = auth.Refresh(LinkSandboxOptions.DefaultRefreshToken)!;
        var second = auth.Refresh(first.RefreshToken);

        Assert.That(auth.IsValidAccessToken(first.AccessToken), Is.True);
        Assert.That(second, Is.Not.Null);
        Assert.That(auth.Refresh(first.RefreshToken), Is.Null);
        Assert.That(auth.Refresh(LinkSandboxOptions.DefaultRefreshToken), Is.Not.Null);
        Assert.That(auth.IsValidAccessToken("nope"), Is.False);
        Assert.That(first.ToString(), Does.Not.Contain(first.AccessToken));
    }

    [Test]
    public async Task The_client_exposes_login_addresses_and_user_info()
    {
        var client = new SandboxLinkClient(Sandbox());

        var status = await client.GetAuthStatusAsync(CancellationToken.None);
        var addresses = await client.ListShippingAddressesAsync(CancellationToken.None);
        var user = await client.GetUserInfoAsync(CancellationToken.None);

        Assert.That(status.Authenticated, Is.True);
        Assert.That(addresses.Single(a => a.IsDefault).Address.Locality, Is.EqualTo("San Francisco"));
        Assert.That(user.Email, Is.EqualTo("jane.doe@example.com"));
    }

    [Test]
    public async Task The_client_requests_approval_and_returns_the_approval_link()
    {
        var sandbox = Sandbox();
        var client = new SandboxLinkClient(sandbox);
        var created = await client.CreateSpendRequestAsync(TestData.Card(requestApproval: false), CancellationToken.None);

        var link = await client.RequestApprovalAsync(created.Id, CancellationToken.None);

        Assert.That(link.Id, Is.EqualTo(created.Id));
        Assert.That(link.Link, Does.EndWith(created.Id));
        Assert.That(sandbox.Get(created.Id).Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
    }

    [Test]
    public async Task The_client_validates_updates_with_links_cap_even_when_the_sandbox_allows_more()
    {
        var sandbox = Sandbox(maxAmount: 100_000);
        var client = new SandboxLinkClient(sandbox);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);

        var ex = Assert.ThrowsAsync<LinkException>(() => client.UpdateSpendRequestAsync(created.Id, new SpendRequestUpdate { Amount = 60_000 }, CancellationToken.None));

        Assert.That(ex!.Field, Is.EqualTo("amount"));
        Assert.That(sandbox.Get(created.Id).Amount, Is.EqualTo(2500));
    }

    [Test]
    public async Task The_client_lists_reports_and_reads_transactions()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Auto);
        var client = new SandboxLinkClient(sandbox);
        var created = await client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        var card = sandbox.FindIssuedCard(created.Id)!;
        sandbox.Authorize(card.Number, card.Cvc, card.ExpMonth, card.ExpYear, TestData.MerchantUrl, 2500, "usd");

        var open = await client.ListSpendRequestsAsync(includeHistory: false, CancellationToken.None);
        var all = await client.ListSpendRequestsAsync(includeHistory: true, CancellationToken.None);
        await client.ReportAsync(new AgentObservation { Domain = "shop.example", Outcome = "success", SpendRequestId = created.Id }, CancellationToken.None);
        var transactions = await client.ListTransactionsAsync(new TransactionQuery { Limit = 5 }, CancellationToken.None);

        Assert.That(open, Is.Empty);
        Assert.That(all.Single().Status, Is.EqualTo(SpendRequestStatus.Succeeded));
        Assert.That(sandbox.Observations.Single().Outcome, Is.EqualTo("success"));
        Assert.That(transactions.Items.Single().Amount, Is.EqualTo(2500));
    }

    [Test]
    public async Task WaitForApproval_of_a_token_request_returns_the_token_id_and_writes_no_file()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Auto);
        var client = new SandboxLinkClient(sandbox);
        var created = await client.CreateSpendRequestAsync(TestData.SharedPaymentToken(), CancellationToken.None);
        var path = Dir.File("card.json");

        var approved = await client.WaitForApprovalAsync(created.Id, path, TimeSpan.FromSeconds(2), Time.GetUtcNow().AddMinutes(1), CancellationToken.None);

        Assert.That(approved.SharedPaymentToken, Is.EqualTo(sandbox.FindSharedPaymentToken(created.Id)!.Id));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void PayMpp_refuses_a_card_request()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Auto);
        var client = new SandboxLinkClient(sandbox);
        var id = sandbox.Create(TestData.Card()).Id;

        var ex = Assert.ThrowsAsync<LinkException>(() => client.PayMppAsync(
            new MppPaymentRequest { Url = new Uri("http://127.0.0.1:9/"), SpendRequestId = id }, CancellationToken.None));

        Assert.That(ex!.Code, Is.EqualTo(LinkErrorCodes.InvalidState));
    }
}
