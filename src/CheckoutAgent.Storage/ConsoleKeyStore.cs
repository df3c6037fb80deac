namespace CheckoutAgent.Storage;

/// <summary>
/// The <c>console_keys</c> table: the operator console's data-protection keys as the key manager hands them over (its
/// XML, already sealed by the worker), one row per key, in every node's reach. Rows are only ever added.
/// </summary>
public sealed class ConsoleKeyStore(IConnectionFactory connections, SqlDialect dialect, TimeProvider time)
{
    public ConsoleKeyStore(CheckoutDatabase database, TimeProvider time) : this(database.Connections, database.Dialect, time)
    {
    }

    /// <summary>Every stored key's XML, oldest first.</summary>
    public async Task<IReadOnlyList<string>> AllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, "SELECT xml FROM console_keys ORDER BY created_at, name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(reader.GetString(0));
        }
        return result;
    }

    /// <summary>Adds a key under its name (the key manager's <c>key-{id}</c>); a name already stored is left as it is.</summary>
    public async Task AddAsync(string name, string xml, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        await using var command = connection.Command(transaction,
            "INSERT INTO console_keys (name, xml, created_at) VALUES (@name, @xml, @at) ON CONFLICT (name) DO NOTHING");
        command.AddParameter("@name", name).AddParameter("@xml", xml).AddParameter("@at", Timestamps.Format(time.GetUtcNow()));
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
