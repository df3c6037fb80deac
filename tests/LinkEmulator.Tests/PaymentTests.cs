using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Tests.LinkEmulator;

/// <summary>Using credentials: one-time cards at the issuer endpoint, Shared Payment Tokens at the demo 402 resource,
/// the transactions they leave, and the logs they must not leave card data in.</summary>
public class PaymentTests : EmulatorTest
{
    private async Task<SandboxIssuedCard> ApprovedCardAsync(long amount = 2500)
    {
        var id = await CreateAsync(CardBody(amount));
        await ApproveAsync(id);
        var (_, json) = await GetAsync($"/spend_requests/{id}?include=card");
        Assert.That((string?)json!["card"]!["number"], Is.Not.Null);
        return Server.Sandbox.FindIssuedCard(id)!;
    }

    private async Task<JsonNode> AuthorizeAsync(SandboxIssuedCard card, string merchantUrl = MerchantUrl + "/checkout", long amount = 2500)
    {
        var body = new JsonObject
        {
            ["number"] = card.Number,
            ["cvc"] = card.Cvc,
            ["exp_month"] = card.ExpMonth,
            ["exp_year"] = card.ExpYear,
            ["merchant_url"] = merchantUrl,
            ["amount"] = amount,
            ["currency"] = "usd",
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(Root("_sandbox/authorize"), content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await ReadJsonAsync(response))!;
    }

    /// <summary>The MPP exchange on the wire: probe, read the challenge, answer it with <paramref name="token"/>.</summary>
    private async Task<(HttpStatusCode Status, JsonNode? Json)> PayWithAsync(string token, long price)
    {
        using var anonymous = new HttpClient();
        using var probe = await anonymous.GetAsync(Server.DemoPaymentUrl(price));
        Assert.That(probe.StatusCode, Is.EqualTo(HttpStatusCode.PaymentRequired));
        var challenge = MppChallenge.Decode(probe.Headers.WwwAuthenticate.ToString());
        using var paid = new HttpRequestMessage(HttpMethod.Get, Server.DemoPaymentUrl(price));
        paid.Headers.TryAddWithoutValidation("Authorization", challenge.CreateCredential(token));
        using var response = await anonymous.SendAsync(paid);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    [Test]
    public async Task A_card_authorizes_once_then_is_declined_as_used()
    {
        var card = await ApprovedCardAsync();

        var first = await AuthorizeAsync(card);
        var second = await AuthorizeAsync(card);

        Assert.That((bool?)first["approved"], Is.True);
        Assert.That((string?)first["authorization_id"], Does.StartWith("auth_"));
        Assert.That((bool?)second["approved"], Is.False);
        Assert.That((string?)second["decline_code"], Is.EqualTo(PaymentDeclineCodes.CardAlreadyUsed));
        Assert.That((string?)(await GetAsync($"/spend_requests/{card.SpendRequestId}")).Json!["status"], Is.EqualTo("succeeded"));
    }

    [Test]
    public async Task A_card_is_declined_at_another_merchant_and_stays_usable_at_its_own()
    {
        var card = await ApprovedCardAsync();

        var elsewhere = await AuthorizeAsync(card, "https://evil.example/checkout");
        var home = await AuthorizeAsync(card);

        Assert.That((string?)elsewhere["decline_code"], Is.EqualTo(PaymentDeclineCodes.MerchantMismatch));
        Assert.That((bool?)home["approved"], Is.True);
    }

    [Test]
    public async Task A_card_charge_over_the_approved_amount_is_declined()
    {
        var card = await ApprovedCardAsync(amount: 2500);

        var result = await AuthorizeAsync(card, amount: 2501);

        Assert.That((string?)result["decline_code"], Is.EqualTo(PaymentDeclineCodes.AmountExceeded));
    }

    [Test]
    public async Task An_authorize_body_missing_a_field_is_refused_naming_it()
    {
        using var content = new StringContent("{\"number\":\"4242424242424242\",\"cvc\":\"123\",\"exp_month\":1,\"exp_year\":2030,\"amount\":1,\"currency\":\"usd\"}", Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(Root("_sandbox/authorize"), content);
        var json = await ReadJsonAsync(response);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"]!["field"], Is.EqualTo("merchant_url"));
        Assert.That(json.ToJsonString(), Does.Not.Contain("4242424242424242"));
    }

    [Test]
    public async Task An_approved_card_payment_is_recorded_as_a_transaction()
    {
        var card = await ApprovedCardAsync(amount: 2500);
        await AuthorizeAsync(card, amount: 2400);

        var (status, json) = await GetAsync("/transactions");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var transaction = json!["data"]!.AsArray().Single()!;
        Assert.That((long?)transaction["amount"], Is.EqualTo(2400));
        Assert.That((string?)transaction["description"], Is.EqualTo("Shop Example"));
        Assert.That((string?)transaction["source_id"], Is.EqualTo(LinkSandboxOptions.DefaultPaymentMethodId));
        Assert.That((bool?)json["has_more"], Is.False);
    }

    [Test]
    public async Task Transactions_page_newest_first_with_limit_and_starting_after()
    {
        for (var i = 1; i <= 3; i++)
        {
            var card = await ApprovedCardAsync(amount: i * 100);
            await AuthorizeAsync(card, amount: i * 100);
        }

        var (_, first) = await GetAsync("/transactions?limit=2");
        var last = (string)first!["data"]![1]!["id"]!;
        var (_, second) = await GetAsync("/transactions?limit=2&starting_after=" + last);

        Assert.That(first["data"]!.AsArray().Select(t => (long?)t!["amount"]), Is.EqualTo(new long?[] { 300, 200 }));
        Assert.That((bool?)first["has_more"], Is.True);
        Assert.That(second!["data"]!.AsArray().Select(t => (long?)t!["amount"]), Is.EqualTo(new long?[] { 100 }));
        Assert.That((bool?)second["has_more"], Is.False);
    }

    [TestCase("limit=0", "limit")]
    [TestCase("limit=abc", "limit")]
    [TestCase("date_start=yesterday", "date_start")]
    [TestCase("origin=mars", "origin")]
    [TestCase("starting_after=txn_nope", "starting_after")]
    public async Task Bad_transaction_queries_are_refused_naming_the_parameter(string query, string field)
    {
        var (status, json) = await GetAsync("/transactions?" + query);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"]!["field"], Is.EqualTo(field));
    }

    [Test]
    public async Task Transactions_filter_by_date_and_source()
    {
        var card = await ApprovedCardAsync();
        await AuthorizeAsync(card);

        var (_, today) = await GetAsync("/transactions?date_start=2026-05-01&date_end=2026-05-01");
        var (_, tomorrow) = await GetAsync("/transactions?date_start=2026-05-02");
        var (_, otherSource) = await GetAsync("/transactions?sources[]=csmrpd_sandbox_mastercard");

        Assert.That(today!["data"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That(tomorrow!["data"]!.AsArray(), Is.Empty);
        Assert.That(otherSource!["data"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task The_demo_resource_answers_402_with_a_payment_challenge_for_its_price()
    {
        using var response = await Http.GetAsync(Server.DemoPaymentUrl(500));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PaymentRequired));
        var challenge = MppChallenge.Decode(response.Headers.WwwAuthenticate.ToString());
        Assert.That(challenge.Amount, Is.EqualTo("500"));
        Assert.That(challenge.Currency, Is.EqualTo("usd"));
        Assert.That(challenge.NetworkId, Is.EqualTo(LinkEmulatorServer.DemoNetworkId));
        Assert.That(challenge.Method, Is.EqualTo("stripe"));
        Assert.That(challenge.Intent, Is.EqualTo("charge"));
        Assert.That((string?)(await ReadJsonAsync(response))!["error"]!["code"], Is.EqualTo(ApiErrorCodes.PaymentRequired));
    }

    [Test]
    public async Task The_token_is_returned_only_with_include_shared_payment_token()
    {
        var id = await CreateAsync(TokenBody());
        await ApproveAsync(id);

        var (_, plain) = await GetAsync($"/spend_requests/{id}");
        var (_, withCard) = await GetAsync($"/spend_requests/{id}?include=card");
        var (_, withToken) = await GetAsync($"/spend_requests/{id}?include=shared_payment_token");

        Assert.That(plain!["shared_payment_token"], Is.Null);
        Assert.That(withCard!["shared_payment_token"], Is.Null);
        Assert.That(withCard["card"], Is.Null, "a token request has no card");
        Assert.That((string?)withToken!["shared_payment_token"]!["id"], Does.Match("^spt_[0-9A-Za-z]{32}$"));
        Assert.That((string?)withToken["network_id"], Is.EqualTo(LinkEmulatorServer.DemoNetworkId));
    }

    [Test]
    public async Task Mpp_pay_flow_challenge_token_paid_then_the_same_token_is_refused()
    {
        var (id, token) = await ApprovedTokenAsync(TokenBody(amount: 500));

        var paid = await PayWithAsync(token, 500);
        var replay = await PayWithAsync(token, 500);

        Assert.That(paid.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((bool?)paid.Json!["paid"], Is.True);
        Assert.That((string?)paid.Json["spend_request_id"], Is.EqualTo(id));
        Assert.That(replay.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((string?)replay.Json!["error"]!["code"], Is.EqualTo(SharedPaymentTokenDeclineCodes.AlreadyUsed));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("succeeded"));
        Assert.That((await GetAsync("/transactions")).Json!["data"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_token_for_less_than_the_price_is_refused_and_is_then_dead()
    {
        var (id, token) = await ApprovedTokenAsync(TokenBody(amount: 400));

        var tooDear = await PayWithAsync(token, 500);
        var cheaper = await PayWithAsync(token, 400);

        Assert.That((string?)tooDear.Json!["error"]!["code"], Is.EqualTo(SharedPaymentTokenDeclineCodes.AmountExceeded));
        Assert.That((string?)cheaper.Json!["error"]!["code"], Is.EqualTo(SharedPaymentTokenDeclineCodes.AlreadyUsed));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("failed"));
    }

    [Test]
    public async Task A_token_minted_for_another_network_is_refused()
    {
        var (id, token) = await ApprovedTokenAsync(TokenBody(networkId: "net_other"));

        var result = await PayWithAsync(token, 500);

        Assert.That(result.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((string?)result.Json!["error"]!["code"], Is.EqualTo(SharedPaymentTokenDeclineCodes.NetworkMismatch));
    }

    [TestCase("Payment not-base64-json")]
    [TestCase("Payment eyJjaGFsbGVuZ2UiOnsiaWQiOiJjaF9ub3BlIn0sInBheWxvYWQiOnsic3B0Ijoic3B0X3gifX0")]
    public async Task A_credential_that_answers_no_live_challenge_gets_a_new_402(string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.DemoPaymentUrl(500));
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var anonymous = new HttpClient();

        using var response = await anonymous.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PaymentRequired));
        Assert.That((string?)(await ReadJsonAsync(response))!["error"]!["code"], Is.EqualTo(ApiErrorCodes.InvalidCredential));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Payment "));
    }

    [Test]
    public async Task SandboxLinkClient_pays_the_demo_resource_over_http_and_a_second_pay_is_refused()
    {
        var client = new SandboxLinkClient(Server.Sandbox);
        var id = await CreateAsync(TokenBody(amount: 500));
        await ApproveAsync(id);
        var request = new MppPaymentRequest { Url = Server.DemoPaymentUrl(500), SpendRequestId = id };

        var paid = await client.PayMppAsync(request, CancellationToken.None);

        Assert.That(paid.Status, Is.EqualTo(200), paid.Body);
        Assert.That(paid.Headers["content-type"], Does.StartWith("application/json"));
        Assert.That(JsonNode.Parse(paid.Body)!["paid"]!.GetValue<bool>(), Is.True);
        var again = Assert.ThrowsAsync<LinkException>(() => client.PayMppAsync(request, CancellationToken.None));
        Assert.That(again!.Code, Is.EqualTo(LinkErrorCodes.InvalidState));
    }

    [Test]
    public async Task SandboxLinkClient_refuses_a_challenge_above_the_approved_amount_without_sending_the_token()
    {
        var client = new SandboxLinkClient(Server.Sandbox);
        var id = await CreateAsync(TokenBody(amount: 400));
        await ApproveAsync(id);

        var ex = Assert.ThrowsAsync<LinkException>(() => client.PayMppAsync(
            new MppPaymentRequest { Url = Server.DemoPaymentUrl(500), SpendRequestId = id }, CancellationToken.None));

        Assert.That(ex!.Code, Is.EqualTo(LinkErrorCodes.InvalidChallenge));
        Assert.That(ex.Message, Does.Contain("500").And.Contain("400"));
        Assert.That(Server.Sandbox.FindSharedPaymentToken(id)!.Used, Is.False);
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("approved"));
    }

    [Test]
    public async Task SandboxLinkClient_returns_a_non_402_answer_as_it_is()
    {
        var client = new SandboxLinkClient(Server.Sandbox);
        var id = await CreateAsync(TokenBody());
        await ApproveAsync(id);

        var result = await client.PayMppAsync(new MppPaymentRequest { Url = Root("payment-details"), SpendRequestId = id }, CancellationToken.None);

        Assert.That(result.Status, Is.EqualTo(401), "the API answered for itself; nothing was paid");
        Assert.That(Server.Sandbox.FindSharedPaymentToken(id)!.Used, Is.False);
    }

    [Test]
    public async Task No_card_number_or_cvc_reaches_the_emulators_log_on_any_path()
    {
        var card = await ApprovedCardAsync();
        await GetAsync($"/spend_requests/{card.SpendRequestId}?include=card");
        await AuthorizeAsync(card, "https://evil.example");
        await AuthorizeAsync(card);
        await AuthorizeAsync(card);
        await PostRawAsync("/spend_requests", "{\"amount\":\"" + card.Number + "\"}");
        using (var content = new StringContent("{\"number\":" + card.Number + "}", Encoding.UTF8, "application/json"))
        using (await Http.PostAsync(Root("_sandbox/authorize"), content))
        {
        }

        var logs = Logs.All;
        Assert.That(logs, Does.Contain("Spend request " + card.SpendRequestId), "the log captured the flow");
        Assert.That(logs, Does.Not.Contain(card.Number));
        Assert.That(logs, Does.Not.Contain("cvc\":\"" + card.Cvc));
        Assert.That(logs, Does.Not.Contain(LinkSandboxOptions.DefaultAccessToken));
    }
}
