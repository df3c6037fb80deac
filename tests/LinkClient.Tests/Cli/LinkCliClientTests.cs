using CheckoutAgent.Link;
using CheckoutAgent.Link.Cli;

namespace CheckoutAgent.Tests.LinkClient.Cli;

/// <summary>
/// The client's own logic with a scripted runner in place of the process: arguments, the polling rounds, error mapping
/// and local validation. The process itself is covered by the stand-in and emulator tests.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LinkCliClientTests
{
    private const string Pending = """[{"id":"lsrq_1","status":"pending_approval","amount":2500,"currency":"usd","created_at":"2026-05-01T12:00:00.000Z"}]""";

    private static string Approved(string file) =>
        $$"""[{"id":"lsrq_1","status":"pending_approval"},{"id":"lsrq_1","status":"approved","amount":2500,"currency":"usd","card_brand":"visa","card_last4":"4242","card_output_file":"{{file}}","created_at":"2026-05-01T12:00:00.000Z"}]""";

    private const string PollingTimeout =
        """{"code":"POLLING_TIMEOUT","message":"Polling stopped before spend request lsrq_1 reached a terminal status: timeout (2s) reached; current status is pending_approval.","retryable":true}""";

    [Test]
    public async Task Create_passes_every_field_as_link_cli_flags_and_returns_at_once()
    {
        var runner = new ScriptedRunner(_ => new CliRun(0, Pending, ""));
        var client = new LinkCliClient(new LinkCliOptions { AuthFile = "/x/auth.json" }, runner, null);
        var created = await client.CreateSpendRequestAsync(new SpendRequestCreateOptions
        {
            Amount = 2500,
            MerchantName = "Shop Example",
            MerchantUrl = TestData.MerchantUrl,
            Context = TestData.Context,
            PaymentMethodId = "csmrpd_1",
            LineItems = [new LineItem("Blue Widget", 2, 1250, "https://shop.example/p/1") { Sku = "BW-1" }],
            Totals = [new Total("total", "Total", 2500)],
            Metadata = new Dictionary<string, string> { ["order_id"] = "ord_1" },
            Test = true,
            RequestApproval = false,
        }, CancellationToken.None);

        Assert.That(created.Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
        Assert.That(runner.Calls, Has.Count.EqualTo(1));
        Assert.That(runner.Calls[0], Is.EqualTo(new[]
        {
            "spend-request", "create", "--payment-method-id", "csmrpd_1", "--credential-type", "card", "--amount", "2500", "--currency", "usd",
            "--merchant-name", "Shop Example", "--merchant-url", TestData.MerchantUrl, "--context", TestData.Context,
            "--line-item", "name:Blue Widget,quantity:2,unit_amount:1250,product_url:https://shop.example/p/1,sku:BW-1",
            "--total", "type:total,display_text:Total,amount:2500", "--metadata", "order_id:ord_1", "--test", "--no-request-approval",
            "--format", "json", "--auth", "/x/auth.json",
        }));
    }

    [Test]
    public void Create_with_bad_input_fails_locally_and_runs_nothing()
    {
        var runner = new ScriptedRunner(_ => throw new AssertionException("the CLI must not run"));
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);

        var error = Assert.ThrowsAsync<LinkException>(() => client.CreateSpendRequestAsync(TestData.Card(amount: 60_000), CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.InvalidRequest));
        Assert.That(error.Field, Is.EqualTo("amount"));
        Assert.That(runner.Calls, Is.Empty);
    }

    [Test]
    public void A_line_item_name_with_a_comma_is_refused_because_link_cli_would_split_it()
    {
        var runner = new ScriptedRunner(_ => throw new AssertionException("the CLI must not run"));
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);
        var options = TestData.Card();
        var withComma = new SpendRequestCreateOptions
        {
            Amount = options.Amount, MerchantName = options.MerchantName, MerchantUrl = options.MerchantUrl, Context = options.Context,
            LineItems = [new LineItem("Widget, blue", 1, options.Amount)],
        };

        var error = Assert.ThrowsAsync<LinkException>(() => client.CreateSpendRequestAsync(withComma, CancellationToken.None));

        Assert.That(error!.Field, Is.EqualTo("line_items[0].name"));
        Assert.That(runner.Calls, Is.Empty);
    }

    [Test]
    public async Task Waiting_polls_the_same_request_again_after_each_POLLING_TIMEOUT_until_approved()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "cards", "lsrq_1.json");
        var answers = new Queue<CliRun>([new(1, PollingTimeout, ""), new(1, PollingTimeout, ""), new(0, Approved(file), "")]);
        var runner = new ScriptedRunner(_ => answers.Dequeue());
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);

        var approved = await client.WaitForApprovalAsync("lsrq_1", file, TimeSpan.FromSeconds(2), DateTimeOffset.UtcNow.AddMinutes(10), CancellationToken.None);

        Assert.That(approved.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(approved.CardOutputFile, Is.EqualTo(file));
        Assert.That((approved.CardBrand, approved.CardLast4), Is.EqualTo(("visa", "4242")));
        Assert.That(runner.Calls, Has.Count.EqualTo(3));
        Assert.That(runner.Calls.Select(c => c[2]), Is.All.EqualTo("lsrq_1"));
        Assert.That(runner.Calls.SelectMany(c => c).Where(a => a == "create"), Is.Empty, "never a second spend request");
        Assert.That(runner.Calls[0], Is.SupersetOf(new[] { "retrieve", "--interval", "2", "--include", "card", "--output-file", file }));
        Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(file)!), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public async Task Each_round_is_bounded_by_the_deadline_and_the_round_length()
    {
        var time = new ManualTimeProvider();
        using var directory = new TempDirectory();
        var answers = new Queue<CliRun>([new(1, PollingTimeout, ""), new(0, Approved(directory.File("c.json")), "")]);
        var runner = new ScriptedRunner(_ =>
        {
            time.Advance(TimeSpan.FromSeconds(300));
            return answers.Dequeue();
        });
        var client = new LinkCliClient(new LinkCliOptions { PollRound = TimeSpan.FromMinutes(5) }, runner, time);

        await client.WaitForApprovalAsync("lsrq_1", directory.File("c.json"), TimeSpan.FromSeconds(2), time.GetUtcNow().AddSeconds(420), CancellationToken.None);

        Assert.That(TimeoutOf(runner.Calls[0]), Is.EqualTo("300"), "first round: the round length");
        Assert.That(TimeoutOf(runner.Calls[1]), Is.EqualTo("120"), "second round: what is left before the deadline");
    }

    [Test]
    public void Past_the_deadline_while_pending_it_throws_POLLING_TIMEOUT_naming_the_status()
    {
        var time = new ManualTimeProvider();
        var runner = new ScriptedRunner(_ =>
        {
            time.Advance(TimeSpan.FromSeconds(61));
            return new CliRun(1, PollingTimeout, "");
        });
        var client = new LinkCliClient(new LinkCliOptions(), runner, time);
        using var directory = new TempDirectory();

        var error = Assert.ThrowsAsync<LinkException>(() =>
            client.WaitForApprovalAsync("lsrq_1", directory.File("c.json"), TimeSpan.FromSeconds(2), time.GetUtcNow().AddSeconds(120), CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.PollingTimeout));
        Assert.That(error.Message, Does.Contain("lsrq_1").And.Contain("pending_approval").And.Contain("do not create a new one"));
        Assert.That(runner.Calls, Has.Count.EqualTo(2));
    }

    [TestCase("""{"code":"NOT_FOUND","message":"Spend request lsrq_x not found"}""", "NOT_FOUND")]
    [TestCase("""{"code":"VALIDATION_ERROR","message":"Invalid options","fieldErrors":[]}""", "VALIDATION_ERROR")]
    [TestCase("""{"code":"UNKNOWN","message":"Not authenticated. Run \"link-cli auth login\" first."}""", "NOT_AUTHENTICATED")]
    [TestCase("""{"code":"UNKNOWN","message":"Token refresh failed (400): invalid_grant"}""", "NOT_AUTHENTICATED")]
    [TestCase("""{"code":"UNKNOWN","message":"Failed to cancel spend request (404): No such spend request"}""", "NOT_FOUND")]
    [TestCase("""{"code":"UNKNOWN","message":"Request failed: GET http://127.0.0.1:1/spend_requests/lsrq_1"}""", "UNKNOWN")]
    [TestCase("""{"code":"OUTPUT_FILE_WRITE_ERROR","message":"OUTPUT_FILE_SYMLINK: /x is a symbolic link. Refusing to write credentials through it."}""", "OUTPUT_FILE_SYMLINK")]
    public void Error_json_becomes_a_LinkException_with_a_stable_code(string stdout, string code)
    {
        var client = new LinkCliClient(new LinkCliOptions(), new ScriptedRunner(_ => new CliRun(1, stdout, "")), null);

        var error = Assert.ThrowsAsync<LinkException>(() => client.RetrieveSpendRequestAsync("lsrq_1", CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(code));
    }

    [Test]
    public void A_crash_without_error_json_is_CLI_UNAVAILABLE_and_card_numbers_in_its_output_are_masked()
    {
        var client = new LinkCliClient(new LinkCliOptions(), new ScriptedRunner(_ => new CliRun(134, "partial {\"number\":\"4242424242424242\"", "TypeError at 4000 0566 5566 5556")), null);

        var error = Assert.ThrowsAsync<LinkException>(() => client.ListPaymentMethodsAsync(CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.CliUnavailable));
        Assert.That(error.Message, Does.Contain("134").And.Not.Contain("4242424242424242").And.Not.Contain("4000 0566 5566 5556"));
    }

    [Test]
    public void A_card_number_in_an_error_message_is_masked()
    {
        var stdout = """{"code":"UNKNOWN","message":"Failed to retrieve spend request (500): card 4242424242424242 broke"}""";
        var client = new LinkCliClient(new LinkCliOptions(), new ScriptedRunner(_ => new CliRun(1, stdout, "")), null);

        var error = Assert.ThrowsAsync<LinkException>(() => client.RetrieveSpendRequestAsync("lsrq_1", CancellationToken.None));

        Assert.That(error!.Message, Does.Not.Contain("4242424242424242").And.Contain("•••• 4242"));
    }

    [Test]
    public void An_argument_that_looks_like_a_card_number_is_never_passed()
    {
        var runner = new ScriptedRunner(_ => throw new AssertionException("the CLI must not run"));
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);

        var error = Assert.ThrowsAsync<LinkException>(() => client.RetrieveSpendRequestAsync("lsrq_4242424242424242", CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.InvalidRequest));
        Assert.That(error.Message, Does.Not.Contain("4242424242424242"));
        Assert.That(runner.Calls, Is.Empty);
    }

    [Test]
    public async Task A_card_file_path_with_long_digit_runs_is_passed_unchanged()
    {
        // A GUID-named directory can hold a Luhn-valid run of 13+ digits; the path is ours, not card data.
        var directory = Path.Combine(Path.GetTempPath(), "linkclient-tests-4242424242424242");
        var file = Path.Combine(directory, "c.json");
        var runner = new ScriptedRunner(_ => new CliRun(0, Approved(file), ""));
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);
        try
        {
            await client.WaitForApprovalAsync("lsrq_1", file, TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Assert.That(runner.Calls.Single(), Does.Contain(file));
    }

    private static string TimeoutOf(IReadOnlyList<string> call) => call[call.ToList().IndexOf("--timeout") + 1];

    [Test]
    public async Task Retrieve_retries_a_5xx_with_backoff_and_returns_the_answer_that_follows()
    {
        const string busy = """{"code":"UNKNOWN","message":"Failed to retrieve spend request (503): upstream busy"}""";
        var calls = 0;
        var flaky = new ScriptedRunner(_ => ++calls <= 2 ? new CliRun(1, busy, "") : new CliRun(0, Pending, ""));
        var client = new LinkCliClient(new LinkCliOptions(), flaky, null);

        var request = await client.RetrieveSpendRequestAsync("lsrq_1", CancellationToken.None);

        Assert.That(request.Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
        Assert.That(flaky.Calls, Has.Count.EqualTo(3), "two 503s, then the answer");
    }

    [Test]
    public void Retrieve_gives_up_after_bounded_retries_with_a_retryable_error()
    {
        var runner = new ScriptedRunner(_ => new CliRun(1, """{"code":"UNKNOWN","message":"Failed to retrieve spend request (502): <html>Bad gateway</html>"}""", ""));
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);

        var error = Assert.ThrowsAsync<LinkException>(() => client.RetrieveSpendRequestAsync("lsrq_1", CancellationToken.None));

        Assert.That(error!.Retryable, Is.True);
        Assert.That(runner.Calls, Has.Count.EqualTo(4), "the first try and three retries, no more");
    }

    [Test]
    public void A_404_is_not_retried()
    {
        var runner = new ScriptedRunner(_ => new CliRun(1, """{"code":"NOT_FOUND","message":"Spend request lsrq_1 not found"}""", ""));
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);

        var error = Assert.ThrowsAsync<LinkException>(() => client.RetrieveSpendRequestAsync("lsrq_1", CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.NotFound));
        Assert.That(runner.Calls, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_duplicate_create_is_a_typed_retryable_rate_limit_naming_the_open_request()
    {
        var runner = new ScriptedRunner(_ => new CliRun(1, """{"code":"spend_request_rate_limited","message":"Failed to create spend request (429): A spend request with these details is already open. A matching spend request already exists: lsrq_open1 (status: pending_approval). Retrieve it to resume instead of creating a new one."}""", ""));
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);

        var error = Assert.ThrowsAsync<LinkException>(() => client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.RateLimited));
        Assert.That(error.DuplicateSpendRequestId, Is.EqualTo("lsrq_open1"));
        Assert.That(error.Retryable, Is.True);
        Assert.That(runner.Calls, Has.Count.EqualTo(1), "a create is never repeated by the client itself: the caller decides");
    }

    [Test]
    public async Task Waiting_goes_on_when_a_newer_cli_returns_a_3ds_requires_action_with_auto_resume()
    {
        const string action = """{"id":"lsrq_1","status":"requires_action","amount":2500,"currency":"usd","status_details":{"requires_action":{"next_action":{"type":"three_d_secure","resolution":"auto_resume","display_message":"Confirm in the Link app","action_url":null,"expires_at":1777640000}}}}""";
        const string succeeded = """{"id":"lsrq_1","status":"succeeded","amount":2500,"currency":"usd"}""";
        var calls = 0;
        var runner = new ScriptedRunner(_ => new CliRun(0, "[" + (++calls == 1 ? action : succeeded) + "]", ""));
        using var directory = new TempDirectory();
        var client = new LinkCliClient(new LinkCliOptions(), runner, null);

        var ended = await client.WaitForApprovalAsync("lsrq_1", Path.Combine(directory.Path, "card.json"), TimeSpan.FromMilliseconds(50),
            DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);

        Assert.That(ended.Status, Is.EqualTo(SpendRequestStatus.Succeeded));
        Assert.That(runner.Calls, Has.Count.EqualTo(2), "the same request, polled again; never a create");
        Assert.That(runner.Calls.All(c => c[1] == "retrieve"), Is.True);
    }

    [Test]
    public void Next_action_is_read_typed_with_its_expiry()
    {
        var request = CliJson.SpendRequest(System.Text.Json.JsonDocument.Parse("""{"id":"lsrq_1","status":"requires_action","status_details":{"requires_action":{"next_action":{"type":"identity_verification","resolution":"create_new_spend_request","display_message":"Verify your identity","action_url":"https://app.link.com/x","expires_at":1777640000}}}}""").RootElement);

        Assert.That(request.NextAction, Is.EqualTo(new NextAction("identity_verification", NextActionResolutions.CreateNewSpendRequest, "Verify your identity", "https://app.link.com/x")
        {
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(1777640000),
        }));
        Assert.That(request.IsWaiting(), Is.False, "not auto_resume: the person must act and a new request is needed");
        Assert.That((request with { NextAction = request.NextAction! with { Resolution = NextActionResolutions.AutoResume } }).IsWaiting(), Is.True);
    }

    private sealed class ScriptedRunner(Func<IReadOnlyList<string>, CliRun> answer) : ICliRunner
    {
        public List<IReadOnlyList<string>> Calls { get; } = [];

        public Task<CliRun> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Calls.Add(arguments.ToList());
            return Task.FromResult(answer(arguments));
        }
    }
}
