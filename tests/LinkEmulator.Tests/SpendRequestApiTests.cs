using System.Net;
using System.Text.Json.Nodes;
using CheckoutAgent.Link.Emulator;

namespace CheckoutAgent.Tests.LinkEmulator;

/// <summary>The spend request state machine, validation and bad input, over HTTP, in the default manual mode.</summary>
public class SpendRequestApiTests : EmulatorTest
{
    [Test]
    public async Task Manual_mode_create_waits_for_the_person_then_approve_issues_a_card()
    {
        var id = await CreateAsync(CardBody());
        var (_, pending) = await GetAsync($"/spend_requests/{id}");
        Assert.That((string?)pending!["status"], Is.EqualTo("pending_approval"));
        Assert.That(pending["card_last4"], Is.Null);

        var approved = await ApproveAsync(id);

        Assert.That((string?)approved["status"], Is.EqualTo("approved"));
        Assert.That((string?)approved["card_brand"], Is.EqualTo("visa"));
        Assert.That((string?)approved["card_last4"], Does.Match("^[0-9]{4}$"));
        Assert.That(approved["card"], Is.Null, "approve answers without the card");
    }

    [Test]
    public async Task Create_without_request_approval_stays_created_until_request_approval()
    {
        var id = await CreateAsync(CardBody(requestApproval: false));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("created"));

