using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CheckoutAgent.Tests.LinkEmulator;

/// <summary>
/// Pins the JSON shapes link-cli reads (link-api.md §3, §4, §10; seed 004): field names and JSON types. A renamed or
/// retyped field fails here before it fails inside the CLI.
/// </summary>
public class ContractTests : EmulatorTest
{
    private const string S = "string";
    private const string N = "number";
    private const string B = "boolean";
    private const string O = "object";
    private const string A = "array";
    private const string Null = "null";

    /// <summary>Asserts <paramref name="json"/> has exactly these keys, each of one of the listed JSON types.</summary>
    private static void AssertShape(JsonNode? json, IReadOnlyDictionary<string, string> shape, bool exact = true)
    {
        Assert.That(json, Is.InstanceOf<JsonObject>());
        var obj = json!.AsObject();
        if (exact)
        {
            Assert.That(obj.Select(p => p.Key), Is.EquivalentTo(shape.Keys), obj.ToJsonString());
        }
        foreach (var (name, types) in shape)
        {
            Assert.That(obj.ContainsKey(name), Is.True, $"missing '{name}' in {obj.ToJsonString()}");
            Assert.That(types.Split('|'), Does.Contain(Kind(obj[name])), $"'{name}' in {obj.ToJsonString()}");
        }
    }

