using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>
/// Merchant accounts (table <c>merchant_accounts</c>), one per shop host. Hosts are compared lower-case. The secret and
/// session are opaque ciphertext: encrypting and decrypting them is the host's job.
/// </summary>
public sealed class AccountStore(IConnectionFactory connections, SqlDialect dialect, TimeProvider time)
{
    public AccountStore(CheckoutDatabase database, TimeProvider time) : this(database.Connections, database.Dialect, time)
    {
    }

    /// <summary>The form a host is stored and looked up in.</summary>
    public static string NormalizeHost(string host)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return host.Trim().TrimEnd('.').ToLowerInvariant();
    }

    /// <summary>Stores a new account.</summary>
    /// <exception cref="ArgumentException">The host already has an account, or an argument is empty.</exception>
    public async Task<MerchantAccountRecord> AddAsync(string host, string username, byte[] secret, bool hasTotp, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        ArgumentNullException.ThrowIfNull(secret);
        var now = time.GetUtcNow();
        var account = new MerchantAccountRecord(NormalizeHost(host), username, secret, hasTotp, null, now, now, null);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, """
            INSERT INTO merchant_accounts (host, username, secret, has_totp, session, created_at, updated_at, last_used_at)
            VALUES (@host, @username, @secret, @totp, NULL, @now, @now, NULL)
            """);
        command.AddParameter("@host", account.Host).AddParameter("@username", username).AddParameter("@secret", secret)
            .AddParameter("@totp", hasTotp ? 1 : 0).AddParameter("@now", Timestamps.Format(now));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (DbException ex) when (dialect.IsUniqueViolation(ex))
        {
            throw new ArgumentException(
                $"an account for '{account.Host}' already exists; replace its secret or remove it first", nameof(host), ex);
        }
        return account;
    }

    /// <summary>The account for <paramref name="host"/> with its secret and session, or null.</summary>
    public async Task<MerchantAccountRecord?> GetAsync(string host, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, """
            SELECT host, username, secret, has_totp, session, created_at, updated_at, last_used_at
            FROM merchant_accounts WHERE host = @host
            """);
        command.AddParameter("@host", NormalizeHost(host));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new MerchantAccountRecord(
            reader.GetString(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2), reader.GetInt64(3) != 0,
            reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4),
            Timestamps.Parse(reader.GetString(5)), Timestamps.Parse(reader.GetString(6)),
            reader.IsDBNull(7) ? null : Timestamps.Parse(reader.GetString(7)));
    }

    /// <summary>Every account by host, without secret or session bytes (they are not even read).</summary>
    public async Task<IReadOnlyList<MerchantAccountSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, """
            SELECT host, username, has_totp, session IS NOT NULL, created_at, updated_at, last_used_at
            FROM merchant_accounts ORDER BY host
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<MerchantAccountSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new MerchantAccountSummary(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0, Convert.ToBoolean(reader.GetValue(3), System.Globalization.CultureInfo.InvariantCulture),
                Timestamps.Parse(reader.GetString(4)), Timestamps.Parse(reader.GetString(5)),
                reader.IsDBNull(6) ? null : Timestamps.Parse(reader.GetString(6))));
        }
        return result;
    }

    /// <returns>False when there was no account for the host.</returns>
    public Task<bool> RemoveAsync(string host, CancellationToken cancellationToken) =>
        ChangeAsync("DELETE FROM merchant_accounts WHERE host = @host", host, null, cancellationToken);

    /// <summary>New credentials (a changed password or TOTP seed). The saved session belonged to the old ones and is cleared.</summary>
    /// <returns>False when there is no account for the host.</returns>
    public Task<bool> ReplaceSecretAsync(string host, byte[] secret, bool hasTotp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return ChangeAsync("UPDATE merchant_accounts SET secret = @secret, has_totp = @totp, session = NULL, updated_at = @now WHERE host = @host",
            host, command => command.AddParameter("@secret", secret).AddParameter("@totp", hasTotp ? 1 : 0), cancellationToken);
    }

    /// <summary>Keeps the shop's cookies after a sign-in, so the next checkout need not sign in again.</summary>
    /// <returns>False when there is no account for the host.</returns>
    public Task<bool> SaveSessionAsync(string host, byte[] session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return ChangeAsync("UPDATE merchant_accounts SET session = @session, updated_at = @now WHERE host = @host",
            host, command => command.AddParameter("@session", session), cancellationToken);
    }

    /// <summary>Forgets the saved session (expired, or signed out).</summary>
    /// <returns>False when there is no account for the host.</returns>
    public Task<bool> ClearSessionAsync(string host, CancellationToken cancellationToken) =>
        ChangeAsync("UPDATE merchant_accounts SET session = NULL, updated_at = @now WHERE host = @host", host, null, cancellationToken);

    /// <summary>Records when the account was last used for a checkout; nothing else changes.</summary>
    /// <returns>False when there is no account for the host.</returns>
    public Task<bool> TouchAsync(string host, DateTimeOffset at, CancellationToken cancellationToken) =>
        ChangeAsync("UPDATE merchant_accounts SET last_used_at = @at WHERE host = @host", host,
            command => command.AddParameter("@at", Timestamps.Format(at)), cancellationToken);

    private async Task<bool> ChangeAsync(string sql, string host, Action<DbCommand>? parameters, CancellationToken cancellationToken)
    {
        var normalized = NormalizeHost(host);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, sql);
        command.AddParameter("@host", normalized);
        if (sql.Contains("@now", StringComparison.Ordinal))
        {
            command.AddParameter("@now", Timestamps.Format(time.GetUtcNow()));
        }
        parameters?.Invoke(command);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