        var (status, link) = await PostAsync($"/spend_requests/{id}/request_approval", null);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)link!["id"], Is.EqualTo(id));
        Assert.That((string?)link["approval_link"], Is.EqualTo(Server.ApprovalPageUrl(id).AbsoluteUri));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("pending_approval"));
    }

    [Test]
    public async Task Include_card_returns_the_full_card_only_when_asked()
    {
        var id = await CreateAsync(CardBody());
        await ApproveAsync(id);
        var issued = Server.Sandbox.FindIssuedCard(id)!;

        var (_, plain) = await GetAsync($"/spend_requests/{id}");
        var (_, token) = await GetAsync($"/spend_requests/{id}?include=shared_payment_token");
        var (_, withCard) = await GetAsync($"/spend_requests/{id}?include=card%2Cshared_payment_token");

        Assert.That(plain!.ToJsonString(), Does.Not.Contain(issued.Number));
        Assert.That(plain["card"], Is.Null);
        Assert.That(token!["card"], Is.Null);
        Assert.That((string?)withCard!["card"]!["number"], Is.EqualTo(issued.Number));
        Assert.That((string?)withCard["card"]!["cvc"], Is.EqualTo(issued.Cvc));
    }

    [Test]
    public async Task Include_card_before_approval_has_no_card()
    {
        var id = await CreateAsync(CardBody());

        var (_, json) = await GetAsync($"/spend_requests/{id}?include=card");

        Assert.That(json!["card"], Is.Null);
    }

    [Test]
    public async Task Deny_through_the_sandbox_endpoint_denies_and_issues_nothing()
    {
        var id = await CreateAsync(CardBody());

        using var response = await Http.PostAsync(Root($"_sandbox/spend_requests/{id}/deny"), null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)(await ReadJsonAsync(response))!["status"], Is.EqualTo("denied"));
        Assert.That(Server.Sandbox.FindIssuedCard(id), Is.Null);
    }

    [Test]
    public async Task Approving_twice_is_a_409_invalid_state()
    {
        var id = await CreateAsync(CardBody());
        await ApproveAsync(id);

        using var response = await Http.PostAsync(Root($"_sandbox/spend_requests/{id}/approve"), null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((string?)(await ReadJsonAsync(response))!["error"]!["code"], Is.EqualTo(ApiErrorCodes.InvalidState));
    }

    [Test]
    public async Task Cancel_after_cancel_is_a_409_invalid_state_naming_the_status()
    {
        var id = await CreateAsync(CardBody());
        await PostAsync($"/spend_requests/{id}/cancel", null);

        var (status, json) = await PostAsync($"/spend_requests/{id}/cancel", null);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((string?)json!["error"]!["code"], Is.EqualTo("invalid_state"));
        Assert.That((string?)json["error"]!["message"], Does.Contain("canceled"));
    }

    [Test]
    public async Task Cancel_of_an_approved_request_kills_its_card()
    {
        var id = await CreateAsync(CardBody());
        await ApproveAsync(id);
        var card = Server.Sandbox.FindIssuedCard(id)!;

        await PostAsync($"/spend_requests/{id}/cancel", null);

        var result = Server.Sandbox.Authorize(card.Number, card.Cvc, card.ExpMonth, card.ExpYear, MerchantUrl, 100, "usd");
        Assert.That(result.DeclineCode, Is.EqualTo("card_canceled"));
    }

    [TestCase("GET", "/spend_requests/lsrq_nope")]
    [TestCase("POST", "/spend_requests/lsrq_nope/cancel")]
    [TestCase("POST", "/spend_requests/lsrq_nope/request_approval")]
    public async Task An_unknown_id_is_a_404_not_found(string method, string path)
    {
        var (status, json) = method == "GET" ? await GetAsync(path) : await PostAsync(path, null);

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((string?)json!["error"]!["code"], Is.EqualTo("not_found"));
        Assert.That((string?)json["error"]!["message"], Does.Contain("lsrq_nope"));
    }

    [Test]
    public async Task An_amount_over_the_cap_is_refused_naming_amount_and_nothing_is_created()
    {
        var (status, json) = await PostAsync("/spend_requests", CardBody(amount: 50_001));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"]!["code"], Is.EqualTo("invalid_request"));
        Assert.That((string?)json["error"]!["field"], Is.EqualTo("amount"));
        Assert.That((string?)json["error"]!["message"], Does.Contain("50000"));
        Assert.That(Server.Sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    public async Task Delegated_create_over_the_cap_is_refused_too()
    {
        var (status, _) = await PostAsync("/spend_requests/create_delegated", CardBody(amount: 60_000));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Server.Sandbox.SpendRequestCount, Is.Zero);
    }

    [TestCase("{\"amount\": ", "invalid_json", null)]
    [TestCase("[1,2]", "invalid_json", null)]
    [TestCase("", "invalid_json", null)]
    public async Task Malformed_bodies_are_refused_and_nothing_is_created(string body, string code, string? field)
    {
        var (status, json) = await PostRawAsync("/spend_requests", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"]!["code"], Is.EqualTo(code));
        Assert.That((string?)json["error"]!["field"], Is.EqualTo(field));
        Assert.That(Server.Sandbox.SpendRequestCount, Is.Zero);
    }

    [TestCase("amount", "\"2500\"", "amount")]
    [TestCase("amount", "12.5", "amount")]
    [TestCase("context", "42", "context")]
    [TestCase("request_approval", "\"yes\"", "request_approval")]
    [TestCase("line_items", "{}", "line_items")]
    [TestCase("line_items", "[{\"name\":\"W\",\"price\":1}]", "line_items[0].price")]
    [TestCase("line_items", "[{\"quantity\":1}]", "line_items[0].name")]
    [TestCase("totals", "[{\"type\":\"total\",\"amount\":1}]", "totals[0].display_text")]
    [TestCase("metadata", "{\"k\":[1]}", "metadata.k")]
    [TestCase("favourite_colour", "\"blue\"", "favourite_colour")]
    [TestCase("execution_method", "\"link_pay_token\"", "execution_method")]
    [TestCase("payment_details", "\"csmrpd_nope\"", "payment_details")]
    [TestCase("merchant_url", "\"not a url\"", "merchant_url")]
    [TestCase("context", "\"too short\"", "context")]
    [TestCase("currency", "\"dollars\"", "currency")]
    [TestCase("credential_type", "\"cash\"", "credential_type")]
    public async Task A_bad_field_is_refused_naming_it_and_nothing_is_created(string name, string rawValue, string field)
    {
        var body = CardBody();
        body[name] = JsonNode.Parse(rawValue);

        var (status, json) = await PostAsync("/spend_requests", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), json?.ToJsonString());
        Assert.That((string?)json!["error"]!["code"], Is.EqualTo("invalid_request"));
        Assert.That((string?)json["error"]!["field"], Is.EqualTo(field));
        Assert.That(Server.Sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    public async Task A_token_request_with_merchant_fields_is_refused()
    {
        var body = TokenBody();
        body["merchant_url"] = MerchantUrl;

        var (status, json) = await PostAsync("/spend_requests", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"]!["field"], Is.EqualTo("merchant_url"));
    }

    [Test]
    public async Task Create_delegated_is_approved_at_once_even_in_manual_mode()
    {
        var (status, json) = await PostAsync("/spend_requests/create_delegated", CardBody());

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)json!["status"], Is.EqualTo("approved"));
    }

    [Test]
    public async Task Update_before_approval_changes_the_request_and_keeps_other_fields()
    {
        var id = await CreateAsync(CardBody(amount: 2500));

        var (status, json) = await PostAsync($"/spend_requests/{id}", new JsonObject
        {
            ["amount"] = 3000,
            ["line_items"] = new JsonArray(new JsonObject { ["name"] = "Red Widget", ["quantity"] = 2, ["unit_amount"] = 1500 }),
        });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json?.ToJsonString());
        Assert.That((long?)json!["amount"], Is.EqualTo(3000));
        Assert.That((string?)json["line_items"]![0]!["name"], Is.EqualTo("Red Widget"));
        Assert.That((string?)json["merchant_url"], Is.EqualTo(MerchantUrl));
        Assert.That((long?)(await GetAsync($"/spend_requests/{id}")).Json!["amount"], Is.EqualTo(3000));
    }

    [Test]
    public async Task Update_after_approval_is_refused_and_changes_nothing()
    {
        var id = await CreateAsync(CardBody(amount: 2500));
        await ApproveAsync(id);

        var (status, json) = await PostAsync($"/spend_requests/{id}", new JsonObject { ["amount"] = 100 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((string?)json!["error"]!["code"], Is.EqualTo("invalid_state"));
        Assert.That((long?)(await GetAsync($"/spend_requests/{id}")).Json!["amount"], Is.EqualTo(2500));
    }

    [TestCase("{\"amount\": 999999}", "amount")]
    [TestCase("{\"merchant_url\": \"ftp://x\"}", "merchant_url")]
    [TestCase("{}", "update")]
    [TestCase("{\"context\": \"new\"}", "context")]
    public async Task A_bad_update_is_refused_naming_the_field_and_changes_nothing(string body, string field)
    {
        var id = await CreateAsync(CardBody(amount: 2500));

        var (status, json) = await PostRawAsync($"/spend_requests/{id}", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"]!["field"], Is.EqualTo(field));
        var (_, after) = await GetAsync($"/spend_requests/{id}");
        Assert.That((long?)after!["amount"], Is.EqualTo(2500));
        Assert.That((string?)after["merchant_url"], Is.EqualTo(MerchantUrl));
    }

    [Test]
    public async Task List_shows_open_requests_and_history_shows_all_newest_first()
    {
        var open = await CreateAsync(CardBody());
        var canceled = await CreateAsync(CardBody());
        await PostAsync($"/spend_requests/{canceled}/cancel", null);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var newest = await CreateAsync(CardBody(requestApproval: false));

        var (_, openList) = await GetAsync("/spend_requests");
        var (_, history) = await GetAsync("/spend_requests?include_history=true");

        Assert.That(openList!["data"]!.AsArray().Select(r => (string?)r!["id"]), Is.EqualTo(new[] { newest, open }));
        Assert.That(history!["data"]!.AsArray().Select(r => (string?)r!["id"]), Is.EqualTo(new[] { newest, canceled, open }));
    }

    [Test]
    public async Task Include_history_must_be_a_boolean()
    {
        var (status, json) = await GetAsync("/spend_requests?include_history=maybe");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"]!["field"], Is.EqualTo("include_history"));
    }

    [Test]
    public async Task The_api_also_answers_at_the_server_root()
    {
        using var response = await Http.GetAsync(Root("payment-details"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task An_unknown_route_is_a_json_404()
    {
        var (status, json) = await GetAsync("/balances_of_the_moon");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((string?)json!["error"]!["code"], Is.EqualTo("not_found"));
    }
}

/// <summary>Approval modes other than manual, and the server's configurable limits.</summary>
public class ApprovalModeTests
{
    private static async Task<(LinkEmulatorServer Server, HttpClient Http, TestClock Clock)> StartAsync(LinkEmulatorOptions options)
    {
        var clock = new TestClock();
        var server = await LinkEmulatorServer.StartAsync(options, null, clock, CancellationToken.None);
        var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", options.AccessToken);
        return (server, http, clock);
    }

    private static async Task<JsonNode> PostAsync(HttpClient http, Uri url, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(url, content);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static async Task<JsonNode> GetAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [TestCase(EmulatorApprovalMode.Auto, "approved")]
    [TestCase(EmulatorApprovalMode.Deny, "denied")]
    [TestCase(EmulatorApprovalMode.Manual, "pending_approval")]
    public async Task The_mode_answers_a_new_request(EmulatorApprovalMode mode, string expected)
    {
        var (server, http, _) = await StartAsync(new LinkEmulatorOptions { Approval = mode });
        await using (server)
        using (http)
        {
            var created = await PostAsync(http, new Uri(server.ApiBaseUrl + "/spend_requests"), Body(2500));

            Assert.That((string?)created["status"], Is.EqualTo(expected));
        }
    }

    [Test]
    public async Task Expire_mode_expires_an_unanswered_request_after_the_given_seconds()
    {
        var (server, http, clock) = await StartAsync(new LinkEmulatorOptions { Approval = EmulatorApprovalMode.Expire, ExpireAfter = TimeSpan.FromSeconds(3) });
        await using (server)
        using (http)
        {
            var id = (string)(await PostAsync(http, new Uri(server.ApiBaseUrl + "/spend_requests"), Body(2500)))["id"]!;
            var url = new Uri(server.ApiBaseUrl + "/spend_requests/" + id);

            clock.Advance(TimeSpan.FromSeconds(2.9));
            Assert.That((string?)(await GetAsync(http, url))["status"], Is.EqualTo("pending_approval"));
            clock.Advance(TimeSpan.FromSeconds(0.1));
            Assert.That((string?)(await GetAsync(http, url))["status"], Is.EqualTo("expired"));
        }
    }

    [Test]
    public async Task The_amount_cap_and_the_access_token_are_configurable()
    {
        var (server, http, _) = await StartAsync(new LinkEmulatorOptions
        {
            Sandbox = new() { MaxAmount = 1000 },
            AccessToken = "another_token",
        });
        await using (server)
        using (http)
        {
            var refused = await PostAsync(http, new Uri(server.ApiBaseUrl + "/spend_requests"), Body(1001));
            var accepted = await PostAsync(http, new Uri(server.ApiBaseUrl + "/spend_requests"), Body(1000));

            Assert.That((string?)refused["error"]!["field"], Is.EqualTo("amount"));
            Assert.That((string?)refused["error"]!["message"], Does.Contain("1000"));
            Assert.That((string?)accepted["status"], Is.EqualTo("pending_approval"));
        }
    }

    [Test]
    public async Task The_approval_window_is_configurable()
    {
        var (server, http, clock) = await StartAsync(new LinkEmulatorOptions { Sandbox = new() { ApprovalWindow = TimeSpan.FromMinutes(1) } });
        await using (server)
        using (http)
        {
            var id = (string)(await PostAsync(http, new Uri(server.ApiBaseUrl + "/spend_requests"), Body(2500)))["id"]!;

            clock.Advance(TimeSpan.FromMinutes(1));

            Assert.That((string?)(await GetAsync(http, new Uri(server.ApiBaseUrl + "/spend_requests/" + id)))["status"], Is.EqualTo("expired"));
        }
    }

    [Test]
    public void Expire_mode_without_a_lifetime_is_refused_at_start()
    {
        Assert.ThrowsAsync<ArgumentException>(() => LinkEmulatorServer.StartAsync(new LinkEmulatorOptions { Approval = EmulatorApprovalMode.Expire }));
    }

    private static JsonObject Body(long amount) => new()
    {
        ["credential_type"] = "card",
        ["amount"] = amount,
        ["currency"] = "usd",
        ["merchant_name"] = "Shop Example",
        ["merchant_url"] = EmulatorTest.MerchantUrl,
        ["context"] = EmulatorTest.Context,
        ["request_approval"] = true,
    };
}
