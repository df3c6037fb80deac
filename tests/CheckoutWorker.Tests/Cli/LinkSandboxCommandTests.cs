using System.Diagnostics;
using System.Text.Json;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.EndToEnd;
using CheckoutAgent.Worker.Cli;

namespace CheckoutAgent.Tests.Cli;

/// <summary><c>checkout-agent link-sandbox serve|approve|deny</c>.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class LinkSandboxCommandTests : DataDirectoryTest
{
    private const string Context =
        "Buying one pour-over dripper from the local demo shop for the CheckoutAgent tests; a sandbox purchase, no real money moves at all.";

    [Test]
    public async Task Approve_answers_a_pending_request_and_issues_its_card()
    {
        await using var emulator = await LinkEmulatorServer.StartAsync(new LinkEmulatorOptions { Approval = EmulatorApprovalMode.Manual });
        var request = emulator.Sandbox.Create(Pending());

        var (code, output, error) = await LinkSandboxCommand.DecideAsync("approve", emulator.ApiBaseUrl.ToString(), request.Id, false, CancellationToken.None);

        Assert.That(code, Is.Zero, error);
        Assert.That(output, Is.EqualTo($"{request.Id}: approved"));
        Assert.That(emulator.Sandbox.Get(request.Id).Status, Is.EqualTo(SpendRequestStatus.Approved));
    }

    [Test]
    public async Task Deny_with_json_prints_the_spend_request_without_card_data()
    {
        await using var emulator = await LinkEmulatorServer.StartAsync(new LinkEmulatorOptions { Approval = EmulatorApprovalMode.Manual });
        var request = emulator.Sandbox.Create(Pending());

        var (code, output, _) = await LinkSandboxCommand.DecideAsync("deny", emulator.ApiBaseUrl.ToString().TrimEnd('/').Replace("/v1", "", StringComparison.Ordinal), request.Id, true, CancellationToken.None);

        Assert.That(code, Is.Zero);
        using var json = JsonDocument.Parse(output);
        Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("denied"));
        Assert.That(json.RootElement.TryGetProperty("card", out _), Is.False);
    }

    [Test]
    public async Task Answering_twice_is_refused_with_the_emulators_reason()
    {
        await using var emulator = await LinkEmulatorServer.StartAsync(new LinkEmulatorOptions { Approval = EmulatorApprovalMode.Manual });
        var request = emulator.Sandbox.Create(Pending());
        await LinkSandboxCommand.DecideAsync("approve", emulator.ApiBaseUrl.ToString(), request.Id, false, CancellationToken.None);

        var (code, _, error) = await LinkSandboxCommand.DecideAsync("deny", emulator.ApiBaseUrl.ToString(), request.Id, false, CancellationToken.None);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("approved").And.Contain("HTTP 4"));
        Assert.That(emulator.Sandbox.Get(request.Id).Status, Is.EqualTo(SpendRequestStatus.Approved), "nothing changed");
    }

    [Test]
    public async Task Approve_action_confirms_a_pending_3ds_payment_and_deny_action_refuses_one()
    {
        await using var emulator = await LinkEmulatorServer.StartAsync(new LinkEmulatorOptions
        {
            Approval = EmulatorApprovalMode.Auto,
            Sandbox = new LinkSandboxOptions { Authentication = SandboxAuthenticationMode.Manual },
        });
        var confirmed = ChallengedPayment(emulator);
        var refused = ChallengedPayment(emulator, 2300);

        var (code, output, error) = await LinkSandboxCommand.DecideAsync("approve-action", emulator.ApiBaseUrl.ToString(), confirmed, false, CancellationToken.None);
        var (deniedCode, deniedOutput, _) = await LinkSandboxCommand.DecideAsync("deny-action", emulator.ApiBaseUrl.ToString(), refused, false, CancellationToken.None);
        var (againCode, _, againError) = await LinkSandboxCommand.DecideAsync("approve-action", emulator.ApiBaseUrl.ToString(), confirmed, false, CancellationToken.None);

        Assert.That(code, Is.Zero, error);
        Assert.That(output, Is.EqualTo($"{confirmed}: succeeded"));
        Assert.That((deniedCode, deniedOutput), Is.EqualTo((0, $"{refused}: failed")));
        Assert.That(againCode, Is.EqualTo(1));
        Assert.That(againError, Does.Contain("requires_action").And.Contain("HTTP 409"));
        Assert.That(emulator.Sandbox.AuthorizationCount, Is.EqualTo(1), "only the confirmed payment went through");
    }

    /// <summary>An approved card used at a shop that asks for 3-D Secure: its spend request waits in requires_action.</summary>
    private static string ChallengedPayment(LinkEmulatorServer emulator, long amount = 2400)
    {
        var request = emulator.Sandbox.Create(Pending(amount));
        var card = emulator.Sandbox.FindIssuedCard(request.Id)!;
        var challenge = emulator.Sandbox.Authorize(card.Number, card.Cvc, card.ExpMonth, card.ExpYear, "http://127.0.0.1:5000", amount, "usd", threeDSecure: true);
        Assert.That(challenge.Pending, Is.True, challenge.Message);
        return request.Id;
    }

    [Test]
    public async Task No_emulator_at_the_url_says_how_to_start_one()
    {
        var (code, _, error) = await LinkSandboxCommand.DecideAsync("approve", "http://127.0.0.1:1/v1", "lsrq_abc", false, CancellationToken.None);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.Contain("no Link emulator answers at http://127.0.0.1:1/v1").And.Contain("link-sandbox serve"));
    }

    [TestCase("approve", "http://127.0.0.1:1", "abc", "is not a spend request id")]
    [TestCase("deny", "ftp://x", "lsrq_abc", "--url must be the emulator's http URL")]
    [TestCase("approve", "http://127.0.0.1:1", "lsrq_../../x", "is not a spend request id")]
    public async Task Bad_input_is_refused_before_any_call(string verb, string url, string id, string message)
    {
        var (code, _, error) = await LinkSandboxCommand.DecideAsync(verb, url, id, false, CancellationToken.None);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain(message));
    }

    [TestCase("garbage")]
    [TestCase("https://127.0.0.1:8377")]
    [TestCase("http://127.0.0.1:8377/v1")]
    public void Serve_refuses_a_listen_url_it_cannot_use_with_the_option_named(string urls)
    {
        var parse = CliApp.Create().Parse(["link-sandbox", "serve", "--urls", urls]);

        Assert.That(parse.Errors.Select(e => e.Message), Has.One.Contains("--urls must be an http URL").And.Contains(urls));
    }

    [Test]
    public async Task Serve_prints_the_settings_that_let_link_cli_use_it()
    {
        var authFile = Path.Combine(DataDirectory, "auth.json");
        var worker = Path.Combine(AppContext.BaseDirectory, "checkout-agent.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { worker, "link-sandbox", "serve", "--urls", "http://127.0.0.1:0", "--approval", "auto", "--auth-file", authFile },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        using var serve = Process.Start(start)!;
        try
        {
            var exports = new Dictionary<string, string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (exports.Count < 3 && await serve.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.Trim().StartsWith("export ", StringComparison.Ordinal))
                {
                    var pair = line.Trim()["export ".Length..].Split('=', 2);
                    exports[pair[0]] = pair[1];
                }
            }
            Assert.That(exports.Keys, Is.EquivalentTo(new[] { "LINK_API_BASE_URL", "LINK_AUTH_BASE_URL", "LINK_AUTH_FILE" }));
            Assert.That(exports["LINK_AUTH_FILE"], Is.EqualTo(authFile));
            Assert.That(File.GetUnixFileMode(authFile), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));

            // link-cli (our stand-in) with exactly those exports lists the emulator's wallet.
            var cli = LinkCliTransportTests.StandIn();
            var run = new ProcessStartInfo(cli.ExecutablePath) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in cli.LeadingArguments.Concat(["payment-methods", "list", "--format", "json"]))
            {
                run.ArgumentList.Add(argument);
            }
            foreach (var name in new[] { "LINK_ACCESS_TOKEN", "LINK_REFRESH_TOKEN" })
            {
                run.Environment.Remove(name);
            }
            foreach (var (name, value) in exports)
            {
                run.Environment[name] = value;
            }
            using var list = Process.Start(run)!;
            var stdout = await list.StandardOutput.ReadToEndAsync(timeout.Token);
            await list.WaitForExitAsync(timeout.Token);

            Assert.That(list.ExitCode, Is.Zero, stdout + await list.StandardError.ReadToEndAsync(timeout.Token));
            using var methods = JsonDocument.Parse(stdout);
            Assert.That(methods.RootElement.EnumerateArray().Select(m => m.GetProperty("id").GetString()), Does.Contain("csmrpd_sandbox_visa"));

            // The request was logged on serve's stdout: method, path, status, milliseconds; never the bearer token.
            var seen = new List<string>();
            while (await serve.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                seen.Add(line);
                if (line.Contains("GET /v1/payment-details 200", StringComparison.Ordinal))
                {
                    break;
                }
            }
            Assert.That(seen, Has.Some.Match(@"GET /v1/payment-details 200 \d+ ms"), string.Join('\n', seen));
            Assert.That(string.Join('\n', seen), Does.Not.Contain(LinkSandboxOptions.DefaultAccessToken).And.Not.Contain("Bearer"));
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }

    private static SpendRequestCreateOptions Pending(long amount = 2400) => new()
    {
        Amount = amount,
        MerchantName = "Demo Coffee Supply",
        MerchantUrl = "http://127.0.0.1:5000",
        Context = Context,
        LineItems = [new LineItem("Pour-over dripper", 1, amount)],
        Totals = [new Total("total", "Total", amount)],
    };
}
