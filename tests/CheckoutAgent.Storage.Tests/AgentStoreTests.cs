using CheckoutAgent.Core.Agents;
using Microsoft.Extensions.Time.Testing;

namespace CheckoutAgent.Tests.Storage;

/// <summary>Token and webhook-secret rotation with a grace period, the purchase-rate window, and the owner's audit log.</summary>
public sealed class AgentStoreTests : StorageTest
{
    private CheckoutDatabase _database = null!;
    private FakeTimeProvider _time = null!;
    private AgentStore _agents = null!;

    [SetUp]
    public async Task Open()
    {
        _database = new CheckoutDatabase(DatabasePath);
        await _database.InitializeAsync(CancellationToken.None);
        _time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        _agents = new AgentStore(_database, _time, new TestSecretSealer());
    }

    [Test]
    public async Task RotateToken_BothWorkDuringTheGrace_ThenOnlyTheNewOne()
    {
        var created = await _agents.AddAsync("bot", [Scopes.PurchasesRead], new AgentPolicy(), CancellationToken.None);
        var fresh = await _agents.RotateTokenAsync("bot", TimeSpan.FromHours(1), CancellationToken.None);
        Assert.That(fresh, Does.StartWith(AgentSecrets.TokenPrefix).And.Not.EqualTo(created.Token));

        Assert.That((await _agents.AuthenticateAsync(created.Token, CancellationToken.None))?.Name, Is.EqualTo("bot"), "the old token works during the grace");
        Assert.That((await _agents.AuthenticateAsync(fresh!, CancellationToken.None))?.Name, Is.EqualTo("bot"));

        _time.Advance(TimeSpan.FromMinutes(61));
        Assert.That(await _agents.AuthenticateAsync(created.Token, CancellationToken.None), Is.Null, "the old token stops after the grace");
        Assert.That((await _agents.AuthenticateAsync(fresh!, CancellationToken.None))?.Name, Is.EqualTo("bot"));

        var hashes = await ScalarAsync(_database, "SELECT token_hash || ' ' || previous_token_hash FROM agents");
        Assert.That(hashes, Does.Not.Contain(created.Token).And.Not.Contain(fresh!), "tokens stay hashed");
    }

    [Test]
    public async Task RotateToken_Twice_EndsTheFirstAtOnce_AndZeroGraceEndsTheOldAtOnce_AndRevokeEndsBoth()
    {
        var created = await _agents.AddAsync("bot", [Scopes.PurchasesRead], new AgentPolicy(), CancellationToken.None);
        var second = await _agents.RotateTokenAsync("bot", TimeSpan.FromHours(1), CancellationToken.None);
        var third = await _agents.RotateTokenAsync("bot", TimeSpan.FromHours(1), CancellationToken.None);
        Assert.That(await _agents.AuthenticateAsync(created.Token, CancellationToken.None), Is.Null);
        Assert.That(await _agents.AuthenticateAsync(second!, CancellationToken.None), Is.Not.Null);

        var fourth = await _agents.RotateTokenAsync("bot", TimeSpan.Zero, CancellationToken.None);
        Assert.That(await _agents.AuthenticateAsync(third!, CancellationToken.None), Is.Null);
        Assert.That(await _agents.AuthenticateAsync(fourth!, CancellationToken.None), Is.Not.Null);

        var fifth = await _agents.RotateTokenAsync("bot", TimeSpan.FromHours(1), CancellationToken.None);
        Assert.That(await _agents.RevokeAsync("bot", CancellationToken.None), Is.True);
        Assert.That(await _agents.AuthenticateAsync(fourth!, CancellationToken.None), Is.Null, "revoke ends the token in its grace too");
        Assert.That(await _agents.AuthenticateAsync(fifth!, CancellationToken.None), Is.Null);
        Assert.That(await _agents.RotateTokenAsync("bot", TimeSpan.FromHours(1), CancellationToken.None), Is.Null, "no live agent of that name");
    }

    [Test]
    public async Task RotateWebhookSecret_SignsWithBothDuringTheOverlap_ThenTheNewOnly()
    {
        var created = await _agents.AddAsync("bot", [Scopes.PurchasesRead], new AgentPolicy(), CancellationToken.None);
        var secret = await _agents.RotateWebhookSecretAsync("bot", TimeSpan.FromHours(24), CancellationToken.None);
        var agent = (await _agents.GetByNameAsync("bot", CancellationToken.None))!;
        Assert.That(agent.SigningSecrets(_time.GetUtcNow()), Is.EqualTo(new[] { secret, created.Agent.WebhookSecret }));
        _time.Advance(TimeSpan.FromHours(25));
        Assert.That(agent.SigningSecrets(_time.GetUtcNow()), Is.EqualTo(new[] { secret }));
        Assert.That(agent.ToString(), Does.Not.Contain(secret!).And.Not.Contain(created.Agent.WebhookSecret), "an agent never prints its secrets");
    }

