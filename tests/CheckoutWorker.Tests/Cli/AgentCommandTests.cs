using CheckoutAgent.Tests.Clients;
using CheckoutAgent.Worker.Configuration;

namespace CheckoutAgent.Tests.Cli;

/// <summary>The owner's verbs: agent add/list/policy/revoke and pause/resume, on a data directory's database.</summary>
[TestFixture]
public sealed class AgentCommandTests : DataDirectoryTest
{
    private AgentStore Store()
    {
        var database = new CheckoutDatabase(new WorkerOptions { DataDirectory = DataDirectory }.DatabasePath);
        database.Initialize();
        return new AgentStore(database, TimeProvider.System, TestSealers.ForDataDirectory(DataDirectory));
    }

    [Test]
    public async Task Add_PrintsTheTokenOnce_AndTheTokenAuthenticates_ThenRevokeStopsIt()
    {
        var run = await ClientCli.RunAsync("agent", "add", "shopping-bot", "--scopes", "purchases:write,purchases:read",
            "--max-per-purchase", "49.99", "--daily-budget", "200", "--merchants", "shop.example.com,*.example.org", "--json", "--data-dir", DataDirectory);
        Assert.That(run.Code, Is.Zero, run.ToString());
        var json = run.Json();
        var token = json.GetProperty("token").GetString()!;
        Assert.That(token, Does.StartWith("cat_"));
        Assert.That(json.GetProperty("webhook_secret").GetString(), Does.StartWith("whsec_"));

        var agent = await Store().AuthenticateAsync(token, CancellationToken.None);
        Assert.That(agent, Is.Not.Null);
        Assert.That(agent!.Scopes, Is.EquivalentTo(new[] { "purchases:write", "purchases:read" }));
        Assert.That(agent.Policy.MaxPerPurchase, Is.EqualTo(4999));
        Assert.That(agent.Policy.DailyBudget, Is.EqualTo(20000));
        Assert.That(agent.Policy.Merchants, Is.EqualTo(new[] { "shop.example.com", "*.example.org" }));

        var list = await ClientCli.RunAsync("agent", "list", "--data-dir", DataDirectory);
        Assert.That(list.Out, Does.Contain("shopping-bot").And.Contain("$49.99").And.Not.Contain(token));

        var revoke = await ClientCli.RunAsync("agent", "revoke", "shopping-bot", "--data-dir", DataDirectory);
        Assert.That(revoke.Code, Is.Zero, revoke.ToString());
        Assert.That(await Store().AuthenticateAsync(token, CancellationToken.None), Is.Null);
        var again = await ClientCli.RunAsync("agent", "revoke", "shopping-bot", "--data-dir", DataDirectory);
        Assert.That(again.Code, Is.EqualTo(2));
        Assert.That(again.Err, Does.Contain("no live agent named 'shopping-bot'"));
    }

    [Test]
    public async Task Add_BadInput_IsRefusedWithTheFix_AndCreatesNothing()
    {
        var scopes = await ClientCli.RunAsync("agent", "add", "bot", "--scopes", "purchases:write,buy:everything", "--data-dir", DataDirectory);
        Assert.That(scopes.Code, Is.EqualTo(2));
        Assert.That(scopes.Err, Does.Contain("'buy:everything'").And.Contain("purchases:read"));

        var name = await ClientCli.RunAsync("agent", "add", "Bad Name", "--scopes", "purchases:read", "--data-dir", DataDirectory);
        Assert.That(name.Code, Is.EqualTo(2));
        Assert.That(name.Err, Does.Contain("lower-case"));

        var money = await ClientCli.RunAsync("agent", "add", "bot", "--scopes", "purchases:read", "--daily-budget", "12.345", "--data-dir", DataDirectory);
        Assert.That(money.Code, Is.EqualTo(2));
        Assert.That(money.Err, Does.Contain("--daily-budget").And.Contain("49.99"));

        Assert.That(await Store().ListAsync(CancellationToken.None), Is.Empty);

        Assert.That((await ClientCli.RunAsync("agent", "add", "bot", "--scopes", "purchases:read", "--data-dir", DataDirectory)).Code, Is.Zero);
        var duplicate = await ClientCli.RunAsync("agent", "add", "bot", "--scopes", "purchases:read", "--data-dir", DataDirectory);
        Assert.That(duplicate.Code, Is.EqualTo(2));
        Assert.That(duplicate.Err, Does.Contain("already exists"));
    }

