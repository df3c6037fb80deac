// Expected values read best inline, next to the assertion.
#pragma warning disable CA1861
using System.Text.Json.Nodes;

namespace CheckoutAgent.Tests.LinkClient.Cli;

/// <summary>
/// Pins the stand-in's <c>--format json</c> behaviour to link-api.md (§2, §6–§10) and seed 004, against a scripted
/// server, so the stand-in stays a faithful link-cli and the client is tested against the real shapes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StandInContractTests
{
    private const string Context =
        "Buying one 'Blue Widget' (size M) from Shop Example for Jane, who asked for it in chat today; shipping to the address on file.";

    private const string CardNumber = "4000056655665556";

    private TempDirectory _directory = null!;
    private string _authFile = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = new TempDirectory();
        _authFile = StandInCli.WriteAuthFile(_directory.Path);
    }

    [TearDown]
    public void TearDown() => _directory.Dispose();

    private static string SpendRequest(string status, bool withCard = false) => $$"""
        {"id":"lsrq_1","status":"{{status}}","amount":2500,"currency":"usd","merchant_name":"Shop Example","merchant_url":"https://shop.example",
         "context":"{{Context}}","line_items":[{"name":"Blue Widget","quantity":1,"unit_amount":2500}],"totals":[{"type":"total","display_text":"Total","amount":2500}],
         "payment_details":"csmrpd_1","created_at":"2026-05-01T12:00:00.000Z","updated_at":"2026-05-01T12:00:00.000Z","approval_url":"https://app.link.com/approve/lsrq_1"
         {{(withCard ? $$""","card_brand":"visa","card_last4":"5556","card":{"id":"card_1","brand":"visa","exp_month":4,"exp_year":2028,"number":"{{CardNumber}}","cvc":"987","billing_address":{"name":"Jane Doe","line1":"1 Main St","country":"US"},"valid_until":"2026-05-01T13:00:00.000Z"}""" : "")}}}
        """;

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(ScriptedLinkServer server, params string[] arguments) =>
        StandInCli.RunAsync([.. arguments, "--format", "json", "--auth", _authFile],
            new Dictionary<string, string?> { ["LINK_API_BASE_URL"] = server.Api.ToString(), ["LINK_AUTH_BASE_URL"] = server.Auth.ToString() });

    [Test]
    public async Task Payment_methods_list_prints_the_plain_array_and_sends_bearer_and_user_agent()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json("""{"payment_details":[{"id":"csmrpd_1","type":"card","is_default":true,"card_details":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}}]}"""));

        var (exit, stdout, _) = await RunAsync(server, "payment-methods", "list");

        Assert.That(exit, Is.Zero);
        var output = JsonNode.Parse(stdout)!.AsArray();
        Assert.That(output[0]!["id"]!.GetValue<string>(), Is.EqualTo("csmrpd_1"));
        Assert.That(output[0]!["card_details"]!["last4"]!.GetValue<string>(), Is.EqualTo("4242"));
        var request = server.Requests.Single();
        Assert.That((request.Method, request.PathAndQuery), Is.EqualTo(("GET", "/api/payment-details")));
        Assert.That(request.Authorization, Is.EqualTo("Bearer test_access_token"));
        Assert.That(request.UserAgent, Is.EqualTo("link-cli/0.13.1"));
    }

    [Test]
    public async Task Create_sends_link_cli_body_and_returns_an_array_with_instruction_and_next_without_polling()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(SpendRequest("pending_approval")));

        var (exit, stdout, _) = await RunAsync(server, "spend-request", "create", "--payment-method-id", "csmrpd_test_visa", "--amount", "1999",
            "--merchant-name", "Mock Shop", "--merchant-url", "https://shop.example", "--context", Context,
            "--line-item", "name:Widget,quantity:1,unit_amount:1999", "--total", "type:total,display_text:Total,amount:1999");

        Assert.That(exit, Is.Zero, stdout);
        var request = server.Requests.Single();
        Assert.That((request.Method, request.PathAndQuery), Is.EqualTo(("POST", "/api/spend_requests")));
        Assert.That(request.ContentType, Does.StartWith("application/json"));
        Assert.That(request.Body, Is.EqualTo(
            "{\"payment_details\":\"csmrpd_test_visa\",\"credential_type\":\"card\",\"amount\":1999,\"currency\":\"usd\",\"merchant_name\":\"Mock Shop\",\"merchant_url\":\"https://shop.example\",\"context\":\""
            + Context + "\",\"line_items\":[{\"name\":\"Widget\",\"quantity\":1,\"unit_amount\":1999}],\"totals\":[{\"type\":\"total\",\"display_text\":\"Total\",\"amount\":1999}],\"request_approval\":true}"));
        var output = JsonNode.Parse(stdout)!.AsArray();
        Assert.That(output, Has.Count.EqualTo(1));
        Assert.That(output[0]!["status"]!.GetValue<string>(), Is.EqualTo("pending_approval"));
        Assert.That(output[0]!["instruction"]!.GetValue<string>(), Does.Contain("approval_url"));
        Assert.That(output[0]!["_next"]!["command"]!.GetValue<string>(), Is.EqualTo("spend-request retrieve lsrq_1 --interval 2 --max-attempts 300"));
        Assert.That(output[0]!["_next"]!["until"]!.GetValue<string>(), Is.EqualTo("status changes from pending_approval"));
    }

    [Test]
    public async Task Create_with_approve_posts_to_create_delegated_without_the_flag_and_test_adds_test()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(SpendRequest("created")));

        var (exit, _, _) = await RunAsync(server, "spend-request", "create", "--amount", "100", "--merchant-name", "M", "--merchant-url", "https://m.example",
            "--context", Context, "--approve", "--test", "--no-request-approval", "--metadata", "a:1,b:2", "--metadata", "c:x:y", "--expires-at", "1900000000");

        Assert.That(exit, Is.Zero);
        var request = server.Requests.Single();
        Assert.That(request.PathAndQuery, Is.EqualTo("/api/spend_requests/create_delegated"));
        var body = JsonNode.Parse(request.Body)!;
        Assert.That(body["approve"], Is.Null);
        Assert.That(body["request_approval"], Is.Null);
        Assert.That(body["test"]!.GetValue<bool>(), Is.True);
        Assert.That(body["metadata"]!.ToJsonString(), Is.EqualTo("{\"a\":\"1\",\"b\":\"2\",\"c\":\"x:y\"}"));
        Assert.That(body["expires_at"]!.GetValue<long>(), Is.EqualTo(1900000000));
    }

    [TestCase("500000", 0, null)]
    [TestCase("500001", 1, "VALIDATION_ERROR")]
    [TestCase("12.5", 1, "VALIDATION_ERROR")]
    [TestCase("0", 1, "VALIDATION_ERROR")]
    public async Task Create_amount_is_checked_as_link_cli_0_13_1_does(string amount, int exit, string? code)
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(SpendRequest("created")));

        var result = await RunAsync(server, "spend-request", "create", "--amount", amount, "--merchant-name", "M", "--merchant-url", "https://m.example",
            "--context", Context, "--no-request-approval");

        Assert.That(result.ExitCode, Is.EqualTo(exit), result.Stdout);
        if (code is not null)
        {
            Assert.That(JsonNode.Parse(result.Stdout)!["code"]!.GetValue<string>(), Is.EqualTo(code));
            Assert.That(JsonNode.Parse(result.Stdout)!["fieldErrors"]![0]!["path"]!.GetValue<string>(), Is.EqualTo("amount"));
            Assert.That(server.Requests, Is.Empty, "validation happens before any HTTP call");
        }
    }

    [Test]
    public async Task Schema_errors_come_before_cross_field_errors_and_cross_field_errors_are_INVALID_INPUT()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(SpendRequest("created")));

        var both = await RunAsync(server, "spend-request", "create", "--amount", "100", "--context", "too short", "--credential-type", "shared_payment_token");
        var crossOnly = await RunAsync(server, "spend-request", "create", "--amount", "100", "--context", Context, "--credential-type", "shared_payment_token");
        var merchantMissing = await RunAsync(server, "spend-request", "create", "--amount", "100", "--context", Context, "--merchant-url", "https://m.example");

        Assert.That(JsonNode.Parse(both.Stdout)!["code"]!.GetValue<string>(), Is.EqualTo("VALIDATION_ERROR"));
        Assert.That(JsonNode.Parse(crossOnly.Stdout)!["code"]!.GetValue<string>(), Is.EqualTo("INVALID_INPUT"));
        Assert.That(JsonNode.Parse(crossOnly.Stdout)!["message"]!.GetValue<string>(), Does.Contain("--network-id"));
        Assert.That(JsonNode.Parse(merchantMissing.Stdout)!["message"]!.GetValue<string>(), Does.Contain("--merchant-name"));
        Assert.That(new[] { both.ExitCode, crossOnly.ExitCode, merchantMissing.ExitCode }, Is.All.EqualTo(1));
        Assert.That(server.Requests, Is.Empty);
    }

    [Test]
    public async Task An_unknown_line_item_key_is_UNKNOWN_and_names_the_allowed_keys()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(SpendRequest("created")));

        var (exit, stdout, _) = await RunAsync(server, "spend-request", "create", "--amount", "100", "--merchant-name", "M", "--merchant-url", "https://m.example",
            "--context", Context, "--line-item", "name:Shoes,price:5");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(JsonNode.Parse(stdout)!["code"]!.GetValue<string>(), Is.EqualTo("UNKNOWN"));
        Assert.That(JsonNode.Parse(stdout)!["message"]!.GetValue<string>(), Does.StartWith("Line item: unrecognized key \"price\". Allowed keys:"));
    }

    [Test]
    public async Task Retrieve_polls_yields_each_changed_state_and_writes_the_card_only_to_a_0600_file()
    {
        var calls = 0;
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(Interlocked.Increment(ref calls) < 3 ? SpendRequest("pending_approval") : SpendRequest("approved", withCard: true)));
        var file = _directory.File("card.json");

        var (exit, stdout, stderr) = await RunAsync(server, "spend-request", "retrieve", "lsrq_1", "--interval", "0.1", "--include", "card", "--output-file", file);

        Assert.That(exit, Is.Zero, stdout);
        Assert.That(server.Requests.Select(r => r.PathAndQuery), Is.All.EqualTo("/api/spend_requests/lsrq_1?include=card"));
        var output = JsonNode.Parse(stdout)!.AsArray();
        Assert.That(output.Select(o => o!["status"]!.GetValue<string>()), Is.EqualTo(new[] { "pending_approval", "approved" }));
        var last = output[1]!;
        Assert.That(last["card"], Is.Null);
        Assert.That(last["card_output_file"]!.GetValue<string>(), Is.EqualTo(file));
        Assert.That(last["card_last4"]!.GetValue<string>(), Is.EqualTo("5556"));
        Assert.That(stdout + stderr, Does.Not.Contain(CardNumber));

        Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var content = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        Assert.That(content.Select(p => p.Key), Is.EqualTo(new[] { "spend_request_id", "merchant_name", "merchant_url", "context", "created_at", "card" }));
        Assert.That(content["card"]!["number"]!.GetValue<string>(), Is.EqualTo(CardNumber));
        Assert.That(File.ReadAllText(file), Does.Not.EndWith("\n"));
    }

    [Test]
    public async Task Retrieve_without_interval_gets_once_and_include_values_are_comma_joined()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(SpendRequest("pending_approval")));

        var (exit, stdout, _) = await RunAsync(server, "spend-request", "retrieve", "lsrq_1", "--include", "card", "--include", "shared_payment_token");

        Assert.That(exit, Is.Zero);
        Assert.That(server.Requests.Single().PathAndQuery, Is.EqualTo("/api/spend_requests/lsrq_1?include=card%2Cshared_payment_token"));
        Assert.That(JsonNode.Parse(stdout)!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Retrieve_stops_with_retryable_POLLING_TIMEOUT_when_attempts_run_out()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(SpendRequest("pending_approval")));

        var (exit, stdout, _) = await RunAsync(server, "spend-request", "retrieve", "lsrq_1", "--interval", "0.05", "--max-attempts", "3");

        Assert.That(exit, Is.EqualTo(1));
        var error = JsonNode.Parse(stdout)!;
        Assert.That(error["code"]!.GetValue<string>(), Is.EqualTo("POLLING_TIMEOUT"));
        Assert.That(error["retryable"]!.GetValue<bool>(), Is.True);
        Assert.That(error["message"]!.GetValue<string>(), Is.EqualTo(
            "Polling stopped before spend request lsrq_1 reached a terminal status: max attempts (3) exhausted; current status is pending_approval."));
        Assert.That(server.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task Retrieve_of_an_unknown_id_is_NOT_FOUND()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json("""{"error":{"message":"No such spend request","code":"resource_missing"}}""", 404));

        var (exit, stdout, _) = await RunAsync(server, "spend-request", "retrieve", "lsrq_nope");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(JsonNode.Parse(stdout)!.ToJsonString(), Is.EqualTo("{\"code\":\"NOT_FOUND\",\"message\":\"Spend request lsrq_nope not found\"}"));
    }

    [Test]
    public async Task Output_file_that_exists_is_refused_unless_force_and_a_symlink_is_refused_even_with_force()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(SpendRequest("approved", withCard: true)));
        var existing = _directory.File("exists.json");
        File.WriteAllText(existing, "old");
        var target = _directory.File("target.json");
        File.WriteAllText(target, "victim");
        var link = _directory.File("link.json");
        File.CreateSymbolicLink(link, target);

        var exists = await RunAsync(server, "spend-request", "retrieve", "lsrq_1", "--include", "card", "--output-file", existing);
        var forced = await RunAsync(server, "spend-request", "retrieve", "lsrq_1", "--include", "card", "--output-file", existing, "--force");
        var symlink = await RunAsync(server, "spend-request", "retrieve", "lsrq_1", "--include", "card", "--output-file", link, "--force");

        Assert.That(exists.ExitCode, Is.EqualTo(1));
        Assert.That(JsonNode.Parse(exists.Stdout)!["code"]!.GetValue<string>(), Is.EqualTo("OUTPUT_FILE_EXISTS"));
        Assert.That(JsonNode.Parse(exists.Stdout)!["message"]!.GetValue<string>(), Is.EqualTo($"OUTPUT_FILE_EXISTS: {existing} already exists. Use --force to overwrite."));
        Assert.That(forced.ExitCode, Is.Zero);
        Assert.That(File.ReadAllText(existing), Does.Contain(CardNumber));
        Assert.That(File.GetUnixFileMode(existing), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(symlink.ExitCode, Is.EqualTo(1));
        Assert.That(JsonNode.Parse(symlink.Stdout)!["message"]!.GetValue<string>(), Does.StartWith("OUTPUT_FILE_SYMLINK: "));
        Assert.That(File.ReadAllText(target), Is.EqualTo("victim"));
        Assert.That(exists.Stdout + symlink.Stdout, Does.Not.Contain(CardNumber));
    }

    [Test]
    public async Task A_401_refreshes_once_rewrites_the_auth_file_0600_and_retries()
    {
        using var server = new ScriptedLinkServer(r => r.PathAndQuery switch
        {
            "/auth/device/token" => ScriptedLinkServer.Json("""{"access_token":"fresh_token","refresh_token":"fresh_refresh","token_type":"Bearer","expires_in":3600}"""),
            _ when r.Authorization == "Bearer fresh_token" => ScriptedLinkServer.Json("""{"payment_details":[]}"""),
            _ => ScriptedLinkServer.Json("""{"error":"invalid token"}""", 401),
        });

        var (exit, stdout, _) = await RunAsync(server, "payment-methods", "list");

        Assert.That(exit, Is.Zero, stdout);
        Assert.That(server.Requests.Select(r => r.PathAndQuery), Is.EqualTo(new[] { "/api/payment-details", "/auth/device/token", "/api/payment-details" }));
        var form = server.Requests.ElementAt(1);
        Assert.That(form.Body, Does.Contain("grant_type=refresh_token").And.Contain("refresh_token=test_refresh_token").And.Contain("client_id=lwlpk_U7Qy7ThG69STZk"));
        Assert.That(form.Authorization, Is.Null);
        var stored = JsonNode.Parse(File.ReadAllText(_authFile))!["auth"]!;
        Assert.That(stored["access_token"]!.GetValue<string>(), Is.EqualTo("fresh_token"));
        Assert.That(stored["refresh_token"]!.GetValue<string>(), Is.EqualTo("fresh_refresh"));
        Assert.That(File.GetUnixFileMode(_authFile), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public async Task A_failed_refresh_is_reported_as_link_cli_words_it()
    {
        using var server = new ScriptedLinkServer(r => r.PathAndQuery == "/auth/device/token"
            ? ScriptedLinkServer.Json("""{"error":"invalid_grant","error_description":"Refresh token revoked"}""", 400)
            : ScriptedLinkServer.Json("""{"error":"invalid token"}""", 401));

        var (exit, stdout, _) = await RunAsync(server, "payment-methods", "list");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(JsonNode.Parse(stdout)!["message"]!.GetValue<string>(), Is.EqualTo("Token refresh failed (400): Refresh token revoked"));
    }

    [Test]
    public async Task A_non_json_error_body_becomes_the_message()
    {
        using var server = new ScriptedLinkServer(_ => new ScriptedResponse(502, "<html>Bad gateway</html>", "text/html"));

        var (exit, stdout, _) = await RunAsync(server, "payment-methods", "list");

        Assert.That(exit, Is.EqualTo(1));
        var error = JsonNode.Parse(stdout)!.AsObject();
        Assert.That(error.Select(p => p.Key), Is.EqualTo(new[] { "code", "message" }));
        Assert.That(error["code"]!.GetValue<string>(), Is.EqualTo("UNKNOWN"));
        Assert.That(error["message"]!.GetValue<string>(), Is.EqualTo("Failed to list payment methods (502): <html>Bad gateway</html>"));
    }

    [Test]
    public async Task A_duplicate_spend_request_error_names_the_existing_request()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json(
            """{"error":{"message":"Too many requests.","code":"spend_request_rate_limited","duplicate_spend_request":{"id":"lsrq_old","status":"pending_approval"}}}""", 429));

        var (_, stdout, _) = await RunAsync(server, "spend-request", "create", "--amount", "100", "--merchant-name", "M", "--merchant-url", "https://m.example", "--context", Context);

        var error = JsonNode.Parse(stdout)!;
        Assert.That(error["code"]!.GetValue<string>(), Is.EqualTo("spend_request_rate_limited"));
        Assert.That(error["message"]!.GetValue<string>(), Is.EqualTo(
            "Too many requests. A matching spend request already exists: lsrq_old (status: pending_approval). Retrieve it to resume instead of creating a new one."));
    }

    [Test]
    public async Task Cancel_prints_the_plain_object_and_request_approval_an_array()
    {
        using var server = new ScriptedLinkServer(r => r.PathAndQuery.EndsWith("/cancel", StringComparison.Ordinal)
            ? ScriptedLinkServer.Json(SpendRequest("canceled"))
            : ScriptedLinkServer.Json("""{"id":"lsrq_1","approval_link":"https://app.link.com/approve/lsrq_1"}"""));

        var cancel = await RunAsync(server, "spend-request", "cancel", "lsrq_1");
        var approval = await RunAsync(server, "spend-request", "request-approval", "lsrq_1");

        Assert.That(JsonNode.Parse(cancel.Stdout)!["status"]!.GetValue<string>(), Is.EqualTo("canceled"));
        var link = JsonNode.Parse(approval.Stdout)!.AsArray().Single()!;
        Assert.That(link["approval_link"]!.GetValue<string>(), Is.EqualTo("https://app.link.com/approve/lsrq_1"));
        Assert.That(link["_next"]!["command"]!.GetValue<string>(), Does.StartWith("spend-request retrieve lsrq_1 --interval"));
        var requests = server.Requests.ToList();
        Assert.That(requests.Select(r => (r.Method, r.PathAndQuery)), Is.EqualTo(new[] { ("POST", "/api/spend_requests/lsrq_1/cancel"), ("POST", "/api/spend_requests/lsrq_1/request_approval") }));
        Assert.That(requests.Select(r => r.Body), Is.All.Empty, "bodyless POSTs");
    }

    [Test]
    public async Task Mpp_pay_answers_the_challenge_with_the_spend_requests_token_and_reports_the_final_response()
    {
        var request = MppRequestB64("""{"amount":"500","currency":"usd","methodDetails":{"networkId":"net_1"}}""");
        using var server = new ScriptedLinkServer(r =>
        {
            if (r.PathAndQuery.StartsWith("/api/spend_requests/", StringComparison.Ordinal))
            {
                return ScriptedLinkServer.Json("""{"id":"lsrq_spt","status":"approved","credential_type":"shared_payment_token","shared_payment_token":"spt_123"}""");
            }
            if (r.Authorization is null)
            {
                var challenge = new ScriptedResponse(402, "{\"error\":\"payment required\"}");
                challenge.Headers["WWW-Authenticate"] = $"Payment id=\"ch_1\", realm=\"shop\", method=\"stripe\", intent=\"charge\", request=\"{request}\"";
                return challenge;
            }
            return ScriptedLinkServer.Json("{\"paid\":true}");
        });
        var url = new Uri(server.BaseUrl, "merchant/resource").ToString();

        var (exit, stdout, _) = await RunAsync(server, "mpp", "pay", url, "--spend-request-id", "lsrq_spt", "-X", "POST", "-d", "{\"q\":1}", "-H", "X-Test: yes");

        Assert.That(exit, Is.Zero, stdout);
        var result = JsonNode.Parse(stdout)!.AsArray().Single()!;
        Assert.That(result["status"]!.GetValue<int>(), Is.EqualTo(200));
        Assert.That(result["body"]!.GetValue<string>(), Is.EqualTo("{\"paid\":true}"));
        Assert.That(result["headers"]!["content-type"]!.GetValue<string>(), Does.StartWith("application/json"));
        var requests = server.Requests.ToList();
        Assert.That(requests.Select(r => r.PathAndQuery), Is.EqualTo(new[] { "/merchant/resource", "/api/spend_requests/lsrq_spt?include=shared_payment_token", "/merchant/resource" }));
        var paid = requests[2];
        Assert.That(paid.Method, Is.EqualTo("POST"));
        Assert.That(paid.Body, Is.EqualTo("{\"q\":1}"));
        var credential = JsonNode.Parse(Link.MppChallenge.Base64UrlDecode(paid.Authorization!["Payment ".Length..]))!;
        Assert.That(credential["payload"]!["spt"]!.GetValue<string>(), Is.EqualTo("spt_123"));
        Assert.That(credential["challenge"]!["id"]!.GetValue<string>(), Is.EqualTo("ch_1"));
        Assert.That(credential["challenge"]!["request"]!.GetValue<string>(), Is.EqualTo(request));
    }

    [Test]
    public async Task Mpp_decode_prints_the_challenge_fields_network_id_and_request_json()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json("{}"));
        var request = MppRequestB64("""{"amount":"500","currency":"usd","methodDetails":{"networkId":"net_1","paymentMethodTypes":["card"]}}""");

        var (exit, stdout, _) = await RunAsync(server, "mpp", "decode", "--challenge",
            $"Payment id=\"ch_1\", realm=\"shop\", method=\"stripe\", intent=\"charge\", request=\"{request}\", description=\"Coffee\"");

        Assert.That(exit, Is.Zero);
        Assert.That(JsonNode.Parse(stdout)!.ToJsonString(), Is.EqualTo(
            "{\"id\":\"ch_1\",\"realm\":\"shop\",\"method\":\"stripe\",\"intent\":\"charge\",\"description\":\"Coffee\",\"network_id\":\"net_1\",\"request_json\":{\"amount\":\"500\",\"currency\":\"usd\",\"methodDetails\":{\"networkId\":\"net_1\",\"paymentMethodTypes\":[\"card\"]}}}"));
        Assert.That(server.Requests, Is.Empty);
    }

    [Test]
    public async Task Without_a_login_middleware_commands_say_NOT_AUTHENTICATED_and_create_says_UNKNOWN_after_validation()
    {
        using var server = new ScriptedLinkServer(_ => ScriptedLinkServer.Json("{}"));
        File.WriteAllText(_authFile, "{\"auth\":null,\"pendingDeviceAuth\":null}");

        var list = await RunAsync(server, "payment-methods", "list");
        var create = await RunAsync(server, "spend-request", "create", "--amount", "100", "--merchant-name", "M", "--merchant-url", "https://m.example", "--context", Context);
        var status = await RunAsync(server, "auth", "status");

        Assert.That(JsonNode.Parse(list.Stdout)!["code"]!.GetValue<string>(), Is.EqualTo("NOT_AUTHENTICATED"));
        Assert.That(JsonNode.Parse(list.Stdout)!["cta"], Is.Not.Null);
        Assert.That(JsonNode.Parse(create.Stdout)!.ToJsonString(), Is.EqualTo("{\"code\":\"UNKNOWN\",\"message\":\"Not authenticated. Run \\u0022link-cli auth login\\u0022 first.\"}"));
        Assert.That(status.ExitCode, Is.Zero);
        Assert.That(JsonNode.Parse(status.Stdout)![0]!["authenticated"]!.GetValue<bool>(), Is.False);
        Assert.That(server.Requests, Is.Empty);
    }

    [Test]
    public async Task Version_help_and_unknown_flags_behave_like_link_cli()
    {
        var version = await StandInCli.RunAsync(["--version"]);
        var help = await StandInCli.RunAsync(["--help"]);
        var unknown = await StandInCli.RunAsync(["payment-methods", "list", "--bogus", "--format", "json", "--auth", _authFile]);

        Assert.That((version.ExitCode, version.Stdout.Trim()), Is.EqualTo((0, "0.13.1")));
        Assert.That(help.ExitCode, Is.Zero);
        Assert.That(help.Stdout, Does.Contain("spend-request retrieve"));
        Assert.That(unknown.ExitCode, Is.EqualTo(1));
        Assert.That(JsonNode.Parse(unknown.Stdout)!.ToJsonString(), Is.EqualTo("{\"code\":\"UNKNOWN\",\"message\":\"Unknown flag: --bogus\"}"));
    }

    [Test]
    public async Task Auth_path_without_json_gets_json_appended()
    {
        var bare = Path.Combine(_directory.Path, "identity-b");

        var (exit, stdout, _) = await StandInCli.RunAsync(["auth", "status", "--format", "json", "--auth", bare]);

        Assert.That(exit, Is.Zero);
        Assert.That(JsonNode.Parse(stdout)![0]!["credentials_path"]!.GetValue<string>(), Is.EqualTo(bare + ".json"));
        Assert.That(File.Exists(bare + ".json"), Is.True, "conf creates the store on first read");
    }

    private static string MppRequestB64(string json) => Link.MppChallenge.Base64UrlEncode(System.Text.Encoding.UTF8.GetBytes(json));
}
