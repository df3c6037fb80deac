using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Core.Purchases;
using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>One entry of the owner's audit log: who changed which agent, how, and when. It never holds a token or secret.</summary>
/// <param name="AgentId">Null for changes that concern no agent (the global pause).</param>
/// <param name="Actor"><c>owner</c> for the CLI's owner verbs, <c>agent NAME</c> for an agent with the admin scope.</param>
public sealed record AgentAuditEntry(DateTimeOffset At, string Action, string? AgentId, string? AgentName, string Detail, string Actor);

/// <summary>The actions of the owner's audit log.</summary>
public static class AuditActions
{
    public const string Add = "add";
    public const string Revoke = "revoke";
    public const string Policy = "policy";
    public const string RotateToken = "rotate-token";
    public const string RotateWebhookSecret = "rotate-webhook-secret";
    public const string Pause = "pause";
    public const string Resume = "resume";
}

/// <summary>
/// Agents, their hashed tokens and policies, the global pause switch and the owner's audit log, in the worker's
/// database. A rotation keeps the replaced token (its hash) or webhook secret working until its grace period ends;
/// every change is written to the audit log in the same transaction as the change itself. Webhook secrets are stored
/// sealed (<see cref="ISecretSealer"/>); <see cref="PrepareSecretsAsync"/> checks the sealing key at start-up.
/// </summary>
public sealed class AgentStore(IConnectionFactory connections, SqlDialect dialect, TimeProvider time, ISecretSealer sealer)
{
    /// <summary>The owner, as the audit log names the CLI's owner verbs.</summary>
    public const string Owner = "owner";

    /// <summary>The purpose webhook secrets are sealed for.</summary>
    public const string WebhookSecretPurpose = "webhook-secret";

    public AgentStore(CheckoutDatabase database, TimeProvider time, ISecretSealer sealer) : this(database.Connections, database.Dialect, time, sealer)
    {
    }

    // The settings row holding a value sealed with the key every node must share: a node with another key stops at start.
    private const string KeyCheckKey = "secrets_key_check";
    private const string KeyCheckOwner = "settings";
    private const string KeyCheckPurpose = "key-check";
    private const string KeyCheckValue = "checkout-agent key check v1";

    private const string PausedKey = "purchases_paused";