    [Test]
    public async Task Policy_ChangesOnlyWhatIsGiven_AndNoneLiftsALimit()
    {
        await ClientCli.RunAsync("agent", "add", "bot", "--scopes", "purchases:write", "--max-per-purchase", "10", "--monthly-budget", "100", "--data-dir", DataDirectory);
        var run = await ClientCli.RunAsync("agent", "policy", "bot", "--max-per-purchase", "none", "--daily-budget", "25", "--data-dir", DataDirectory);
        Assert.That(run.Code, Is.Zero, run.ToString());
        var policy = (await Store().GetByNameAsync("bot", CancellationToken.None))!.Policy;
        Assert.That(policy.MaxPerPurchase, Is.Null);
        Assert.That(policy.DailyBudget, Is.EqualTo(2500));
        Assert.That(policy.MonthlyBudget, Is.EqualTo(10000));
    }

    [Test]
    public async Task PauseAndResume_FlipTheGlobalSwitch()
    {
        Assert.That((await ClientCli.RunAsync("pause", "--data-dir", DataDirectory)).Code, Is.Zero);
        Assert.That(await Store().IsPausedAsync(CancellationToken.None), Is.True);
        Assert.That((await ClientCli.RunAsync("resume", "--data-dir", DataDirectory)).Code, Is.Zero);
        Assert.That(await Store().IsPausedAsync(CancellationToken.None), Is.False);
    }

    [TestCase("agent", "add")]
    [TestCase("agent", "policy")]
    [TestCase("serve")]
    [TestCase("pause")]
    public async Task EveryVerb_HasHelp(params string[] verb)
    {
        var run = await ClientCli.RunAsync([.. verb, "--help"]);
        Assert.That(run.Code, Is.Zero);
        Assert.That(run.Out, Does.Contain("--data-dir"));
    }

    [Test]
    public async Task Policy_RateLimits_SetAndLiftedWithNone_BadValuesNamed()
    {
        var add = await ClientCli.RunAsync("agent", "add", "bot", "--scopes", "purchases:read", "--max-requests-per-second", "7", "--data-dir", DataDirectory);
        Assert.That(add.Code, Is.Zero, add.ToString());
        Assert.That(add.Out, Does.Contain("7 requests/s").And.Contain($"{AgentPolicy.DefaultMaxPurchasesPerHour} purchases/h"));

        var set = await ClientCli.RunAsync("agent", "policy", "bot", "--max-requests-per-second", "none", "--max-purchases-per-hour", "30", "--data-dir", DataDirectory);
        Assert.That(set.Code, Is.Zero, set.ToString());
        Assert.That(set.Out, Does.Contain("no request limit").And.Contain("30 purchases/h"));
        var policy = (await Store().GetByNameAsync("bot", CancellationToken.None))!.Policy;
        Assert.That((policy.MaxRequestsPerSecond, policy.MaxPurchasesPerHour), Is.EqualTo(((int?)null, (int?)30)));

        foreach (var bad in new[] { "0", "-3", "1.5", "lots" })
        {
            var run = await ClientCli.RunAsync("agent", "policy", "bot", "--max-purchases-per-hour", bad, "--data-dir", DataDirectory);
            Assert.That(run.Code, Is.EqualTo(2), bad);
            Assert.That(run.Err, Does.Contain("--max-purchases-per-hour").And.Contain("'none'").And.Contain($"'{bad}'"));
        }
        Assert.That((await Store().GetByNameAsync("bot", CancellationToken.None))!.Policy.MaxPurchasesPerHour, Is.EqualTo(30), "nothing half-written");
    }

