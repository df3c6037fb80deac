using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Service;

namespace CheckoutAgent.Tests.Clients;

/// <summary>
/// <c>checkout-agent purchase …</c> run in-process against the real serve host. Link approval is manual, so purchases
/// wait for approval and can be canceled.
/// </summary>
public class PurchaseCommandTests
{
    private const string Context =
        "Buying one pour-over dripper from the demo shop for the office kitchen, as asked in ticket 42; a one-time sandbox purchase.";

    private TestService _service = null!;
    private HttpClient _api = null!;
    private string _token = "";
    private string _server = "";

    [OneTimeSetUp]
    public async Task StartService()
    {
        _service = await TestService.StartAsync(sandboxOptions: new LinkSandboxOptions { Approval = SandboxApprovalMode.Manual });
        var (client, agent) = await _service.AddAgentAsync("cli-tester");
        (_api, _token, _server) = (client, agent.Token, _service.BaseAddress.ToString().TrimEnd('/'));
    }

    [OneTimeTearDown]
    public async Task StopService() => await _service.DisposeAsync();

    private Task<CliRun> Run(params string[] args) => ClientCli.RunAsync([.. args, "--server", _server, "--token", _token]);

    private static string[] Options(string? key = null) =>
    [
        "purchase", "create", "--recipe", "demo-shop", "--merchant-url", "http://shop.example.test",
        "--item", "Pour-over dripper|2|1200|http://shop.example.test/p/dripper", "--item", "Filters|1|300",
        "--amount", "2900", "--currency", "usd", "--context", Context,
        "--buyer-email", "jane.doe@example.com", "--buyer-name", "Jane Doe",
        "--ship-name", "Jane Doe", "--ship-line1", "510 Townsend St", "--ship-city", "San Francisco", "--ship-state", "CA",
        "--ship-postal-code", "94103", "--ship-country", "US",
        "--metadata", "ticket=42", "--metadata", "team=kitchen=yes",
        .. key is null ? Array.Empty<string>() : ["--idempotency-key", key],
    ];

    private string BodyFile(object? body = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"checkout-agent-body-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(body ?? _service.PurchaseBody()));
        return path;
    }

    [Test]
    public async Task Create_with_options_sends_every_field_and_prints_the_purchase_and_its_key()
    {
        var run = await Run(Options());

        Assert.That(run.Code, Is.Zero, run.ToString());
        Assert.That(run.Out, Does.StartWith("queued purchase pur_").And.Contains("amount:   $29.00").And.Contains("2 × Pour-over dripper at $12.00"));
        var key = System.Text.RegularExpressions.Regex.Match(run.Out, @"idempotency key: (\S+)").Groups[1].Value;
        Assert.That(Guid.TryParse(key, out _), Is.True, "a new UUID by default, printed for retries: " + run.Out);
        Assert.That(run.Out, Does.Contain($"--idempotency-key {key}").And.Contain("checkout-agent purchase get pur_"));

        var id = System.Text.RegularExpressions.Regex.Match(run.Out, @"pur_\w+").Value;
        var purchase = await _api.GetFromJsonAsync<JsonElement>($"/v1/purchases/{id}");
        Assert.That(purchase.GetProperty("amount").GetInt64(), Is.EqualTo(2900));
        var items = purchase.GetProperty("items");
        Assert.That(items.GetArrayLength(), Is.EqualTo(2));
        Assert.That(items[0].GetProperty("product_url").GetString(), Is.EqualTo("http://shop.example.test/p/dripper"));
        Assert.That(items[1].GetProperty("quantity").GetInt32(), Is.EqualTo(1));
        Assert.That(purchase.GetProperty("buyer").GetProperty("email").GetString(), Is.EqualTo("jane.doe@example.com"));
        Assert.That(purchase.GetProperty("shipping").GetProperty("postal_code").GetString(), Is.EqualTo("94103"));
        Assert.That(purchase.GetProperty("metadata").GetProperty("team").GetString(), Is.EqualTo("kitchen=yes"));
    }

    [Test]
    public async Task Create_with_wallet_buyer_and_shipping_sends_the_string_wallet()
    {
        var run = await Run("purchase", "create", "--recipe", "demo-shop", "--item", "Pour-over dripper|1|2400", "--amount", "2400",
            "--context", Context, "--buyer", "wallet", "--shipping", "wallet", "--json");

        Assert.That(run.Code, Is.Zero, run.ToString());
        var purchase = run.Json();
        Assert.That(purchase.GetProperty("buyer").GetString(), Is.EqualTo("wallet"));
        Assert.That(purchase.GetProperty("shipping").GetString(), Is.EqualTo("wallet"));
    }

