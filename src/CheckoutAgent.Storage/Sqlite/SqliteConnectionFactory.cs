using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Storage;

/// <summary>
/// Opens SQLite connections with SQLite's own busy handler turned on (<see cref="BusyTimeoutPragma"/>). Without it
/// Microsoft.Data.Sqlite retries a busy statement after 150 ms sleeps, which under concurrent writers made intake 10x
/// slower.
/// </summary>
public sealed class SqliteConnectionFactory(string connectionString) : IConnectionFactory
{
    /// <summary>Lets SQLite wait up to 30 s for a lock, in steps of a few milliseconds.</summary>
    public const string BusyTimeoutPragma = "PRAGMA busy_timeout = 30000";

    /// <value>The connection string every connection is opened with.</value>
    public string ConnectionString { get; } = connectionString;

    /// <inheritdoc />
    public string Description { get; } = new SqliteConnectionStringBuilder(connectionString).DataSource;

    /// <summary>Opens a connection with the busy handler set; typed, for callers that know they hold SQLite.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = BusyTimeoutPragma;
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    async Task<DbConnection> IConnectionFactory.OpenAsync(CancellationToken cancellationToken) => await OpenAsync(cancellationToken);
}
