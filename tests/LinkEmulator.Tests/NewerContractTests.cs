using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Tests.LinkEmulator;

/// <summary>
/// The newer Link contract (link-cli's README and SKILL.md from 0.15, its SDK's spend-request types) as the emulator
/// answers it: 3-D Secure as <c>requires_action</c> with an <c>auto_resume</c> next action and the statuses after use,
/// 429 for a duplicate, the newer limits, the beta <c>sources</c> and <c>balances</c>, and a request log without secrets.
/// </summary>
public class NewerContractTests : EmulatorTest
{
    protected override LinkEmulatorOptions Options() => new()
    {
        Approval = EmulatorApprovalMode.Manual,
        Sandbox = new LinkSandboxOptions
        {
            RejectDuplicates = true,
            Authentication = SandboxAuthenticationMode.Manual,
            HourlyCreateLimit = 3,
            DailyAmountLimit = 5000,
        },
    };

    [Test]
    public async Task A_duplicate_of_an_open_request_is_429_carrying_the_open_request()
    {
        var first = await CreateAsync(CardBody());

        var (status, json) = await PostAsync("/spend_requests", CardBody());

        Assert.That(status, Is.EqualTo(HttpStatusCode.TooManyRequests), json?.ToJsonString());
        Assert.That((string?)json!["error"]!["code"], Is.EqualTo("spend_request_rate_limited"));
        Assert.That((string?)json["error"]!["duplicate_spend_request"]!["id"], Is.EqualTo(first));
        Assert.That((string?)json["error"]!["duplicate_spend_request"]!["status"], Is.EqualTo("pending_approval"));
        Assert.That(Server.Sandbox.SpendRequestCount, Is.EqualTo(1), "nothing was created");

        var other = CardBody();
        other["metadata"] = new JsonObject { ["checkout_agent_purchase"] = "pur_other" };
        Assert.That((await PostAsync("/spend_requests", other)).Status, Is.EqualTo(HttpStatusCode.OK), "different metadata is a different request");
    }

    [Test]
    public async Task Hourly_creation_limit_is_429_and_the_daily_amount_limit_names_the_amount()
    {
        for (var i = 0; i < 2; i++)
        {
            var body = CardBody(amount: 2000);
            body["metadata"] = new JsonObject { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            await ApproveAsync(await CreateAsync(body));
        }

        var (dailyStatus, daily) = await PostAsync("/spend_requests", CardBody(amount: 1500));
        Assert.That(dailyStatus, Is.EqualTo(HttpStatusCode.BadRequest), daily?.ToJsonString());
        Assert.That((string?)daily!["error"]!["field"], Is.EqualTo("amount"));
        Assert.That((string?)daily["error"]!["message"], Does.Contain("daily limit of 5000"));

        await CreateAsync(CardBody(amount: 500));
        var (hourlyStatus, hourly) = await PostAsync("/spend_requests", CardBody(amount: 100));
        Assert.That(hourlyStatus, Is.EqualTo(HttpStatusCode.TooManyRequests), hourly?.ToJsonString());
        Assert.That((string?)hourly!["error"]!["message"], Does.Contain("at most 3 may be created per hour"));
        Assert.That(hourly["error"]!["duplicate_spend_request"], Is.Null);

        Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.That((await PostAsync("/spend_requests", CardBody(amount: 100))).Status, Is.EqualTo(HttpStatusCode.OK), "an hour later");
    }

    [Test]
    public async Task A_3ds_payment_shows_requires_action_until_the_card_holder_confirms_then_succeeded()
    {
        var (id, card) = await ApprovedCardAsync();

        var challenge = await AuthorizeAsync(card, threeDSecure: true);
        Assert.That((bool?)challenge["pending"], Is.True, challenge.ToJsonString());
        Assert.That((bool?)challenge["approved"], Is.False);
        var authentication = (string)challenge["authentication_id"]!;
        Assert.That(authentication, Does.Match("^3ds_"));

        var (_, waiting) = await GetAsync($"/spend_requests/{id}?include=card");
        Assert.That((string?)waiting!["status"], Is.EqualTo("requires_action"));
        Assert.That(waiting["card"], Is.Null, "no card outside approved");
        var next = waiting["status_details"]!["requires_action"]!["next_action"]!;
        Assert.That(next.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "type", "resolution", "display_message", "action_url", "expires_at" }));
        Assert.That((string?)next["type"], Is.EqualTo("three_d_secure"));
        Assert.That((string?)next["resolution"], Is.EqualTo("auto_resume"));
        Assert.That((string?)next["display_message"], Is.EqualTo("Confirm the payment of $25.00 at Shop Example in the Link app."));
        Assert.That((string?)next["action_url"], Is.EqualTo(Server.ApprovalPageUrl(id).AbsoluteUri));
        Assert.That((bool?)(await CompleteAsync(authentication))["pending"], Is.True);

