using CheckoutAgent.Core.Agents;

namespace CheckoutAgent.Tests.Storage;

/// <summary>
/// Webhook secrets reach the database only sealed: written sealed on add and rotation, read back in clear, secrets an
/// older version stored in clear sealed at start-up, and a node whose key does not open the database's stops there.
/// </summary>
[TestFixture(CheckoutDatabase.SqliteProvider)]
[TestFixture(CheckoutDatabase.PostgresProvider)]
public class AgentSecretSealingTests(string provider) : StorageTest(provider)
{
    private CheckoutDatabase _database = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        _database = OpenDatabase();
        await _database.InitializeAsync(CancellationToken.None);
    }

    [Test]
    public async Task Add_and_rotation_store_the_secrets_sealed_and_read_them_back_in_clear()
    {
        var agents = new AgentStore(_database, TimeProvider.System, new TestSecretSealer());
        await agents.PrepareSecretsAsync(CancellationToken.None);
        var created = await agents.AddAsync("bot", [Scopes.PurchasesRead], new AgentPolicy(), CancellationToken.None);
        var rotated = await agents.RotateWebhookSecretAsync("bot", TimeSpan.FromHours(1), CancellationToken.None);

        var (current, previous) = await StoredSecretsAsync(created.Agent.Id);
        Assert.That(current, Does.StartWith("test-sealed:").And.Not.Contain(rotated!));
        Assert.That(previous, Does.StartWith("test-sealed:").And.Not.Contain(created.Agent.WebhookSecret));
        var read = (await agents.ListAsync(CancellationToken.None)).Single();
        Assert.That(read.WebhookSecret, Is.EqualTo(rotated));
        Assert.That(read.PreviousWebhookSecret, Is.EqualTo(created.Agent.WebhookSecret));
    }

    [Test]
    public async Task Secrets_stored_in_clear_by_an_earlier_version_are_sealed_at_start_up_and_still_sign()
    {
        var agents = new AgentStore(_database, TimeProvider.System, new TestSecretSealer());
        var (first, second) = (await agents.AddAsync("first", [Scopes.PurchasesRead], new AgentPolicy(), CancellationToken.None),
            await agents.AddAsync("second", [Scopes.PurchasesRead], new AgentPolicy(), CancellationToken.None));
        // As release 2 left them: the current secret in clear for both, a previous one in clear for the second.
        const string OldPrevious = "whsec_previousPreviousPreviousPrevious1";
        await ExecuteAsync("UPDATE agents SET webhook_secret = @v WHERE id = @id", ("@v", first.Agent.WebhookSecret), ("@id", first.Agent.Id));
        await ExecuteAsync("UPDATE agents SET webhook_secret = @v, previous_webhook_secret = @p, previous_webhook_secret_expires_at = @until WHERE id = @id",
            ("@v", second.Agent.WebhookSecret), ("@p", OldPrevious), ("@until", Timestamps.Format(DateTimeOffset.UtcNow.AddHours(1))), ("@id", second.Agent.Id));
        Assert.That((await agents.ListAsync(CancellationToken.None)).Select(a => a.WebhookSecret),
            Is.EquivalentTo(new[] { first.Agent.WebhookSecret, second.Agent.WebhookSecret }), "plain secrets still read before the start-up");

        var sealedNow = await agents.PrepareSecretsAsync(CancellationToken.None);

        Assert.That(sealedNow, Is.EqualTo(2));
        foreach (var id in new[] { first.Agent.Id, second.Agent.Id })
        {
            var (current, previous) = await StoredSecretsAsync(id);
            Assert.That(current, Does.StartWith("test-sealed:"));
            Assert.That(previous, Is.Null.Or.StartWith("test-sealed:"));
        }
        var read = (await agents.ListAsync(CancellationToken.None)).Single(a => a.Name == "second");
        Assert.That(read.WebhookSecret, Is.EqualTo(second.Agent.WebhookSecret));
        Assert.That(read.PreviousWebhookSecret, Is.EqualTo(OldPrevious));
        Assert.That(await agents.PrepareSecretsAsync(CancellationToken.None), Is.Zero, "nothing left to seal the next time");
    }

    [Test]
    public async Task A_node_whose_key_does_not_open_the_databases_secrets_stops_at_start_up()
    {
        await new AgentStore(_database, TimeProvider.System, new TestSecretSealer()).PrepareSecretsAsync(CancellationToken.None);
        var otherKey = new AgentStore(OpenDatabase(), TimeProvider.System, new OtherKeySealer());

        var refused = Assert.ThrowsAsync<InvalidOperationException>(() => otherKey.PrepareSecretsAsync(CancellationToken.None));
        Assert.That(refused!.Message, Does.Contain("another key"));
        Assert.That(await new AgentStore(OpenDatabase(), TimeProvider.System, new TestSecretSealer()).PrepareSecretsAsync(CancellationToken.None), Is.Zero,
            "the first key still opens it");
    }

    /// <summary>A sealer with another key: it opens only what it sealed itself.</summary>
    private sealed class OtherKeySealer : ISecretSealer
    {
        public string Seal(string owner, string purpose, string plaintext) => "other:" + plaintext;

        public string Unseal(string owner, string purpose, string stored) =>
            stored.StartsWith("other:", StringComparison.Ordinal) ? stored[6..] : throw new InvalidOperationException("sealed with another key");
    }

    private async Task<(string Current, string? Previous)> StoredSecretsAsync(string agentId)
    {
        await using var connection = await _database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT webhook_secret, previous_webhook_secret FROM agents WHERE id = @id";
        command.AddParameter("@id", agentId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True);
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private async Task ExecuteAsync(string sql, params (string Name, string Value)[] parameters)
    {
        await using var connection = await _database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.AddParameter(name, value);
        }
        await command.ExecuteNonQueryAsync();
    }
}
