// Expected values read best inline, next to the assertion.
#pragma warning disable CA1861
using System.Net;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Link.Cli;
using CheckoutAgent.Link.Emulator;

namespace CheckoutAgent.Tests.LinkClient.Cli;

/// <summary>
/// Every <see cref="ILinkClient"/> call end to end: <see cref="LinkCliClient"/> → the stand-in link-cli (a real child
/// process) → the Link emulator over HTTP. Every CLI run is recorded, so the tests can also prove no card number ever
/// shows in what the CLI printed or what the client surfaced.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Category("Process")]
public sealed class LinkCliClientEmulatorTests
{
    private LinkEmulatorServer _emulator = null!;
    private TempDirectory _directory = null!;
    private RecordingRunner _runner = null!;
    private LinkCliClient _client = null!;
    private LinkCliOptions _options = null!;

    private async Task StartAsync(EmulatorApprovalMode approval = EmulatorApprovalMode.Auto, TimeSpan? expireAfter = null,
        CheckoutAgent.Link.Sandbox.LinkSandboxOptions? sandbox = null)
    {
        _emulator = await LinkEmulatorServer.StartAsync(new LinkEmulatorOptions
        {
            Approval = approval, ExpireAfter = expireAfter ?? TimeSpan.Zero, Sandbox = sandbox ?? new(),
        });
        _directory = new TempDirectory();
        var authFile = _emulator.WriteAuthFile(Path.Combine(_directory.Path, "auth.json"));
        _options = StandInCli.Options(authFile, _emulator.ApiBaseUrl, _emulator.AuthBaseUrl);
        _options.PollRound = TimeSpan.FromSeconds(1);
        _runner = new RecordingRunner(new ProcessCliRunner(_options));
        _client = new LinkCliClient(_options, _runner, null);
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
        _directory?.Dispose();
    }

    private string CardPath(string name = "card.json") => Path.Combine(_directory.Path, "cards", name);

    [Test]
    public async Task Wallet_reads_come_back_typed()
    {
        await StartAsync();

        var status = await _client.GetAuthStatusAsync(CancellationToken.None);
        var methods = await _client.ListPaymentMethodsAsync(CancellationToken.None);
        var addresses = await _client.ListShippingAddressesAsync(CancellationToken.None);
        var user = await _client.GetUserInfoAsync(CancellationToken.None);

        Assert.That(status.Authenticated, Is.True);
        Assert.That(status.CredentialsPath, Is.EqualTo(_options.AuthFile));
        Assert.That(methods.Select(m => (m.Id, m.IsDefault, m.Last4)), Is.EqualTo(_emulator.Sandbox.ListPaymentMethods().Select(m => (m.Id, m.IsDefault, m.Last4))));
        Assert.That(addresses.Select(a => a.Address), Is.EqualTo(_emulator.Sandbox.ListShippingAddresses().Select(a => a.Address)));
        Assert.That(user, Is.EqualTo(_emulator.Sandbox.GetUserInfo()));
    }

    [Test]
    public async Task Approved_card_reaches_only_a_0600_file_in_a_0700_directory()
    {
        await StartAsync();

        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        var approved = await _client.WaitForApprovalAsync(created.Id, CardPath(), TimeSpan.FromMilliseconds(200), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None);

        Assert.That(approved.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(approved.CardOutputFile, Is.EqualTo(CardPath()));
        Assert.That(File.GetUnixFileMode(CardPath()), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(CardPath())!), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        var card = CardFile.Read(CardPath());
        Assert.That((approved.CardBrand, approved.CardLast4), Is.EqualTo((card.Brand, card.Last4)));
        Assert.That(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(CardPath()))!["spend_request_id"]!.GetValue<string>(), Is.EqualTo(created.Id));
        AssertNothingLeaks(card.Reveal(CardField.Number), approved.ToString());
    }