    [Test]
    public async Task Create_with_body_file_and_json_prints_only_the_api_json_on_stdout()
    {
        var file = BodyFile();
        try
        {
            var run = await Run("purchase", "create", "--body", file, "--json", "--idempotency-key", "body-" + Guid.NewGuid());

            Assert.That(run.Code, Is.Zero, run.ToString());
            var purchase = run.Json();
            Assert.That(purchase.GetProperty("object").GetString(), Is.EqualTo("purchase"));
            Assert.That(purchase.GetProperty("recipe").GetString(), Is.EqualTo("demo-shop"));
            Assert.That(run.Err, Does.StartWith("idempotency key: body-"), "the key goes to stderr so stdout stays JSON");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task The_same_key_replays_the_first_purchase_and_says_so()
    {
        var key = "replay-" + Guid.NewGuid();
        var first = await Run(Options(key));
        var second = await Run(Options(key));
        var third = await Run([.. Options(key), "--json"]);

        Assert.That(first.Code, Is.Zero, first.ToString());
        Assert.That(second.Code, Is.Zero, second.ToString());
        var id = System.Text.RegularExpressions.Regex.Match(first.Out, @"pur_\w+").Value;
        Assert.That(second.Out, Does.StartWith("replayed:").And.Contain($"purchase {id} is the one it created").And.Contain("nothing new was queued"));
        Assert.That(third.Json().GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(third.Err, Does.Contain("replayed"));
    }

    [Test]
    public async Task The_same_key_with_another_body_is_refused_with_exit_2()
    {
        var key = "reuse-" + Guid.NewGuid();
        await Run(Options(key));
        var run = await Run([.. Options(key).Select(a => a == "2900" ? "3000" : a)]);

        Assert.That(run.Code, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.StartWith("error: idempotency_key_reused"));
    }

    [Test]
    public async Task An_api_validation_error_prints_code_field_and_message_with_exit_2()
    {
        var run = await Run([.. Options().Select(a => a == Context ? "too short" : a)]);

        Assert.That(run.Code, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.Match(@"^error: invalid_field \(context\): \S"));
        Assert.That(run.Out, Is.Empty);
    }

    [Test]
    public async Task A_missing_required_field_is_named()
    {
        var run = await Run([.. Options().Where(a => a is not ("--amount" or "2900"))]);

        Assert.That(run.Code, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.Contain("error: missing_field (amount):"));
    }

    [TestCase("--item", "Dripper|one|2400", "--item: give \"NAME|QTY|UNIT_CENTS[|PRODUCT_URL]\"")]
    [TestCase("--metadata", "novalue", "--metadata: give KEY=VALUE")]
    [TestCase("--buyer", "wallet", "give either --buyer wallet or --buyer-email, --buyer-name, not both")]
    [TestCase("--shipping", "home", "--shipping takes only 'wallet'")]
    [TestCase("--body", "x.json", "give either --body or the purchase options, not both")]
    public async Task Bad_options_are_refused_before_any_call(string option, string value, string message)
    {
        var run = await ClientCli.RunAsync([.. Options(), option, value, "--server", "http://127.0.0.1:1", "--token", "cat_x"]);

        Assert.That(run.Code, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.StartWith("error: ").And.Contain(message));
    }

    [Test]
    public async Task Create_without_a_body_or_options_says_what_to_give()
    {
        var run = await Run("purchase", "create");

        Assert.That(run.Code, Is.EqualTo(2));
        Assert.That(run.Err, Does.Contain("give the purchase: --body FILE.json, or options"));
    }

    [Test]
    public async Task A_body_file_that_is_not_json_names_the_option_and_the_line()
    {
        var file = Path.Combine(Path.GetTempPath(), $"checkout-agent-bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{\n  \"recipe\": demo\n}");
        try
        {
            var run = await Run("purchase", "create", "--body", file);

            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Err, Does.StartWith("error: --body:").And.Contain("not valid JSON at line 2"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Get_shows_the_purchase_with_its_timeline_and_json_parses()
    {
        var id = (await Run([.. Options(), "--json"])).Json().GetProperty("id").GetString()!;

        var human = await Run("purchase", "get", id);
        var json = await Run("purchase", "get", id, "--json");

        Assert.That(human.Code, Is.Zero, human.ToString());
        Assert.That(human.Out, Does.StartWith($"purchase {id}  ").And.Contains("recipe:   demo-shop (http://shop.example.test)").And.Contains("timeline:"));
        Assert.That(json.Json().GetProperty("timeline").GetArrayLength(), Is.GreaterThan(0));
    }

    [Test]
    public async Task Get_of_an_unknown_purchase_is_not_found_with_exit_2()
    {
        var run = await Run("purchase", "get", "pur_doesnotexist");

        Assert.That(run.Code, Is.EqualTo(2));
        Assert.That(run.Err, Does.StartWith("error: not_found: no purchase 'pur_doesnotexist'"));
    }

    [Test]
    public async Task List_prints_a_table_and_how_to_get_the_next_page()
    {
        var older = (await Run([.. Options(), "--json"])).Json().GetProperty("id").GetString()!;
        var newer = (await Run([.. Options(), "--json"])).Json().GetProperty("id").GetString()!;

        var page = await Run("purchase", "list", "--recipe", "demo-shop", "--limit", "1");
        var next = await Run("purchase", "list", "--recipe", "demo-shop", "--limit", "1", "--starting-after", newer);
        var json = await Run("purchase", "list", "--json");

        Assert.That(page.Code, Is.Zero, page.ToString());
        var lines = page.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("ID").And.Contains("STATUS").And.Contains("AMOUNT"));
        Assert.That(lines[1], Does.StartWith(newer).And.Contains("$29.00").And.Contains("2 × Pour-over dripper (+1 more)"));
        Assert.That(lines[^1], Is.EqualTo($"more: checkout-agent purchase list --recipe demo-shop --limit 1 --starting-after {newer}"));
        Assert.That(next.Out, Does.Contain(older));
        Assert.That(json.Json().GetProperty("object").GetString(), Is.EqualTo("list"));
        Assert.That(json.Json().GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()), Does.Contain(newer));
    }

    [Test]
    public async Task List_with_a_bad_filter_names_the_query_parameter()
    {
        var run = await Run("purchase", "list", "--status", "lost");

        Assert.That(run.Code, Is.EqualTo(2));
        Assert.That(run.Err, Does.StartWith("error: invalid_query (status): status must be one of"));
    }

    [Test]
    public async Task Cancel_cancels_a_waiting_purchase_and_a_second_cancel_is_refused()
    {
        var id = (await Run([.. Options(), "--json"])).Json().GetProperty("id").GetString()!;

        var cancel = await Run("purchase", "cancel", id);
        var again = await Run("purchase", "cancel", id);

        Assert.That(cancel.Code, Is.Zero, cancel.ToString());
        Assert.That(cancel.Out, Does.StartWith($"canceled purchase {id}: now failed"));
        Assert.That(again.Code, Is.EqualTo(2), again.ToString());
        Assert.That(again.Err, Does.StartWith("error: purchase_ended:"));
    }

    [Test]
    public async Task A_wrong_token_is_unauthenticated_with_exit_2()
    {
        var run = await ClientCli.RunAsync("purchase", "list", "--server", _server, "--token", "cat_not_a_real_token");

        Assert.That(run.Code, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.StartWith("error: unauthenticated"));
        Assert.That(run.Err, Does.Not.Contain("cat_not_a_real_token"));
    }

    [Test]
    public async Task An_unreachable_server_exits_3_with_a_hint_to_start_serve()
    {
        var run = await ClientCli.RunAsync("purchase", "list", "--server", "http://127.0.0.1:1", "--token", _token);

        Assert.That(run.Code, Is.EqualTo(3), run.ToString());
        Assert.That(run.Err, Does.StartWith("error: unreachable: cannot reach the server at http://127.0.0.1:1: is `checkout-agent serve` running?"));
    }

    [Test]
    public async Task A_missing_token_names_the_option_and_the_variable()
    {
        var run = await ClientCli.RunProcessAsync(new Dictionary<string, string> { ["CHECKOUT_AGENT_URL"] = _server }, "purchase", "list");

        Assert.That(run.Code, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.StartWith("error: no agent token: pass --token or set CHECKOUT_AGENT_TOKEN"));
        Assert.That(run.Out, Is.Empty);
    }

    [Test]
    public async Task The_server_and_token_come_from_the_environment()
    {
        var run = await ClientCli.RunProcessAsync(
            new Dictionary<string, string> { ["CHECKOUT_AGENT_URL"] = _server, ["CHECKOUT_AGENT_TOKEN"] = _token }, "purchase", "list", "--json");

        Assert.That(run.Code, Is.Zero, run.ToString());
        Assert.That(run.Json().GetProperty("object").GetString(), Is.EqualTo("list"));
    }

    [Test]
    public void Help_describes_the_verbs_and_never_shows_a_token_from_the_environment()
    {
        Environment.SetEnvironmentVariable("CHECKOUT_AGENT_TOKEN", "cat_secret_seen_only_by_the_action");
        try
        {
            using var output = new StringWriter();
            CheckoutAgent.Worker.Cli.CliApp.Create().Parse(["purchase", "create", "--help"])
                .Invoke(new System.CommandLine.InvocationConfiguration { Output = output });

            Assert.That(output.ToString(), Does.Contain("--idempotency-key").And.Contain("NAME|QTY|UNIT_CENTS[|PRODUCT_URL]")
                .And.Contain("$CHECKOUT_AGENT_TOKEN").And.Not.Contain("cat_secret"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CHECKOUT_AGENT_TOKEN", null);
        }
    }
}