        using (var page = await Http.GetAsync(Server.ApprovalPageUrl(id)))
        {
            Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("value=\"approve_action\"").And.Contain("Confirm the payment of $25.00"));
        }
        using (var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "approve_action" }))
        using (var answered = await Http.PostAsync(Server.ApprovalPageUrl(id), form))
        {
            Assert.That(answered.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await answered.Content.ReadAsStringAsync(), Does.Contain("Payment confirmed"));
        }

        var done = await CompleteAsync(authentication);
        Assert.That((bool?)done["approved"], Is.True, done.ToJsonString());
        var (_, succeeded) = await GetAsync($"/spend_requests/{id}");
        Assert.That((string?)succeeded!["status"], Is.EqualTo("succeeded"));
        Assert.That(succeeded["status_details"], Is.Null);
        Assert.That(Server.Sandbox.AuthorizationCount, Is.EqualTo(1));
    }

    [Test]
    public async Task A_refused_3ds_payment_is_failed_and_declined_and_cannot_be_answered_twice()
    {
        var (id, card) = await ApprovedCardAsync();
        var authentication = (string)(await AuthorizeAsync(card, threeDSecure: true))["authentication_id"]!;

        using (var refused = await Http.PostAsync(Root($"_sandbox/spend_requests/{id}/deny_action"), null))
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        var done = await CompleteAsync(authentication);

        Assert.That((string?)done["decline_code"], Is.EqualTo(PaymentDeclineCodes.AuthenticationFailed));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("failed"));
        using var again = await Http.PostAsync(Root($"_sandbox/spend_requests/{id}/approve_action"), null);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(Server.Sandbox.AuthorizationCount, Is.Zero, "nothing was charged");
    }

    [Test]
    public async Task An_unanswered_3ds_confirmation_fails_when_its_window_closes()
    {
        var (id, card) = await ApprovedCardAsync();
        await AuthorizeAsync(card, threeDSecure: true);

        Clock.Advance(new LinkSandboxOptions().AuthenticationWindow);

        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("failed"));
    }

    [Test]
    public async Task Sources_and_balances_answer_the_beta_shapes()
    {
        var (_, sources) = await GetAsync("/sources");
        var source = sources!["data"]![0]!;
        Assert.That(source.AsObject().Select(p => p.Key), Is.SupersetOf(new[] { "id", "name", "type", "capabilities", "granted_actions", "card" }));
        Assert.That((bool?)sources["has_more"], Is.False);

        var (_, balances) = await GetAsync($"/balances?sources[]={LinkSandboxOptions.DefaultPaymentMethodId}");
        var balance = balances!["data"]!.AsArray().Single()!;
        Assert.That((string?)balance["source_id"], Is.EqualTo(LinkSandboxOptions.DefaultPaymentMethodId));
        Assert.That((string?)balance["type"], Is.EqualTo("credit"));
        Assert.That(balance["current"]!.GetValue<long>(), Is.Zero);
        Assert.That((string?)balance["as_of"], Does.Match(@"^\d{4}-\d\d-\d\dT"));

        var (unknown, error) = await GetAsync("/balances?sources[]=csmrpd_nope");
        Assert.That(unknown, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)error!["error"]!["field"], Is.EqualTo("sources"));
    }

    [Test]
    public async Task Every_request_is_logged_with_method_path_status_and_time_never_a_token_or_a_card()
    {
        var (id, card) = await ApprovedCardAsync();
        await GetAsync($"/spend_requests/{id}?include=card");

        // The emulator's own lines (ASP.NET Core's request logs are the host's business, and link-sandbox serve keeps them at warning).
        var ours = string.Join('\n', Logs.Lines.Where(l => l.Contains("CheckoutAgent.Link.Emulator", StringComparison.Ordinal)));
        Assert.That(ours, Does.Match(@"GET /v1/spend_requests/lsrq_\w+ 200 \d+ ms"), Logs.All);
        Assert.That(ours, Does.Match(@"POST /v1/spend_requests 200 \d+ ms"), Logs.All);
        Assert.That(Logs.All, Does.Not.Contain(LinkSandboxOptions.DefaultAccessToken));
        Assert.That(Logs.All, Does.Not.Contain(card.Number));
        Assert.That(ours, Does.Not.Contain("include=card"), "no query string");
    }

    private async Task<(string Id, SandboxIssuedCard Card)> ApprovedCardAsync()
    {
        var id = await CreateAsync(CardBody());
        await ApproveAsync(id);
        return (id, Server.Sandbox.FindIssuedCard(id)!);
    }

    private async Task<JsonNode> AuthorizeAsync(SandboxIssuedCard card, bool threeDSecure)
    {
        var body = new JsonObject
        {
            ["number"] = card.Number, ["cvc"] = card.Cvc, ["exp_month"] = card.ExpMonth, ["exp_year"] = card.ExpYear,
            ["merchant_url"] = MerchantUrl + "/checkout", ["amount"] = 2500, ["currency"] = "usd", ["three_d_secure"] = threeDSecure,
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(Root("_sandbox/authorize"), content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await ReadJsonAsync(response))!;
    }

    private async Task<JsonNode> CompleteAsync(string authenticationId)
    {
        using var response = await Http.PostAsync(Root($"_sandbox/authentications/{authenticationId}"), null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await ReadJsonAsync(response))!;
    }
}
