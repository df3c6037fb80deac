using CheckoutAgent.Link;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Tests.LinkClient;

public class LinkSandboxTests
{
    private ManualTimeProvider _time = null!;

    [SetUp]
    public void SetUp() => _time = new ManualTimeProvider();

    private LinkSandbox Sandbox(SandboxApprovalMode mode = SandboxApprovalMode.Auto) =>
        new(new LinkSandboxOptions { Approval = mode }, _time);

    [Test]
    public void Create_without_approval_leaves_the_request_created_with_an_lsrq_id()
    {
        var sandbox = Sandbox();

        var request = sandbox.Create(TestData.Card(requestApproval: false));

        Assert.That(request.Id, Does.Match("^lsrq_[0-9A-Za-z]{24}$"));
        Assert.That(request.Status, Is.EqualTo(SpendRequestStatus.Created));
        Assert.That(request.CardLast4, Is.Null);
        Assert.That(request.ExpiresAt, Is.EqualTo(_time.GetUtcNow() + TimeSpan.FromMinutes(30)));
        Assert.That(sandbox.SpendRequestCount, Is.EqualTo(1));
        Assert.That(sandbox.IssuedCards, Is.Empty);
    }

    [Test]
    public void Auto_mode_approves_at_once_and_issues_a_visa_card()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Auto);

        var request = sandbox.Create(TestData.Card());

        Assert.That(request.Status, Is.EqualTo(SpendRequestStatus.Approved));
        var card = sandbox.IssuedCards.Single();
        Assert.That(card.SpendRequestId, Is.EqualTo(request.Id));
        Assert.That(request.CardBrand, Is.EqualTo("visa"));
        Assert.That(request.CardLast4, Is.EqualTo(card.Last4));
        Assert.That(sandbox.Get(request.Id).Status, Is.EqualTo(SpendRequestStatus.Approved));
    }

    [Test]
    public void Deny_mode_denies_at_once_and_issues_no_card()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Deny);

        var request = sandbox.Create(TestData.Card());

        Assert.That(request.Status, Is.EqualTo(SpendRequestStatus.Denied));
        Assert.That(sandbox.IssuedCards, Is.Empty);
    }

    [Test]
    public void Never_mode_stays_pending_until_the_approval_window_ends_then_expires()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Never);
        var id = sandbox.Create(TestData.Card()).Id;

        _time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.PendingApproval));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.Expired));
        Assert.That(sandbox.IssuedCards, Is.Empty);
    }

    [Test]
    public void The_approval_window_is_configurable()
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions { Approval = SandboxApprovalMode.Never, ApprovalWindow = TimeSpan.FromMinutes(2) }, _time);
        var id = sandbox.Create(TestData.Card()).Id;

        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.Expired));
    }

    [Test]
    public void RequestApproval_on_a_created_request_applies_the_approval_mode()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Auto);
        var id = sandbox.Create(TestData.Card(requestApproval: false)).Id;

        var request = sandbox.RequestApproval(id);

        Assert.That(request.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(sandbox.IssuedCards, Has.Count.EqualTo(1));
    }

    [Test]
    public void RequestApproval_gives_the_person_the_whole_window_from_the_moment_they_are_asked()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Never);
        var id = sandbox.Create(TestData.Card(requestApproval: false)).Id;
        _time.Advance(TimeSpan.FromMinutes(20));

        sandbox.RequestApproval(id);
        _time.Advance(TimeSpan.FromMinutes(20));

        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
    }

    [Test]
    public void Manual_Approve_issues_the_card_and_manual_Deny_denies()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Never);
        var approved = sandbox.Create(TestData.Card()).Id;
        var denied = sandbox.Create(TestData.Card()).Id;

        Assert.That(sandbox.Approve(approved).Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(sandbox.Deny(denied).Status, Is.EqualTo(SpendRequestStatus.Denied));
        Assert.That(sandbox.IssuedCards.Single().SpendRequestId, Is.EqualTo(approved));
    }

    [Test]
    public void Approve_after_expiry_is_refused_with_INVALID_STATE()
    {
        var sandbox = Sandbox(SandboxApprovalMode.Never);
        var id = sandbox.Create(TestData.Card()).Id;
        _time.Advance(TimeSpan.FromHours(1));

        var ex = Assert.Throws<LinkException>(() => sandbox.Approve(id));

        Assert.That(ex.Code, Is.EqualTo("INVALID_STATE"));
        Assert.That(ex.Message, Does.Contain("expired"));
        Assert.That(sandbox.IssuedCards, Is.Empty);
    }

    [TestCase(SpendRequestStatus.Created)]
    [TestCase(SpendRequestStatus.PendingApproval)]
    [TestCase(SpendRequestStatus.Approved)]
    public void Cancel_is_allowed_from_each_open_state(SpendRequestStatus from)
    {
        var sandbox = Sandbox(SandboxApprovalMode.Never);
        var id = sandbox.Create(TestData.Card(requestApproval: from != SpendRequestStatus.Created)).Id;
        if (from == SpendRequestStatus.Approved)
        {
            sandbox.Approve(id);
        }
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(from));

        var request = sandbox.Cancel(id);

        Assert.That(request.Status, Is.EqualTo(SpendRequestStatus.Canceled));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(SpendRequestStatus.Canceled));
    }

    [TestCase(SpendRequestStatus.Denied)]
    [TestCase(SpendRequestStatus.Expired)]
    [TestCase(SpendRequestStatus.Succeeded)]
    [TestCase(SpendRequestStatus.Canceled)]
    public void Cancel_is_refused_from_terminal_states_with_INVALID_STATE(SpendRequestStatus from)
    {
        var sandbox = Sandbox(SandboxApprovalMode.Never);
        var id = sandbox.Create(TestData.Card()).Id;
        switch (from)
        {
            case SpendRequestStatus.Denied:
                sandbox.Deny(id);
                break;
            case SpendRequestStatus.Expired:
                _time.Advance(TimeSpan.FromHours(1));
                break;
            case SpendRequestStatus.Succeeded:
                sandbox.Approve(id);
                var card = sandbox.IssuedCards.Single();
                Assert.That(sandbox.Authorize(card.Number, card.Cvc, card.ExpMonth, card.ExpYear, TestData.MerchantUrl, 2500, "usd").Approved, Is.True);
                break;
            case SpendRequestStatus.Canceled:
                sandbox.Cancel(id);
                break;
        }
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(from));

        var ex = Assert.Throws<LinkException>(() => sandbox.Cancel(id));

        Assert.That(ex.Code, Is.EqualTo("INVALID_STATE"));
        Assert.That(ex.Message, Does.Contain(from.ToWire()).And.Contain("created, pending_approval, approved"));
        Assert.That(sandbox.Get(id).Status, Is.EqualTo(from));
    }

    [Test]
    public void Get_of_an_unknown_id_is_NOT_FOUND()
    {
        var ex = Assert.Throws<LinkException>(() => Sandbox().Get("lsrq_nope"));

        Assert.That(ex.Code, Is.EqualTo("NOT_FOUND"));
    }

    [Test]
    public void Invalid_input_is_refused_server_side_and_creates_nothing()
    {
        var sandbox = Sandbox();

        var ex = Assert.Throws<LinkException>(() => sandbox.Create(TestData.Card(amount: 50001)));

        Assert.That(ex.Code, Is.EqualTo("INVALID_REQUEST"));
        Assert.That(ex.Field, Is.EqualTo("amount"));
        Assert.That(sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    public void The_servers_own_cap_applies()
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions { MaxAmount = 1000 }, _time);

        var ex = Assert.Throws<LinkException>(() => sandbox.Create(TestData.Card(amount: 1001)));

        Assert.That(ex.Field, Is.EqualTo("amount"));
        Assert.That(sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    public void An_unknown_payment_method_is_refused_and_creates_nothing()
    {
        var sandbox = Sandbox();
        var options = TestData.Card();

        var ex = Assert.Throws<LinkException>(() => sandbox.Create(new SpendRequestCreateOptions
        {
            PaymentMethodId = "csmrpd_missing",
            Amount = options.Amount,
            MerchantName = options.MerchantName,
            MerchantUrl = options.MerchantUrl,
            Context = options.Context,
        }));

        Assert.That(ex.Code, Is.EqualTo("INVALID_REQUEST"));
        Assert.That(ex.Field, Is.EqualTo("payment_details"));
        Assert.That(sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    public void The_wallet_has_the_sandbox_visa_as_its_default()
    {
        var methods = Sandbox().ListPaymentMethods();

        Assert.That(methods, Has.Count.GreaterThanOrEqualTo(2));
        Assert.That(methods.Single(m => m.IsDefault).Id, Is.EqualTo("csmrpd_sandbox_visa"));
    }

    [Test]
    public void Each_issued_card_is_a_luhn_valid_16_digit_visa_and_different_per_request()
    {
        var sandbox = Sandbox();
        for (var i = 0; i < 50; i++)
        {
            sandbox.Create(TestData.Card());
        }

        var cards = sandbox.IssuedCards;

        Assert.That(cards, Has.Count.EqualTo(50));
        foreach (var card in cards)
        {
            Assert.That(card.Number, Has.Length.EqualTo(16).And.StartsWith("4"));
            Assert.That(Luhn.IsValid(card.Number), Is.True, $"{card} fails the Luhn check");
            Assert.That(card.Cvc, Does.Match("^[0-9]{3}$"));
            Assert.That(card.Number, Is.Not.EqualTo("4242424242424242"));
        }
        Assert.That(cards.Select(c => c.Number), Is.Unique);
    }

    [Test]
    public void An_issued_card_expires_two_to_three_years_out_and_is_valid_for_the_configured_time_after_approval()
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions { CardValidity = TimeSpan.FromMinutes(10) }, _time);
        var now = _time.GetUtcNow();

        var request = sandbox.Create(TestData.Card(amount: 1234));

        var card = sandbox.IssuedCards.Single();
        var expiry = new DateTimeOffset(card.ExpYear, card.ExpMonth, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.That(expiry, Is.GreaterThanOrEqualTo(now.AddMonths(23)).And.LessThanOrEqualTo(now.AddMonths(37)));
        Assert.That(card.ValidUntil, Is.EqualTo(now + TimeSpan.FromMinutes(10)));
        Assert.That(card.Brand, Is.EqualTo("visa"));
        Assert.That(card.BillingAddress.Name, Is.EqualTo("Jane Doe"));
        Assert.That(card.MerchantUrl, Is.EqualTo(request.MerchantUrl));
        Assert.That(card.Amount, Is.EqualTo(1234));
        Assert.That(card.Currency, Is.EqualTo("usd"));
    }

    [Test]
    public void An_issued_card_prints_masked()
    {
        var sandbox = Sandbox();
        sandbox.Create(TestData.Card());
        var card = sandbox.IssuedCards.Single();

        Assert.That(card.ToString(), Does.Not.Contain(card.Number).And.Not.Contain(card.Number[..6]).And.Contain(card.Last4));
    }

    [Test]
    public void A_shared_payment_token_request_is_approved_without_a_card()
    {
        var sandbox = Sandbox();

        var request = sandbox.Create(TestData.SharedPaymentToken());

        Assert.That(request.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(request.CardLast4, Is.Null);
        Assert.That(sandbox.IssuedCards, Is.Empty);
    }

    [Test]
    public void Concurrent_creates_all_land_with_distinct_ids_and_cards()
    {
        var sandbox = Sandbox();

        var ids = Enumerable.Range(0, 200).AsParallel().Select(_ => sandbox.Create(TestData.Card()).Id).ToList();

        Assert.That(ids, Is.Unique);
        Assert.That(sandbox.SpendRequestCount, Is.EqualTo(200));
        Assert.That(sandbox.IssuedCards.Select(c => c.Number), Is.Unique);
    }
}
