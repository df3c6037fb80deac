using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Core.Purchases;
using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>Agents, their hashed tokens and policies, and the global pause switch, in the worker's database.</summary>
public sealed class AgentStore(IConnectionFactory connections, SqlDialect dialect, TimeProvider time)
{
    public AgentStore(CheckoutDatabase database, TimeProvider time) : this(database.Connections, database.Dialect, time)
    {
    }

    private const string PausedKey = "purchases_paused";

    /// <exception cref="ArgumentException">A name already taken or not of the form <c>[a-z0-9][a-z0-9._-]{0,62}</c>.</exception>
    public async Task<NewAgent> AddAsync(string name, IReadOnlyList<string> scopes, AgentPolicy policy, CancellationToken cancellationToken)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"agent name '{name}' is not allowed: use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", nameof(name));
        }
        var token = AgentSecrets.NewToken();
        var agent = new Agent(CheckoutAgent.Link.ObjectIds.New("agt_", 16), name, scopes, policy, AgentSecrets.NewWebhookSecret(), time.GetUtcNow(), null);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO agents (id, name, token_hash, scopes, webhook_secret, policy_json, created_at)
            VALUES (@id, @name, @hash, @scopes, @secret, @policy, @now)
            """;
        command.AddParameter("@id", agent.Id);
        command.AddParameter("@name", name);
        command.AddParameter("@hash", AgentSecrets.Hash(token));
        command.AddParameter("@scopes", string.Join(' ', scopes));
        command.AddParameter("@secret", agent.WebhookSecret);
        command.AddParameter("@policy", JsonSerializer.Serialize(policy));
        command.AddParameter("@now", Format(agent.CreatedAt));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (DbException ex) when (dialect.IsUniqueViolation(ex))
        {
            throw new ArgumentException($"an agent named '{name}' already exists; pick another name or revoke it first", nameof(name), ex);
        }
        return new NewAgent(agent, token);
    }

    /// <summary>The live agent holding this token, or null for an unknown or revoked one.</summary>
    public async Task<Agent?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(AgentSecrets.TokenPrefix, StringComparison.Ordinal) || token.Length > 200)
        {
            return null;
        }
        var agent = await FindAsync("token_hash", AgentSecrets.Hash(token), cancellationToken);
        return agent is { RevokedAt: null } ? agent : null;
    }

    public Task<Agent?> GetAsync(string id, CancellationToken cancellationToken) => FindAsync("id", id, cancellationToken);

    public Task<Agent?> GetByNameAsync(string name, CancellationToken cancellationToken) => FindAsync("name", name, cancellationToken);

    public async Task<IReadOnlyList<Agent>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{Select} ORDER BY name";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<Agent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }
        return result;
    }

    /// <summary>Revokes the agent's token at once; its purchases stay. False when no live agent has that name.</summary>
    public async Task<bool> RevokeAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The name is freed for a successor; the row stays for the purchases that point at it.
        command.CommandText = "UPDATE agents SET revoked_at = @now, name = name || '#revoked-' || id WHERE name = @name AND revoked_at IS NULL";
        command.AddParameter("@now", Format(time.GetUtcNow()));
        command.AddParameter("@name", name);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Replaces a live agent's policy. False when no live agent has that name.</summary>
    public async Task<bool> SetPolicyAsync(string name, AgentPolicy policy, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE agents SET policy_json = @policy WHERE name = @name AND revoked_at IS NULL";
        command.AddParameter("@policy", JsonSerializer.Serialize(policy));
        command.AddParameter("@name", name);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The global pause switch: while on, every new purchase is refused by policy and queued ones stop before asking Link.</summary>
    public async Task SetPausedAsync(bool paused, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = dialect.Upsert("settings", ["key"], ["value"]);
        command.AddParameter("@key", PausedKey);
        command.AddParameter("@value", paused ? "true" : "false");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> IsPausedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await IsPausedAsync(connection, null, cancellationToken);
    }

    internal static async Task<bool> IsPausedAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM settings WHERE key = @key";
        command.AddParameter("@key", PausedKey);
        return await command.ExecuteScalarAsync(cancellationToken) is "true";
    }

    public static bool IsValidName(string name) =>
        name.Length is >= 1 and <= 63 && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-');

    private const string Select = "SELECT id, name, scopes, policy_json, webhook_secret, created_at, revoked_at FROM agents";

    private async Task<Agent?> FindAsync(string column, string value, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{Select} WHERE {column} = @value";
        command.AddParameter("@value", value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static Agent Read(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries),
        JsonSerializer.Deserialize<AgentPolicy>(reader.GetString(3)) ?? new AgentPolicy(),
        reader.GetString(4),
        Timestamps.Parse(reader.GetString(5)),
        reader.IsDBNull(6) ? null : Timestamps.Parse(reader.GetString(6)));

    private static string Format(DateTimeOffset at) => Timestamps.Format(at);
}