    private static string Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => Null,
        JsonValueKind.String => S,
        JsonValueKind.Number => N,
        JsonValueKind.True or JsonValueKind.False => B,
        JsonValueKind.Object => O,
        JsonValueKind.Array => A,
        _ => "?",
    };

    private static readonly string[] _lifecycle = ["created", "pending_approval", "approved", "canceled"];

    private static readonly Dictionary<string, string> _cardSpendRequest = new()
    {
        ["id"] = S, ["object"] = S, ["status"] = S, ["amount"] = N, ["currency"] = S, ["credential_type"] = S,
        ["payment_details"] = S, ["merchant_name"] = S, ["merchant_url"] = S, ["context"] = S, ["line_items"] = A,
        ["totals"] = A, ["approval_url"] = S, ["created_at"] = S, ["updated_at"] = S, ["expires_at"] = N,
        ["metadata"] = O, ["test"] = B, ["status_details"] = Null,
    };

    [Test]
    public async Task Payment_details_shape()
    {
        var (_, json) = await GetAsync("/payment-details");

        AssertShape(json, new Dictionary<string, string> { ["payment_details"] = A });
        AssertShape(json!["payment_details"]![0], new Dictionary<string, string>
        {
            ["id"] = S, ["type"] = S, ["is_default"] = B, ["nickname"] = S, ["card_details"] = O,
        });
        AssertShape(json["payment_details"]![0]!["card_details"], new Dictionary<string, string>
        {
            ["brand"] = S, ["last4"] = S, ["exp_month"] = N, ["exp_year"] = N,
        });
    }

    [Test]
    public async Task Shipping_addresses_shape()
    {
        var (_, json) = await GetAsync("/shipping_addresses");

        var first = json!["shipping_addresses"]![0];
        AssertShape(first, new Dictionary<string, string> { ["id"] = S, ["is_default"] = B, ["nickname"] = S + "|" + Null, ["address"] = O });
        AssertShape(first!["address"], new Dictionary<string, string>
        {
            ["name"] = S, ["line_1"] = S, ["line_2"] = S + "|" + Null, ["locality"] = S, ["dependent_locality"] = S + "|" + Null,
            ["administrative_area"] = S, ["postal_code"] = S, ["sorting_code"] = S + "|" + Null, ["country_code"] = S,
        });
    }

    [Test]
    public async Task Userinfo_shape()
    {
        var (_, json) = await GetAsync("/userinfo");

        AssertShape(json, new Dictionary<string, string>
        {
            ["email"] = S, ["name"] = S, ["first_name"] = S, ["last_name"] = S, ["phone"] = S + "|" + Null,
        });
    }

    [Test]
    public async Task Card_spend_request_shape_as_created()
    {
        var (_, json) = await PostAsync("/spend_requests", CardBody());

        AssertShape(json, _cardSpendRequest);
        Assert.That((string?)json!["id"], Does.Match("^lsrq_"));
        Assert.That((string?)json["created_at"], Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"));
        AssertShape(json["line_items"]![0], new Dictionary<string, string> { ["name"] = S, ["quantity"] = N, ["unit_amount"] = N });
        AssertShape(json["totals"]![0], new Dictionary<string, string> { ["type"] = S, ["display_text"] = S, ["amount"] = N });
    }

    [Test]
    public async Task Approved_card_spend_request_with_include_card_shape()
    {
        var id = await CreateAsync(CardBody());
        await ApproveAsync(id);

        var (_, json) = await GetAsync($"/spend_requests/{id}?include=card");

        AssertShape(json, new Dictionary<string, string>(_cardSpendRequest) { ["card_brand"] = S, ["card_last4"] = S, ["card"] = O });
        AssertShape(json!["card"], new Dictionary<string, string>
        {
            ["id"] = S, ["brand"] = S, ["last4"] = S, ["exp_month"] = N, ["exp_year"] = N, ["number"] = S, ["cvc"] = S,
            ["billing_address"] = O, ["valid_until"] = S,
        });
        AssertShape(json["card"]!["billing_address"], new Dictionary<string, string>
        {
            ["name"] = S, ["line1"] = S, ["line2"] = S + "|" + Null, ["city"] = S, ["state"] = S, ["postal_code"] = S, ["country"] = S,
        });
    }

    [Test]
    public async Task Approved_token_spend_request_with_include_shared_payment_token_shape()
    {
        var id = await CreateAsync(TokenBody());
        await ApproveAsync(id);

        var (_, json) = await GetAsync($"/spend_requests/{id}?include=shared_payment_token");

        AssertShape(json, new Dictionary<string, string>
        {
            ["id"] = S, ["object"] = S, ["status"] = S, ["amount"] = N, ["currency"] = S, ["credential_type"] = S,
            ["payment_details"] = S, ["network_id"] = S, ["context"] = S, ["line_items"] = A, ["totals"] = A,
            ["approval_url"] = S, ["created_at"] = S, ["updated_at"] = S, ["expires_at"] = N, ["metadata"] = O,
            ["test"] = B, ["status_details"] = Null, ["shared_payment_token"] = O,
        });
        AssertShape(json!["shared_payment_token"], new Dictionary<string, string> { ["id"] = S, ["valid_until"] = S });
        Assert.That((string?)json["credential_type"], Is.EqualTo("shared_payment_token"));
    }

    [Test]
    public async Task Create_echoes_metadata_test_flag_and_optional_line_item_fields()
    {
        var body = CardBody();
        body["metadata"] = new JsonObject { ["order_id"] = "ord_1" };
        body["test"] = true;
        body["line_items"] = new JsonArray(new JsonObject
        {
            ["name"] = "W", ["quantity"] = 1, ["unit_amount"] = 2500, ["url"] = "https://shop.example/w",
            ["image_url"] = "https://shop.example/w.png", ["description"] = "d", ["sku"] = "w-1", ["product_url"] = "https://shop.example/p/w",
        });

        var (_, json) = await PostAsync("/spend_requests", body);

        Assert.That((string?)json!["metadata"]!["order_id"], Is.EqualTo("ord_1"));
        Assert.That((bool?)json["test"], Is.True);
        AssertShape(json["line_items"]![0], new Dictionary<string, string>
        {
            ["name"] = S, ["quantity"] = N, ["unit_amount"] = N, ["url"] = S, ["image_url"] = S, ["description"] = S, ["sku"] = S, ["product_url"] = S,
        });
    }

    [Test]
    public async Task Status_values_are_link_wire_names()
    {
        var id = await CreateAsync(CardBody(requestApproval: false));
        var statuses = new List<string?> { (string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"] };
        await PostAsync($"/spend_requests/{id}/request_approval", null);
        statuses.Add((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"]);
        statuses.Add((string?)(await ApproveAsync(id))["status"]);
        statuses.Add((string?)(await PostAsync($"/spend_requests/{id}/cancel", null)).Json!["status"]);

        Assert.That(statuses, Is.EqualTo(_lifecycle));
    }

    [Test]
    public async Task List_request_approval_and_observation_shapes()
    {
        var id = await CreateAsync(CardBody(requestApproval: false));

        var (_, list) = await GetAsync("/spend_requests");
        var (_, link) = await PostAsync($"/spend_requests/{id}/request_approval", null);
        var (status, receipt) = await PostAsync("/agent_observations", new JsonObject
        {
            ["domain"] = "shop.example", ["outcome"] = "blocked", ["spend_request_id"] = id,
            ["tags"] = new JsonArray("captcha"), ["step"] = "payment", ["freeform_context"] = "hCaptcha on pay",
        });

        AssertShape(list, new Dictionary<string, string> { ["data"] = A });
        AssertShape(list!["data"]![0], _cardSpendRequest);
        AssertShape(link, new Dictionary<string, string> { ["id"] = S, ["approval_link"] = S });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        AssertShape(receipt, new Dictionary<string, string>
        {
            ["object"] = S, ["created_at"] = S, ["domain"] = S, ["outcome"] = S, ["spend_request_id"] = S, ["status"] = S,
        });
        Assert.That(Server.Sandbox.Observations.Single().Tags, Has.Exactly(1).EqualTo("captcha"));
    }

    [Test]
    public async Task A_bad_observation_is_refused_naming_the_field_and_not_stored()
    {
        var id = await CreateAsync(CardBody());

        var (status, json) = await PostAsync("/agent_observations", new JsonObject
        {
            ["domain"] = "shop.example", ["outcome"] = "meh", ["spend_request_id"] = id,
        });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"]!["field"], Is.EqualTo("outcome"));
        Assert.That(Server.Sandbox.Observations, Is.Empty);
    }

    [Test]
    public async Task Transaction_shape()
    {
        var id = await CreateAsync(CardBody());
        await ApproveAsync(id);
        var card = Server.Sandbox.FindIssuedCard(id)!;
        Server.Sandbox.Authorize(card.Number, card.Cvc, card.ExpMonth, card.ExpYear, MerchantUrl, 2500, "usd");

        var (_, json) = await GetAsync("/transactions");

        AssertShape(json, new Dictionary<string, string> { ["data"] = A, ["has_more"] = B });
        AssertShape(json!["data"]![0], new Dictionary<string, string>
        {
            ["id"] = S, ["source_id"] = S + "|" + Null, ["amount"] = N, ["currency"] = S, ["created_date"] = S,
            ["description"] = S, ["origin"] = S, ["category"] = S + "|" + Null, ["status"] = S,
        });
        Assert.That((string?)json["data"]![0]!["origin"], Is.AnyOf("link", "external_connection"));
    }

    [Test]
    public async Task Error_shape()
    {
        var (_, json) = await GetAsync("/spend_requests/lsrq_nope");

        AssertShape(json, new Dictionary<string, string> { ["error"] = O });
        AssertShape(json!["error"], new Dictionary<string, string> { ["message"] = S, ["code"] = S });
    }

    [Test]
    public async Task Device_code_and_token_shapes()
    {
        var (_, code) = await PostFormAsync(Auth("/device/code"), new Dictionary<string, string> { ["client_id"] = "lwlpk_U7Qy7ThG69STZk" });
        Server.Sandbox.Auth.AnswerDevice((string)code!["user_code"]!, approve: true);
        var (_, tokens) = await PostFormAsync(Auth("/device/token"), new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["device_code"] = (string)code["device_code"]!, ["client_id"] = "lwlpk_U7Qy7ThG69STZk",
        });
        var (_, pending) = await PostFormAsync(Auth("/device/token"), new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["device_code"] = "dc_nope", ["client_id"] = "lwlpk_U7Qy7ThG69STZk",
        });

        AssertShape(code, new Dictionary<string, string>
        {
            ["device_code"] = S, ["user_code"] = S, ["verification_uri"] = S, ["verification_uri_complete"] = S, ["expires_in"] = N, ["interval"] = N,
        });
        AssertShape(tokens, new Dictionary<string, string>
        {
            ["access_token"] = S, ["refresh_token"] = S, ["token_type"] = S, ["expires_in"] = N, ["scope"] = S,
        });
        AssertShape(pending, new Dictionary<string, string> { ["error"] = S, ["error_description"] = S });
    }
}