    [Test]
    public async Task Rotate_PrintsTheNewTokenOnce_BothWorkInTheGrace_AndAuditShowsItWithoutSecrets()
    {
        var add = await ClientCli.RunAsync("agent", "add", "bot", "--scopes", "purchases:read", "--json", "--data-dir", DataDirectory);
        var oldToken = add.Json().GetProperty("token").GetString()!;
        var oldSecret = add.Json().GetProperty("webhook_secret").GetString()!;

        var rotate = await ClientCli.RunAsync("agent", "rotate", "bot", "--grace", "1h", "--json", "--data-dir", DataDirectory);
        Assert.That(rotate.Code, Is.Zero, rotate.ToString());
        var newToken = rotate.Json().GetProperty("token").GetString()!;
        Assert.That(rotate.Json().GetProperty("previous_token_grace_seconds").GetInt64(), Is.EqualTo(3600));
        Assert.That(await Store().AuthenticateAsync(oldToken, CancellationToken.None), Is.Not.Null);
        Assert.That(await Store().AuthenticateAsync(newToken, CancellationToken.None), Is.Not.Null);

        var text = await ClientCli.RunAsync("agent", "rotate", "bot", "--grace", "0", "--data-dir", DataDirectory);
        Assert.That(text.Out, Does.Contain("token:  cat_").And.Contain("stopped working"));
        Assert.That(await Store().AuthenticateAsync(newToken, CancellationToken.None), Is.Null, "--grace 0 stops the old one at once");

        var secret = await ClientCli.RunAsync("agent", "rotate-webhook-secret", "bot", "--data-dir", DataDirectory);
        Assert.That(secret.Code, Is.Zero, secret.ToString());
        Assert.That(secret.Out, Does.Contain("webhook secret: whsec_").And.Contain("for 24 h"));

        var audit = await ClientCli.RunAsync("agent", "audit", "--data-dir", DataDirectory);
        Assert.That(audit.Code, Is.Zero, audit.ToString());
        var lines = audit.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.Contain("rotate-webhook-secret").And.Contain("bot").And.Contain("(by owner)"));
        Assert.That(audit.Out, Does.Contain("rotate-token").And.Contain(" add "));
        foreach (var value in new[] { oldToken, oldSecret, newToken })
        {
            Assert.That(audit.Out, Does.Not.Contain(value));
        }
        var json = await ClientCli.RunAsync("agent", "audit", "bot", "--limit", "2", "--json", "--data-dir", DataDirectory);
        Assert.That(json.Json().GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task Rotate_BadGraceOrUnknownAgent_IsRefusedWithTheFix()
    {
        await ClientCli.RunAsync("agent", "add", "bot", "--scopes", "purchases:read", "--data-dir", DataDirectory);
        foreach (var bad in new[] { "1y", "soon", "8d", "-1h" })
        {
            var run = await ClientCli.RunAsync("agent", "rotate", "bot", "--grace", bad, "--data-dir", DataDirectory);
            Assert.That(run.Code, Is.EqualTo(2), bad);
            Assert.That(run.Err, Does.Contain("--grace"), bad);
        }
        var unknown = await ClientCli.RunAsync("agent", "rotate-webhook-secret", "nobody", "--data-dir", DataDirectory);
        Assert.That(unknown.Code, Is.EqualTo(2));
        Assert.That(unknown.Err, Does.Contain("no live agent named 'nobody'"));
        Assert.That((await Store().AuditLogAsync(null, 10, CancellationToken.None)).Select(e => e.Action), Is.EqualTo(new[] { AuditActions.Add }),
            "refused rotations change nothing");
    }

    [TestCase("rotate")]
    [TestCase("rotate-webhook-secret")]
    [TestCase("audit")]
    public async Task NewVerbs_HaveHelp(string verb)
    {
        var run = await ClientCli.RunAsync("agent", verb, "--help");
        Assert.That(run.Code, Is.Zero);
        Assert.That(run.Out, Does.Contain(verb == "audit" ? "audit log" : "--grace"));
    }
}