    [Test]
    public async Task AuditLog_RecordsEveryOwnerChange_NewestFirst_WithoutTokensOrSecrets()
    {
        var created = await _agents.AddAsync("bot", [Scopes.PurchasesRead], new AgentPolicy(), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _agents.SetPolicyAsync("bot", new AgentPolicy { MaxRequestsPerSecond = 5, MaxPurchasesPerHour = null }, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        var token = await _agents.RotateTokenAsync("bot", TimeSpan.FromMinutes(5), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        var secret = await _agents.RotateWebhookSecretAsync("bot", TimeSpan.FromHours(1), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _agents.SetPausedAsync(true, CancellationToken.None, "agent admin-bot");
        _time.Advance(TimeSpan.FromSeconds(1));
        await _agents.RevokeAsync("bot", CancellationToken.None);

        var log = await _agents.AuditLogAsync(null, 50, CancellationToken.None);
        Assert.That(log.Select(e => e.Action), Is.EqualTo(new[]
        {
            AuditActions.Revoke, AuditActions.Pause, AuditActions.RotateWebhookSecret, AuditActions.RotateToken, AuditActions.Policy, AuditActions.Add,
        }));
        Assert.That(log.Where(e => e.Action != AuditActions.Pause).Select(e => e.AgentName), Has.All.EqualTo("bot"));
        Assert.That(log.Single(e => e.Action == AuditActions.Pause).Actor, Is.EqualTo("agent admin-bot"));
        Assert.That(log.Single(e => e.Action == AuditActions.Policy).Detail, Does.Contain("\"max_requests_per_second\":5").And.Contain("\"max_purchases_per_hour\":null"));
        Assert.That(log.Single(e => e.Action == AuditActions.RotateToken).Detail, Does.Contain("2026-12-03T10:05:02"));
        var everything = string.Join("\n", log.Select(e => $"{e.Detail} {e.Actor} {e.AgentId}"));
        foreach (var secretValue in new[] { created.Token, created.Agent.WebhookSecret, token!, secret! })
        {
            Assert.That(everything, Does.Not.Contain(secretValue));
        }
        Assert.That(await _agents.AuditLogAsync("bot", 2, CancellationToken.None), Has.Count.EqualTo(2));
        Assert.That(await _agents.AuditLogAsync("nobody", 50, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task PurchaseRateFullUntil_CountsTheLastHourOnly_AndSaysWhenTheOldestLeaves()
    {
        var agent = (await _agents.AddAsync("bot", [Scopes.PurchasesWrite], new AgentPolicy(), CancellationToken.None)).Agent;
        var store = new PurchaseStore(_database, _time);
        var first = _time.GetUtcNow();
        for (var i = 0; i < 3; i++)
        {
            await store.IntakeAsync(new PurchaseRequest
            {
                Recipe = "demo-shop", Items = [new PurchaseItem("Dripper", 1, 2400, null)], Amount = 2400,
                Context = "one ceramic dripper for the team's coffee corner, approved by Jane.",
            }, new PurchaseIntake(agent, $"key-{i}", $"hash-{i}", "shop.example.test"), CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(10));
        }
        Assert.That(await _agents.PurchaseRateFullUntilAsync(agent.Id, 4, CancellationToken.None), Is.Null, "3 of 4 used");
        Assert.That(await _agents.PurchaseRateFullUntilAsync(agent.Id, 3, CancellationToken.None), Is.EqualTo(first + TimeSpan.FromHours(1)));
        Assert.That(await _agents.PurchaseRateFullUntilAsync(agent.Id, 2, CancellationToken.None), Is.EqualTo(first + TimeSpan.FromMinutes(70)),
            "over by one: it waits for the second oldest to leave");
        Assert.That(await _agents.HasIdempotencyKeyAsync(agent.Id, "key-1", CancellationToken.None), Is.True);
        Assert.That(await _agents.HasIdempotencyKeyAsync(agent.Id, "key-9", CancellationToken.None), Is.False);
        _time.Advance(TimeSpan.FromMinutes(31));
        Assert.That(await _agents.PurchaseRateFullUntilAsync(agent.Id, 3, CancellationToken.None), Is.Null, "the first left the window");
    }

    [Test]
    public async Task Policy_WithoutRateLimits_ReadsTheDefaults_AndNoneIsKeptAsUnlimited()
    {
        await _agents.AddAsync("old", [Scopes.PurchasesRead], new AgentPolicy(), CancellationToken.None);
        await _agents.AddAsync("free", [Scopes.PurchasesRead], AgentPolicy.Unlimited, CancellationToken.None);
        // A policy stored before the rate limits existed.
        await using (var connection = await _database.OpenAsync(CancellationToken.None))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE agents SET policy_json = '{\"max_per_purchase\":5000}' WHERE name = 'old'";
            await command.ExecuteNonQueryAsync();
        }
        var old = (await _agents.GetByNameAsync("old", CancellationToken.None))!.Policy;
        Assert.That((old.MaxPerPurchase, old.MaxRequestsPerSecond, old.MaxPurchasesPerHour),
            Is.EqualTo(((long?)5000, (int?)AgentPolicy.DefaultMaxRequestsPerSecond, (int?)AgentPolicy.DefaultMaxPurchasesPerHour)));
        var free = (await _agents.GetByNameAsync("free", CancellationToken.None))!.Policy;
        Assert.That((free.MaxRequestsPerSecond, free.MaxPurchasesPerHour), Is.EqualTo(((int?)null, (int?)null)));
    }
}
