using System.Data;
using System.Data.Common;
using Quartz.Impl.AdoJobStore.Common;

namespace CheckoutAgent.Storage;

/// <summary>
/// Quartz's Microsoft.Data.Sqlite provider, with SQLite's busy handler turned on for every connection it opens (as
/// <see cref="CheckoutDatabase.OpenAsync"/> does for ours). Quartz shares the database file with the purchase store;
/// without the handler a Quartz statement that meets the store's write lock is retried by Microsoft.Data.Sqlite
/// after 150 ms sleeps, which put 150 ms stalls into intake and job pickup.
/// </summary>
public sealed class BusyWaitingSqliteProvider(string connectionString) : IDbProvider
{
    private readonly DbProvider _inner = new("SQLite-Microsoft", connectionString);

    /// <inheritdoc />
    public string ConnectionString => _inner.ConnectionString;

    /// <inheritdoc />
    public DbMetadata Metadata => _inner.Metadata;

    /// <inheritdoc />
    public DbCommand CreateCommand() => _inner.CreateCommand();

    /// <inheritdoc />
    public DbConnection CreateConnection()
    {
        var connection = _inner.CreateConnection();
        connection.StateChange += (sender, change) =>
        {
            if (change.CurrentState == ConnectionState.Open && sender is DbConnection opened)
            {
                using var command = opened.CreateCommand();
                command.CommandText = CheckoutDatabase.BusyTimeoutPragma;
                command.ExecuteNonQuery();
            }
        };
        return connection;
    }

    /// <inheritdoc />
    public void Shutdown() => _inner.Shutdown();
}
