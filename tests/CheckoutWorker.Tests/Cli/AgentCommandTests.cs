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
        return new AgentStore(database, TimeProvider.System);
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
}
