using CheckoutAgent.Link;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Tests.LinkClient;

public class AuthorizationTests
{
    private ManualTimeProvider _time = null!;
    private LinkSandbox _sandbox = null!;
    private string _id = null!;
    private SandboxIssuedCard _card = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        _sandbox = new LinkSandbox(new LinkSandboxOptions(), _time);
        _id = _sandbox.Create(TestData.Card(amount: 2500)).Id;
        _card = _sandbox.IssuedCards.Single();
    }

    private PaymentAuthorizationResult Pay(
        long amount = 2500, string currency = "usd", string merchantUrl = TestData.MerchantUrl,
        string? number = null, string? cvc = null, int? expMonth = null, int? expYear = null) =>
        _sandbox.Authorize(number ?? _card.Number, cvc ?? _card.Cvc, expMonth ?? _card.ExpMonth, expYear ?? _card.ExpYear, merchantUrl, amount, currency);

    private void AssertDeclined(PaymentAuthorizationResult result, string code)
    {
        Assert.That(result.Approved, Is.False);
        Assert.That(result.DeclineCode, Is.EqualTo(code));
        Assert.That(result.AuthorizationId, Is.Null);
        Assert.That(result.Message, Does.Not.Contain(_card.Number).And.Not.Contain(_card.Last4));
        Assert.That(result.ToString(), Does.Not.Contain(_card.Number));
    }

    [Test]
    public void The_exact_approved_amount_is_authorized_once_and_the_request_succeeds()
    {
        var result = Pay(amount: 2500);

        Assert.That(result.Approved, Is.True);
        Assert.That(result.DeclineCode, Is.Null);
        Assert.That(result.AuthorizationId, Does.StartWith("auth_"));
        Assert.That(_sandbox.Get(_id).Status, Is.EqualTo(SpendRequestStatus.Succeeded));
        Assert.That(_sandbox.AuthorizationCount, Is.EqualTo(1));
    }

    [Test]
    public void A_lower_amount_is_authorized()
    {
        Assert.That(Pay(amount: 1999).Approved, Is.True);
        Assert.That(_sandbox.AuthorizationCount, Is.EqualTo(1));
    }

    [Test]
    public void A_second_use_is_declined_as_already_used()
    {
        Assert.That(Pay().Approved, Is.True);

        AssertDeclined(Pay(amount: 1), PaymentDeclineCodes.CardAlreadyUsed);
        Assert.That(_sandbox.AuthorizationCount, Is.EqualTo(1));
        Assert.That(_sandbox.AuthorizationAttemptCount, Is.EqualTo(2));
    }

    [Test]
    public void A_declined_attempt_does_not_use_the_card_up()
    {
        AssertDeclined(Pay(cvc: WrongCvc()), PaymentDeclineCodes.IncorrectCvc);

        Assert.That(Pay().Approved, Is.True);
    }

    [TestCase("https://other.example/checkout")]
    [TestCase("http://shop.example/checkout")]
    [TestCase("https://shop.example:8443/checkout")]
    [TestCase("https://www.shop.example/checkout")]
    [TestCase("not a url")]
    public void Another_merchant_origin_is_declined(string merchantUrl)
    {
        AssertDeclined(Pay(merchantUrl: merchantUrl), PaymentDeclineCodes.MerchantMismatch);
        Assert.That(_sandbox.Get(_id).Status, Is.EqualTo(SpendRequestStatus.Approved));
    }

    [TestCase("https://shop.example/pay/confirm?step=2")]
    [TestCase("HTTPS://SHOP.EXAMPLE/")]
    [TestCase("https://shop.example:443")]
    public void The_same_origin_matches_whatever_the_path_case_or_default_port(string merchantUrl) =>
        Assert.That(Pay(merchantUrl: merchantUrl).Approved, Is.True);

    [Test]
    public void More_than_the_approved_amount_is_declined() =>
        AssertDeclined(Pay(amount: 2501), PaymentDeclineCodes.AmountExceeded);

    [Test]
    public void Another_currency_is_declined_even_for_a_smaller_amount() =>
        AssertDeclined(Pay(amount: 100, currency: "eur"), PaymentDeclineCodes.AmountExceeded);

    [Test]
    public void Currency_case_does_not_matter() =>
        Assert.That(Pay(currency: "USD").Approved, Is.True);

    [Test]
    public void A_zero_amount_is_declined() =>
        AssertDeclined(Pay(amount: 0), PaymentDeclineCodes.InvalidAmount);

    [Test]
    public void Past_valid_until_is_declined_as_expired()
    {
        _time.Advance(new LinkSandboxOptions().CardValidity);
        Assert.That(_sandbox.IssuedCards.Single().ValidUntil, Is.EqualTo(_time.GetUtcNow()));

        _time.Advance(TimeSpan.FromSeconds(1));

        AssertDeclined(Pay(), PaymentDeclineCodes.CardExpired);
    }

    [Test]
    public void A_wrong_expiry_date_is_declined_as_expired()
    {
        AssertDeclined(Pay(expMonth: _card.ExpMonth % 12 + 1), PaymentDeclineCodes.CardExpired);
        AssertDeclined(Pay(expYear: _card.ExpYear + 1), PaymentDeclineCodes.CardExpired);
    }

    [Test]
    public void A_two_digit_year_and_a_spaced_number_are_accepted_as_typed()
    {
        var spaced = string.Join(' ', _card.Number.Chunk(4).Select(c => new string(c)));

        Assert.That(Pay(number: spaced, expYear: _card.ExpYear % 100).Approved, Is.True);
    }

    [Test]
    public void A_wrong_cvc_is_declined() =>
        AssertDeclined(Pay(cvc: WrongCvc()), PaymentDeclineCodes.IncorrectCvc);

    [Test]
    public void A_canceled_request_kills_its_card()
    {
        _sandbox.Cancel(_id);

        AssertDeclined(Pay(), PaymentDeclineCodes.CardCanceled);
    }

    [Test]
    public void An_unknown_card_is_declined()
    {
        var other = Luhn.Generate("4", 16, new Random(7));
        Assume.That(other, Is.Not.EqualTo(_card.Number));

        AssertDeclined(Pay(number: other), PaymentDeclineCodes.UnknownCard);
    }

    [Test]
    public void Each_card_pays_only_for_its_own_request()
    {
        var secondId = _sandbox.Create(TestData.Card(amount: 500)).Id;
        var second = _sandbox.IssuedCards.Single(c => c.SpendRequestId == secondId);

        Assert.That(_sandbox.Authorize(second.Number, second.Cvc, second.ExpMonth, second.ExpYear, TestData.MerchantUrl, 500, "usd").Approved, Is.True);

        Assert.That(_sandbox.Get(secondId).Status, Is.EqualTo(SpendRequestStatus.Succeeded));
        Assert.That(_sandbox.Get(_id).Status, Is.EqualTo(SpendRequestStatus.Approved));
    }

    [Test]
    public void Concurrent_uses_of_one_card_approve_exactly_one()
    {
        var results = Enumerable.Range(0, 32).AsParallel().Select(_ => Pay()).ToList();

        Assert.That(results.Count(r => r.Approved), Is.EqualTo(1));
        Assert.That(results.Where(r => !r.Approved).Select(r => r.DeclineCode), Is.All.EqualTo(PaymentDeclineCodes.CardAlreadyUsed));
        Assert.That(_sandbox.AuthorizationCount, Is.EqualTo(1));
    }

    private string WrongCvc() => _card.Cvc == "000" ? "001" : "000";
}
