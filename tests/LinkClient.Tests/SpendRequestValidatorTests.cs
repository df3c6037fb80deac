using CheckoutAgent.Link;

namespace CheckoutAgent.Tests.LinkClient;

public class SpendRequestValidatorTests
{
    [Test]
    public void The_shared_test_context_is_long_enough() =>
        Assert.That(TestData.Context, Has.Length.GreaterThanOrEqualTo(100));

    [Test]
    public void A_complete_card_request_passes() =>
        Assert.That(() => SpendRequestValidator.Validate(TestData.Card()), Throws.Nothing);

    [Test]
    public void A_complete_shared_payment_token_request_passes() =>
        Assert.That(() => SpendRequestValidator.Validate(TestData.SharedPaymentToken()), Throws.Nothing);

    [TestCase("amount_1")]
    [TestCase("amount_50000")]
    [TestCase("context_exactly_100")]
    [TestCase("currency_upper_case")]
    [TestCase("unit_amount_zero")]
    [TestCase("http_merchant_url")]
    [TestCase("negative_total_amount")]
    [TestCase("no_line_items_or_totals")]
    public void Boundary_values_pass(string scenario) =>
        Assert.That(() => SpendRequestValidator.Validate(Build(scenario)), Throws.Nothing);

    [TestCase("amount_zero", "amount", "from 1 to 50000")]
    [TestCase("amount_negative", "amount", "from 1 to 50000")]
    [TestCase("amount_over_cap", "amount", "Link's cap, $500.00")]
    [TestCase("currency_two_letters", "currency", "exactly 3 ASCII letters")]
    [TestCase("currency_four_letters", "currency", "exactly 3 ASCII letters")]
    [TestCase("currency_with_digit", "currency", "exactly 3 ASCII letters")]
    [TestCase("currency_non_ascii", "currency", "exactly 3 ASCII letters")]
    [TestCase("context_99", "context", "at least 100 characters")]
    [TestCase("context_empty", "context", "at least 100 characters")]
    [TestCase("credential_type_unknown", "credential_type", "must be 'card' or 'shared_payment_token'")]
    [TestCase("card_without_merchant_name", "merchant_name", "required when credential_type is card")]
    [TestCase("card_blank_merchant_name", "merchant_name", "required when credential_type is card")]
    [TestCase("card_without_merchant_url", "merchant_url", "absolute http or https URL")]
    [TestCase("card_relative_merchant_url", "merchant_url", "absolute http or https URL")]
    [TestCase("card_ftp_merchant_url", "merchant_url", "absolute http or https URL")]
    [TestCase("card_with_network_id", "network_id", "only allowed when credential_type is shared_payment_token")]
    [TestCase("token_without_network_id", "network_id", "required when credential_type is shared_payment_token")]
    [TestCase("token_with_merchant_name", "merchant_name", "forbidden when credential_type is shared_payment_token")]
    [TestCase("token_with_merchant_url", "merchant_url", "forbidden when credential_type is shared_payment_token")]
    [TestCase("line_item_empty_name", "line_items[0].name", "must be non-empty")]
    [TestCase("second_line_item_blank_name", "line_items[1].name", "must be non-empty")]
    [TestCase("line_item_zero_quantity", "line_items[0].quantity", "must be at least 1")]
    [TestCase("line_item_negative_unit_amount", "line_items[0].unit_amount", "must be 0 or more")]
    [TestCase("total_unknown_type", "totals[0].type", "must be one of subtotal, tax, total")]
    [TestCase("total_empty_display_text", "totals[0].display_text", "must be non-empty")]
    public void Each_rule_fails_with_INVALID_REQUEST_naming_the_field_and_the_rule(string scenario, string field, string rule)
    {
        var ex = Assert.Throws<LinkException>(() => SpendRequestValidator.Validate(Build(scenario)));

        Assert.That(ex.Code, Is.EqualTo("INVALID_REQUEST"));
        Assert.That(ex.Field, Is.EqualTo(field));
        Assert.That(ex.Message, Does.StartWith(field + " ").And.Contain(rule));
    }

    [Test]
    public void The_amount_message_says_the_cap_and_what_was_given()
    {
        var ex = Assert.Throws<LinkException>(() => SpendRequestValidator.Validate(TestData.Card(amount: 60000)));

        Assert.That(ex.Message, Does.StartWith("amount must be an integer number of cents from 1 to 50000 (Link's cap, $500.00); got 60000"));
    }