    /// <exception cref="ArgumentException">A name already taken or not of the form <c>[a-z0-9][a-z0-9._-]{0,62}</c>.</exception>
    public async Task<NewAgent> AddAsync(string name, IReadOnlyList<string> scopes, AgentPolicy policy, CancellationToken cancellationToken,
        string actor = Owner)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"agent name '{name}' is not allowed: use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", nameof(name));
        }
        var token = AgentSecrets.NewToken();
        var agent = new Agent(CheckoutAgent.Link.ObjectIds.New("agt_", 16), name, scopes, policy, AgentSecrets.NewWebhookSecret(), time.GetUtcNow(), null);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        await using var command = connection.Command(transaction, """
            INSERT INTO agents (id, name, token_hash, scopes, webhook_secret, policy_json, created_at)
            VALUES (@id, @name, @hash, @scopes, @secret, @policy, @now)
            """);
        command.AddParameter("@id", agent.Id);
        command.AddParameter("@name", name);
        command.AddParameter("@hash", AgentSecrets.Hash(token));
        command.AddParameter("@scopes", string.Join(' ', scopes));
        command.AddParameter("@secret", sealer.Seal(agent.Id, WebhookSecretPurpose, agent.WebhookSecret));
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
        await AuditAsync(connection, transaction, AuditActions.Add, agent.Id, name,
            $"scopes {string.Join(",", scopes)}; policy {JsonSerializer.Serialize(policy)}", actor, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new NewAgent(agent, token);
    }

    /// <summary>
    /// The live agent holding this token (its current one, or the one it replaced while the rotation's grace period
    /// lasts), or null for an unknown, expired or revoked one.
    /// </summary>
    public async Task<Agent?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(AgentSecrets.TokenPrefix, StringComparison.Ordinal) || token.Length > 200)
        {
            return null;
        }
        var hash = AgentSecrets.Hash(token);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, $"{Select}, token_hash FROM agents WHERE token_hash = @hash OR previous_token_hash = @hash");
        command.AddParameter("@hash", hash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var agent = Read(reader);
            var current = reader.GetString(Columns);
            if (agent.RevokedAt is null && (current == hash || agent.PreviousTokenUntil > time.GetUtcNow()))
            {
                return agent;
            }
        }
        return null;
    }

    /// <summary>
    /// Gives a live agent a new token. The old one keeps working for <paramref name="grace"/> (zero: it stops at once),
    /// so the agent can switch without a failed request; a token replaced by an earlier rotation stops now.
    /// Null when no live agent has that name.
    /// </summary>
    public async Task<string?> RotateTokenAsync(string name, TimeSpan grace, CancellationToken cancellationToken, string actor = Owner)
    {
        var token = AgentSecrets.NewToken();
        var until = grace > TimeSpan.Zero ? time.GetUtcNow() + grace : (DateTimeOffset?)null;
        var rotated = await RotateAsync(name, """
            UPDATE agents SET previous_token_hash = CASE WHEN @until IS NULL THEN NULL ELSE token_hash END,
                previous_token_expires_at = @until, token_hash = @value
            WHERE id = @id AND revoked_at IS NULL RETURNING id
            """, _ => AgentSecrets.Hash(token), until, AuditActions.RotateToken,
            until is { } end ? $"new token issued; the previous one works until {Format(end)}" : "new token issued; the previous one stopped at once",
            actor, cancellationToken);
        return rotated ? token : null;
    }

    /// <summary>
    /// Gives a live agent a new webhook signing secret. For <paramref name="grace"/> every webhook is signed with both
    /// (two <c>v1=</c> values), so the receiver can switch at its own pace. Null when no live agent has that name.
    /// </summary>
    public async Task<string?> RotateWebhookSecretAsync(string name, TimeSpan grace, CancellationToken cancellationToken, string actor = Owner)
    {
        var secret = AgentSecrets.NewWebhookSecret();
        var until = grace > TimeSpan.Zero ? time.GetUtcNow() + grace : (DateTimeOffset?)null;
        var rotated = await RotateAsync(name, """
            UPDATE agents SET previous_webhook_secret = CASE WHEN @until IS NULL THEN NULL ELSE webhook_secret END,
                previous_webhook_secret_expires_at = @until, webhook_secret = @value
            WHERE id = @id AND revoked_at IS NULL RETURNING id
            """, id => sealer.Seal(id, WebhookSecretPurpose, secret), until, AuditActions.RotateWebhookSecret,
            until is { } end ? $"new webhook secret; webhooks carry both signatures until {Format(end)}" : "new webhook secret; the previous one stopped signing at once",
            actor, cancellationToken);
        return rotated ? secret : null;
    }

    private async Task<bool> RotateAsync(string name, string sql, Func<string, string> valueFor, DateTimeOffset? until, string action, string detail,
        string actor, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        string id;
        await using (var find = connection.Command(transaction, "SELECT id FROM agents WHERE name = @name AND revoked_at IS NULL"))
        {
            find.AddParameter("@name", name);
            if (await find.ExecuteScalarAsync(cancellationToken) is not string found)
            {
                return false;
            }
            id = found;
        }
        await using var command = connection.Command(transaction, sql);
        command.AddParameter("@value", valueFor(id));
        command.AddParameter("@until", until is { } at ? Format(at) : null, System.Data.DbType.String);
        command.AddParameter("@id", id);
        if (await command.ExecuteScalarAsync(cancellationToken) is not string)
        {
            return false;
        }
        await AuditAsync(connection, transaction, action, id, name, detail, actor, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// When the agent may create a purchase again, or null when it may now: it has created
    /// <paramref name="maxPerHour"/> purchases in the last hour, and the oldest of those leaves the window then.
    /// </summary>
    public async Task<DateTimeOffset?> PurchaseRateFullUntilAsync(string agentId, int maxPerHour, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await connections.OpenAsync(cancellationToken);
        // The maxPerHour-th newest purchase in the window, read from ix_purchases_agent.
        await using var command = connection.Command(null, """
            SELECT created_at FROM purchases WHERE agent_id = @agent AND created_at > @since
            ORDER BY created_at DESC LIMIT 1 OFFSET @offset
            """);
        command.AddParameter("@agent", agentId);
        command.AddParameter("@since", Format(now - TimeSpan.FromHours(1)));
        command.AddParameter("@offset", Math.Max(0, maxPerHour - 1));
        return maxPerHour <= 0 ? now + TimeSpan.FromHours(1)
            : await command.ExecuteScalarAsync(cancellationToken) is string at ? Timestamps.Parse(at) + TimeSpan.FromHours(1) : null;
    }

    /// <summary>Whether the agent already used this Idempotency-Key (a retry replays, whatever the limits).</summary>
    public async Task<bool> HasIdempotencyKeyAsync(string agentId, string key, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, "SELECT 1 FROM idempotency_keys WHERE agent_id = @agent AND key = @key");
        command.AddParameter("@agent", agentId);
        command.AddParameter("@key", key);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>The audit log, newest first; only <paramref name="agentName"/>'s entries when given.</summary>
    public async Task<IReadOnlyList<AgentAuditEntry>> AuditLogAsync(string? agentName, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, $"""
            SELECT at, action, agent_id, agent_name, detail, actor FROM agent_audit
            {(agentName is null ? "" : "WHERE agent_name = @name")} ORDER BY at DESC, id DESC LIMIT @limit
            """);
        if (agentName is not null)
        {
            command.AddParameter("@name", agentName);
        }
        command.AddParameter("@limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<AgentAuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AgentAuditEntry(Timestamps.Parse(reader.GetString(0)), reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetString(5)));
        }
        return entries;
    }

    private async Task AuditAsync(DbConnection connection, DbTransaction transaction, string action, string? agentId, string? agentName,
        string detail, string actor, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, """
            INSERT INTO agent_audit (id, at, action, agent_id, agent_name, detail, actor)
            VALUES (@id, @at, @action, @agent, @name, @detail, @actor)
            """);
        command.AddParameter("@id", CheckoutAgent.Link.ObjectIds.New("aud_", 16));
        command.AddParameter("@at", Format(time.GetUtcNow()));
        command.AddParameter("@action", action);
        command.AddParameter("@agent", agentId, System.Data.DbType.String);
        command.AddParameter("@name", agentName, System.Data.DbType.String);
        command.AddParameter("@detail", detail);
        command.AddParameter("@actor", actor);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<Agent?> GetAsync(string id, CancellationToken cancellationToken) => FindAsync("id", id, cancellationToken);

    public Task<Agent?> GetByNameAsync(string name, CancellationToken cancellationToken) => FindAsync("name", name, cancellationToken);

    public async Task<IReadOnlyList<Agent>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{Select} FROM agents ORDER BY name";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<Agent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }
        return result;
    }

    /// <summary>Revokes the agent's tokens (current and rotated-out) at once; its purchases stay. False when no live agent has that name.</summary>
    public async Task<bool> RevokeAsync(string name, CancellationToken cancellationToken, string actor = Owner)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        // The name is freed for a successor; the row stays for the purchases that point at it.
        await using var command = connection.Command(transaction, """
            UPDATE agents SET revoked_at = @now, name = name || '#revoked-' || id, previous_token_hash = NULL, previous_token_expires_at = NULL
            WHERE name = @name AND revoked_at IS NULL RETURNING id
            """);
        command.AddParameter("@now", Format(time.GetUtcNow()));
        command.AddParameter("@name", name);
        if (await command.ExecuteScalarAsync(cancellationToken) is not string id)
        {
            return false;
        }
        await AuditAsync(connection, transaction, AuditActions.Revoke, id, name, "every token of the agent stopped working", actor, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Replaces a live agent's policy. False when no live agent has that name.</summary>
    public async Task<bool> SetPolicyAsync(string name, AgentPolicy policy, CancellationToken cancellationToken, string actor = Owner)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        await using var command = connection.Command(transaction,
            "UPDATE agents SET policy_json = @policy WHERE name = @name AND revoked_at IS NULL RETURNING id");
        var json = JsonSerializer.Serialize(policy);
        command.AddParameter("@policy", json);
        command.AddParameter("@name", name);
        if (await command.ExecuteScalarAsync(cancellationToken) is not string id)
        {
            return false;
        }
        await AuditAsync(connection, transaction, AuditActions.Policy, id, name, $"policy {json}", actor, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The global pause switch: while on, every new purchase is refused by policy and queued ones stop before asking Link.</summary>
    public async Task SetPausedAsync(bool paused, CancellationToken cancellationToken, string actor = Owner)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        await using var command = connection.Command(transaction, dialect.Upsert("settings", ["key"], ["value"]));
        command.AddParameter("@key", PausedKey);
        command.AddParameter("@value", paused ? "true" : "false");
        await command.ExecuteNonQueryAsync(cancellationToken);
        await AuditAsync(connection, transaction, paused ? AuditActions.Pause : AuditActions.Resume, null, null,
            paused ? "new purchases refused, queued ones stop before Link" : "purchases accepted again", actor, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
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

    private const string Select = """
        SELECT id, name, scopes, policy_json, webhook_secret, created_at, revoked_at,
            previous_webhook_secret, previous_webhook_secret_expires_at, previous_token_expires_at
        """;

    /// <summary>How many columns <see cref="Select"/> reads.</summary>
    private const int Columns = 10;

    private async Task<Agent?> FindAsync(string column, string value, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{Select} FROM agents WHERE {column} = @value";
        command.AddParameter("@value", value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private Agent Read(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries),
        JsonSerializer.Deserialize<AgentPolicy>(reader.GetString(3)) ?? new AgentPolicy(),
        OpenWebhookSecret(reader.GetString(0), reader.GetString(4)),
        Timestamps.Parse(reader.GetString(5)),
        reader.IsDBNull(6) ? null : Timestamps.Parse(reader.GetString(6)))
    {
        PreviousWebhookSecret = reader.IsDBNull(7) ? null : OpenWebhookSecret(reader.GetString(0), reader.GetString(7)),
        PreviousWebhookSecretUntil = reader.IsDBNull(8) ? null : Timestamps.Parse(reader.GetString(8)),
        PreviousTokenUntil = reader.IsDBNull(9) ? null : Timestamps.Parse(reader.GetString(9)),
    };

    /// <summary>A stored webhook secret in clear: sealed, or (written before secrets were sealed) still plain.</summary>
    private string OpenWebhookSecret(string agentId, string stored) =>
        IsPlain(stored) ? stored : sealer.Unseal(agentId, WebhookSecretPurpose, stored);

    private static bool IsPlain(string stored) => stored.StartsWith(AgentSecrets.WebhookSecretPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Run at start-up, after the migrations. Checks that this node's key is the one the database's secrets are sealed
    /// with (the first node to start records a value sealed with its key; every later start must open it), then seals
    /// the webhook secrets an earlier version stored in clear. Returns how many agents' secrets it sealed.
    /// </summary>
    /// <exception cref="Exception">Whatever the sealer throws for a key that does not open the check value.</exception>
    public async Task<int> PrepareSecretsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using (var insert = connection.Command(null, "INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO NOTHING"))
        {
            insert.AddParameter("@key", KeyCheckKey);
            insert.AddParameter("@value", sealer.Seal(KeyCheckOwner, KeyCheckPurpose, KeyCheckValue));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var check = connection.Command(null, "SELECT value FROM settings WHERE key = @key"))
        {
            check.AddParameter("@key", KeyCheckKey);
            var stored = (string)(await check.ExecuteScalarAsync(cancellationToken))!;
            if (sealer.Unseal(KeyCheckOwner, KeyCheckPurpose, stored) != KeyCheckValue)
            {
                throw new InvalidOperationException("the database's key check holds an unexpected value; restore the database from a backup");
            }
        }

        var plain = new List<(string Id, string Current, string? Previous)>();
        await using (var select = connection.Command(null, """
            SELECT id, webhook_secret, previous_webhook_secret FROM agents
            WHERE substr(webhook_secret, 1, 6) = 'whsec_' OR substr(previous_webhook_secret, 1, 6) = 'whsec_'
            """))
        {
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                plain.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }
        }
        foreach (var (id, current, previous) in plain)
        {
            await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
            // Only if the row still holds what was read: a rotation in between (another node) already wrote sealed values.
            await using var update = connection.Command(transaction, """
                UPDATE agents SET webhook_secret = @current, previous_webhook_secret = @previous
                WHERE id = @id AND webhook_secret = @was_current
                  AND (previous_webhook_secret = @was_previous OR (previous_webhook_secret IS NULL AND @was_previous IS NULL))
                """);
            update.AddParameter("@current", IsPlain(current) ? sealer.Seal(id, WebhookSecretPurpose, current) : current);
            update.AddParameter("@previous", previous is null ? null : IsPlain(previous) ? sealer.Seal(id, WebhookSecretPurpose, previous) : previous,
                System.Data.DbType.String);
            update.AddParameter("@id", id);
            update.AddParameter("@was_current", current);
            update.AddParameter("@was_previous", previous, System.Data.DbType.String);
            await update.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        return plain.Count;
    }

    private static string Format(DateTimeOffset at) => Timestamps.Format(at);
}