    [Test]
    public async Task Waiting_polls_one_request_through_a_3ds_requires_action_until_the_card_holder_confirms()
    {
        await StartAsync(sandbox: new CheckoutAgent.Link.Sandbox.LinkSandboxOptions { Authentication = CheckoutAgent.Link.Sandbox.SandboxAuthenticationMode.Manual });
        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        await _client.WaitForApprovalAsync(created.Id, CardPath(), TimeSpan.FromMilliseconds(200), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None);
        var card = CardFile.Read(CardPath());
        var challenge = _emulator.Sandbox.Authorize(card.Reveal(CardField.Number), card.Reveal(CardField.Cvc), card.ExpMonth, card.ExpYear,
            TestData.MerchantUrl, 2500, "usd", threeDSecure: true);
        Assert.That(challenge.Pending, Is.True);

        var waiting = await _client.RetrieveSpendRequestAsync(created.Id, CancellationToken.None);
        Assert.That(waiting.Status, Is.EqualTo(SpendRequestStatus.RequiresAction));
        Assert.That(waiting.NextAction, Is.Not.Null);
        Assert.That((waiting.NextAction!.Type, waiting.NextAction.Resolution), Is.EqualTo(("three_d_secure", "auto_resume")));
        Assert.That(waiting.IsWaiting(), Is.True);

        var wait = _client.WaitForApprovalAsync(created.Id, CardPath("after.json"), TimeSpan.FromMilliseconds(200), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.That(wait.IsCompleted, Is.False, "link-cli keeps polling through requires_action with auto_resume");
        _emulator.Sandbox.ApproveAction(created.Id);
        var ended = await wait;

        Assert.That(ended.Status, Is.EqualTo(SpendRequestStatus.Succeeded));
        Assert.That(File.Exists(CardPath("after.json")), Is.False, "no card outside approved");
        Assert.That(_emulator.Sandbox.SpendRequestCount, Is.EqualTo(1));
    }

    [Test]
    public async Task A_duplicate_create_through_link_cli_is_RateLimited_naming_the_open_request()
    {
        await StartAsync(EmulatorApprovalMode.Manual, sandbox: new CheckoutAgent.Link.Sandbox.LinkSandboxOptions { RejectDuplicates = true });
        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);

        var error = Assert.ThrowsAsync<LinkException>(() => _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.RateLimited));
        Assert.That(error.DuplicateSpendRequestId, Is.EqualTo(created.Id));
        Assert.That(error.Retryable, Is.True);
        Assert.That(_emulator.Sandbox.SpendRequestCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Manual_approval_is_polled_across_several_POLLING_TIMEOUT_rounds_on_one_spend_request()
    {
        await StartAsync(EmulatorApprovalMode.Manual);
        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        Assert.That(created.Status, Is.EqualTo(SpendRequestStatus.PendingApproval));

        // The person answers only after the client has seen two rounds end in POLLING_TIMEOUT (however slow the machine).
        var approver = Task.Run(async () =>
        {
            await Poll.TryUntilAsync(() => _runner.TimedOutRounds >= 2, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50));
            _emulator.Sandbox.Approve(created.Id);
        });
        var approved = await _client.WaitForApprovalAsync(created.Id, CardPath(), TimeSpan.FromMilliseconds(300), DateTimeOffset.UtcNow.AddSeconds(60), CancellationToken.None);
        await approver;

        Assert.That(approved.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(_runner.Runs.Count(r => r.Arguments.Contains("retrieve")), Is.GreaterThanOrEqualTo(3), "several one-second rounds");
        Assert.That(_runner.TimedOutRounds, Is.GreaterThanOrEqualTo(2));
        Assert.That(_runner.Runs.Where(r => r.Arguments.Contains("retrieve")).Select(r => r.Arguments[2]), Is.All.EqualTo(created.Id));
        Assert.That(_runner.Runs.Count(r => r.Arguments.Contains("create")), Is.EqualTo(1));
        Assert.That(_emulator.Sandbox.SpendRequestCount, Is.EqualTo(1));
        Assert.That(File.Exists(CardPath()), Is.True);
    }

    [Test]
    public async Task Without_an_answer_by_the_deadline_it_throws_POLLING_TIMEOUT_and_the_request_lives_on()
    {
        await StartAsync(EmulatorApprovalMode.Manual);
        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);

        var error = Assert.ThrowsAsync<LinkException>(() =>
            _client.WaitForApprovalAsync(created.Id, CardPath(), TimeSpan.FromMilliseconds(300), DateTimeOffset.UtcNow.AddSeconds(2.5), CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.PollingTimeout));
        Assert.That(error.Message, Does.Contain(created.Id).And.Contain("pending_approval"));
        Assert.That(_emulator.Sandbox.SpendRequestCount, Is.EqualTo(1));
        Assert.That((await _client.RetrieveSpendRequestAsync(created.Id, CancellationToken.None)).Status, Is.EqualTo(SpendRequestStatus.PendingApproval));
        Assert.That(File.Exists(CardPath()), Is.False);
    }