    [Test]
    public void A_lower_server_cap_is_named_as_the_servers_own()
    {
        var ex = Assert.Throws<LinkException>(() => SpendRequestValidator.Validate(TestData.Card(amount: 2000), maxAmount: 1000));

        Assert.That(ex.Message, Does.Contain("from 1 to 1000 (this server's cap, $10.00); got 2000"));
    }

    private static SpendRequestCreateOptions Build(string scenario)
    {
        var card = TestData.Card();
        var token = TestData.SharedPaymentToken();
        return scenario switch
        {
            "amount_1" => TestData.Card(amount: 1),
            "amount_50000" => TestData.Card(amount: 50000),
            "context_exactly_100" => With(card, context: new string('x', 100)),
            "currency_upper_case" => With(card, currency: "EUR"),
            "unit_amount_zero" => With(card, lineItems: [new LineItem("Free sticker", 1, 0)]),
            "http_merchant_url" => TestData.Card(merchantUrl: "http://localhost:5080/"),
            "negative_total_amount" => With(card, totals: [new Total("discount", "Coupon", -500)]),
            "no_line_items_or_totals" => With(card, lineItems: [], totals: []),

            "amount_zero" => TestData.Card(amount: 0),
            "amount_negative" => TestData.Card(amount: -1),
            "amount_over_cap" => TestData.Card(amount: 50001),
            "currency_two_letters" => With(card, currency: "us"),
            "currency_four_letters" => With(card, currency: "usdd"),
            "currency_with_digit" => With(card, currency: "us1"),
            "currency_non_ascii" => With(card, currency: "usé"),
            "context_99" => With(card, context: new string('x', 99)),
            "context_empty" => With(card, context: ""),
            "credential_type_unknown" => With(card, credentialType: "bank_account"),
            "card_without_merchant_name" => With(card, merchantName: null),
            "card_blank_merchant_name" => With(card, merchantName: "  "),
            "card_without_merchant_url" => With(card, merchantUrl: null),
            "card_relative_merchant_url" => With(card, merchantUrl: "/checkout"),
            "card_ftp_merchant_url" => With(card, merchantUrl: "ftp://shop.example/"),
            "card_with_network_id" => With(card, networkId: "net_1"),
            "token_without_network_id" => With(token, networkId: null),
            "token_with_merchant_name" => With(token, merchantName: "Shop Example"),
            "token_with_merchant_url" => With(token, merchantUrl: TestData.MerchantUrl),
            "line_item_empty_name" => With(card, lineItems: [new LineItem("", 1, 100)]),
            "second_line_item_blank_name" => With(card, lineItems: [new LineItem("Widget", 1, 100), new LineItem(" ", 1, 100)]),
            "line_item_zero_quantity" => With(card, lineItems: [new LineItem("Widget", 0, 100)]),
            "line_item_negative_unit_amount" => With(card, lineItems: [new LineItem("Widget", 1, -1)]),
            "total_unknown_type" => With(card, totals: [new Total("grand_total", "Total", 100)]),
            "total_empty_display_text" => With(card, totals: [new Total("total", "", 100)]),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null),
        };
    }

    // SpendRequestCreateOptions is a class with init-only properties, so copy by hand; a missing argument keeps the
    // original value; for the nullable ones Optional tells "set to null" from "not given".
    private static SpendRequestCreateOptions With(
        SpendRequestCreateOptions o,
        string? currency = null,
        string? context = null,
        string? credentialType = null,
        Optional merchantName = default,
        Optional merchantUrl = default,
        Optional networkId = default,
        IReadOnlyList<LineItem>? lineItems = null,
        IReadOnlyList<Total>? totals = null) => new()
        {
            PaymentMethodId = o.PaymentMethodId,
            CredentialType = credentialType ?? o.CredentialType,
            Amount = o.Amount,
            Currency = currency ?? o.Currency,
            MerchantName = merchantName.Given ? merchantName.Value : o.MerchantName,
            MerchantUrl = merchantUrl.Given ? merchantUrl.Value : o.MerchantUrl,
            NetworkId = networkId.Given ? networkId.Value : o.NetworkId,
            Context = context ?? o.Context,
            LineItems = lineItems ?? o.LineItems,
            Totals = totals ?? o.Totals,
            RequestApproval = o.RequestApproval,
        };

    private readonly record struct Optional(bool Given, string? Value)
    {
        public static implicit operator Optional(string? value) => new(true, value);
    }
}