    [Test]
    public async Task A_denied_request_ends_denied_without_a_card_file()
    {
        await StartAsync(EmulatorApprovalMode.Deny);
        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);

        var result = await _client.WaitForApprovalAsync(created.Id, CardPath(), TimeSpan.FromMilliseconds(200), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None);

        Assert.That(result.Status, Is.EqualTo(SpendRequestStatus.Denied));
        Assert.That(result.CardOutputFile, Is.Null);
        Assert.That(File.Exists(CardPath()), Is.False);
    }

    [Test]
    public async Task An_unanswered_request_ends_expired()
    {
        await StartAsync(EmulatorApprovalMode.Expire, TimeSpan.FromSeconds(1));
        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);

        var result = await _client.WaitForApprovalAsync(created.Id, CardPath(), TimeSpan.FromMilliseconds(300), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None);

        Assert.That(result.Status, Is.EqualTo(SpendRequestStatus.Expired));
        Assert.That(File.Exists(CardPath()), Is.False);
    }

    [Test]
    public async Task An_existing_card_file_is_OUTPUT_FILE_EXISTS_and_a_symlink_is_OUTPUT_FILE_SYMLINK()
    {
        await StartAsync();
        var first = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        var second = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        CardFile.EnsurePrivateDirectory(Path.GetDirectoryName(CardPath())!);
        File.WriteAllText(CardPath("taken.json"), "old");
        var victim = Path.Combine(_directory.Path, "victim.txt");
        File.WriteAllText(victim, "victim");
        File.CreateSymbolicLink(CardPath("link.json"), victim);

        var exists = Assert.ThrowsAsync<LinkException>(() =>
            _client.WaitForApprovalAsync(first.Id, CardPath("taken.json"), TimeSpan.FromMilliseconds(200), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None));
        var symlink = Assert.ThrowsAsync<LinkException>(() =>
            _client.WaitForApprovalAsync(second.Id, CardPath("link.json"), TimeSpan.FromMilliseconds(200), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None));

        Assert.That(exists!.Code, Is.EqualTo(LinkErrorCodes.OutputFileExists));
        Assert.That(File.ReadAllText(CardPath("taken.json")), Is.EqualTo("old"));
        Assert.That(symlink!.Code, Is.EqualTo(CardFile.OutputFileSymlink));
        Assert.That(File.ReadAllText(victim), Is.EqualTo("victim"));
        AssertNothingLeaks(null, exists.Message, symlink.Message);
    }

    [Test]
    public async Task Update_request_approval_cancel_and_list_work_on_one_request()
    {
        await StartAsync(EmulatorApprovalMode.Manual);
        var created = await _client.CreateSpendRequestAsync(TestData.Card(requestApproval: false), CancellationToken.None);
        Assert.That(created.Status, Is.EqualTo(SpendRequestStatus.Created));

        var updated = await _client.UpdateSpendRequestAsync(created.Id, new SpendRequestUpdate
        {
            Amount = 3000,
            LineItems = [new LineItem("Blue Widget", 2, 1500)],
            Totals = [new Total("total", "Total", 3000)],
        }, CancellationToken.None);
        var link = await _client.RequestApprovalAsync(created.Id, CancellationToken.None);
        var open = await _client.ListSpendRequestsAsync(false, CancellationToken.None);
        var canceled = await _client.CancelSpendRequestAsync(created.Id, CancellationToken.None);
        var openAfter = await _client.ListSpendRequestsAsync(false, CancellationToken.None);
        var history = await _client.ListSpendRequestsAsync(true, CancellationToken.None);

        Assert.That(updated.Amount, Is.EqualTo(3000));
        Assert.That(updated.LineItems.Single().Quantity, Is.EqualTo(2));
        Assert.That(link.Id, Is.EqualTo(created.Id));
        Assert.That(link.Link, Is.Not.Empty);
        Assert.That(open.Select(r => (r.Id, r.Status)), Is.EqualTo(new[] { (created.Id, SpendRequestStatus.PendingApproval) }));
        Assert.That(canceled.Status, Is.EqualTo(SpendRequestStatus.Canceled));
        Assert.That(openAfter, Is.Empty);
        Assert.That(history.Select(r => r.Id), Does.Contain(created.Id));
    }

    [Test]
    public async Task A_shared_payment_token_pays_the_402_resource()
    {
        await StartAsync();
        var resource = _emulator.DemoPaymentUrl(500);
        using var http = new HttpClient();
        using var probe = await http.GetAsync(resource);
        Assert.That(probe.StatusCode, Is.EqualTo(HttpStatusCode.PaymentRequired));
        var challenge = MppChallenge.Decode(probe.Headers.WwwAuthenticate.ToString());

        var created = await _client.CreateSpendRequestAsync(new SpendRequestCreateOptions
        {
            CredentialType = SpendRequestValidator.SharedPaymentTokenCredential,
            NetworkId = challenge.NetworkId,
            Amount = 500,
            Context = TestData.Context,
        }, CancellationToken.None);
        var approved = await _client.WaitForApprovalAsync(created.Id, CardPath(), TimeSpan.FromMilliseconds(200), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None);
        var paid = await _client.PayMppAsync(new MppPaymentRequest { Url = resource, SpendRequestId = created.Id }, CancellationToken.None);

        Assert.That(approved.Status, Is.EqualTo(SpendRequestStatus.Approved));
        Assert.That(approved.SharedPaymentToken, Does.StartWith("spt_"));
        Assert.That(File.Exists(CardPath()), Is.False, "no card file for a token");
        Assert.That(paid.Status, Is.EqualTo(200), paid.Body);
    }

    [Test]
    public async Task Report_and_transactions()
    {
        await StartAsync();
        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);

        var receipt = await _client.ReportAsync(new AgentObservation
        {
            Domain = "shop.example",
            Outcome = ObservationOutcomes.Blocked,
            SpendRequestId = created.Id,
            Tags = [ObservationTags.Captcha, ObservationTags.ThreeDsChallenge],
            Step = "payment",
        }, CancellationToken.None);
        var page = await _client.ListTransactionsAsync(new TransactionQuery { Limit = 10 }, CancellationToken.None);

        Assert.That((receipt.Domain, receipt.Outcome, receipt.SpendRequestId), Is.EqualTo(("shop.example", "blocked", created.Id)));
        Assert.That(_emulator.Sandbox.Observations.Single().Tags, Is.EqualTo(new[] { "captcha", "3ds_challenge" }));
        Assert.That(page.Items, Has.Count.LessThanOrEqualTo(10));
        Assert.That(_runner.Runs.Last().Arguments, Is.SupersetOf(new[] { "transactions", "list", "--limit", "10" }));
    }

    [Test]
    public async Task Unknown_id_is_NOT_FOUND_and_bad_input_never_reaches_the_emulator()
    {
        await StartAsync();

        var missing = Assert.ThrowsAsync<LinkException>(() => _client.RetrieveSpendRequestAsync("lsrq_missing", CancellationToken.None));
        // 60000 passes link-cli's own check (500000) but not Link's cap: it must fail here, before the CLI.
        var tooMuch = Assert.ThrowsAsync<LinkException>(() => _client.CreateSpendRequestAsync(TestData.Card(amount: 60_000), CancellationToken.None));

        Assert.That(missing!.Code, Is.EqualTo(LinkErrorCodes.NotFound));
        Assert.That(missing.Message, Is.EqualTo("Spend request lsrq_missing not found"));
        Assert.That(tooMuch!.Code, Is.EqualTo(LinkErrorCodes.InvalidRequest));
        Assert.That(_emulator.Sandbox.SpendRequestCount, Is.Zero);
        Assert.That(_runner.Runs.Where(r => r.Arguments.Contains("create")), Is.Empty);
    }

    [Test]
    public async Task A_logged_out_auth_file_is_NOT_AUTHENTICATED()
    {
        await StartAsync();
        File.WriteAllText(_options.AuthFile!, "{\"auth\":null,\"pendingDeviceAuth\":null}");

        var status = await _client.GetAuthStatusAsync(CancellationToken.None);
        var list = Assert.ThrowsAsync<LinkException>(() => _client.ListPaymentMethodsAsync(CancellationToken.None));
        var create = Assert.ThrowsAsync<LinkException>(() => _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None));

        Assert.That(status.Authenticated, Is.False);
        Assert.That(list!.Code, Is.EqualTo(LinkErrorCodes.NotAuthenticated));
        Assert.That(create!.Code, Is.EqualTo(LinkErrorCodes.NotAuthenticated));
    }

    [Test]
    public async Task A_revoked_token_and_refresh_token_are_NOT_AUTHENTICATED()
    {
        await StartAsync();
        File.Move(StandInCli.WriteAuthFile(_directory.Path, accessToken: "revoked", refreshToken: "revoked"), _options.AuthFile!, overwrite: true);

        var error = Assert.ThrowsAsync<LinkException>(() => _client.ListPaymentMethodsAsync(CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.NotAuthenticated));
        Assert.That(error.Message, Does.StartWith("Token refresh failed"));
    }

    [Test]
    public async Task Connection_refused_is_reported_with_the_url()
    {
        await StartAsync();
        var options = StandInCli.Options(_options.AuthFile, new Uri("http://127.0.0.1:1/v1"), new Uri("http://127.0.0.1:1/auth"));
        var client = new LinkCliClient(options);

        var error = Assert.ThrowsAsync<LinkException>(() => client.ListPaymentMethodsAsync(CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.Unknown));
        Assert.That(error.Message, Is.EqualTo("Request failed: GET http://127.0.0.1:1/v1/payment-details"));
    }

    [Test]
    public void A_missing_executable_is_CLI_UNAVAILABLE_saying_how_to_install_it()
    {
        var client = new LinkCliClient(new LinkCliOptions { ExecutablePath = "/nonexistent/link-cli" });

        var error = Assert.ThrowsAsync<LinkException>(() => client.ListPaymentMethodsAsync(CancellationToken.None));

        Assert.That(error!.Code, Is.EqualTo(LinkErrorCodes.CliUnavailable));
        Assert.That(error.Message, Does.Contain("npm install -g @stripe/link-cli").And.Contain("Link:Cli:ExecutablePath"));
    }

    [Test]
    public async Task Cancellation_kills_the_polling_process()
    {
        await StartAsync(EmulatorApprovalMode.Manual);
        var created = await _client.CreateSpendRequestAsync(TestData.Card(), CancellationToken.None);
        _options.PollRound = TimeSpan.FromMinutes(5);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        var started = DateTimeOffset.UtcNow;

        Assert.CatchAsync<OperationCanceledException>(() =>
            new LinkCliClient(_options).WaitForApprovalAsync(created.Id, CardPath(), TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow.AddMinutes(5), cancel.Token));

        Assert.That(DateTimeOffset.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    /// <summary>No card number in any CLI stdout/stderr of this test, nor in the given texts the client surfaced.</summary>
    private void AssertNothingLeaks(string? cardNumber, params string[] surfaced)
    {
        var texts = _runner.Runs.SelectMany(r => new[] { r.Result.Stdout, r.Result.Stderr }).Concat(surfaced).ToList();
        foreach (var text in texts)
        {
            Assert.That(CardNumberMasker.Mask(text), Is.EqualTo(text), "a Luhn-valid card-like number appeared");
            if (cardNumber is not null)
            {
                Assert.That(text, Does.Not.Contain(cardNumber));
            }
        }
    }

    private sealed record RecordedRun(IReadOnlyList<string> Arguments, CliRun Result);

    private sealed class RecordingRunner(ICliRunner inner) : ICliRunner
    {
        public List<RecordedRun> Runs { get; } = [];

        public int TimedOutRounds
        {
            get
            {
                lock (Runs)
                {
                    return Runs.Count(r => r.Result.Stdout.Contains("\"POLLING_TIMEOUT\"", StringComparison.Ordinal));
                }
            }
        }

        public async Task<CliRun> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var result = await inner.RunAsync(arguments, timeout, cancellationToken);
            lock (Runs)
            {
                Runs.Add(new RecordedRun(arguments.ToList(), result));
            }
            return result;
        }
    }
}
