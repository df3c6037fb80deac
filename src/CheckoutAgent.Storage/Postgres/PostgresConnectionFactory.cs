using System.Data.Common;
using Npgsql;

namespace CheckoutAgent.Storage;

/// <summary>
/// Opens PostgreSQL connections from one pooled <see cref="NpgsqlDataSource"/>. <see cref="Description"/> names host,
/// port and database, never the password.
/// </summary>
public sealed class PostgresConnectionFactory : IConnectionFactory, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    /// <exception cref="ArgumentException">The connection string cannot be parsed; the message does not repeat it.</exception>
    public PostgresConnectionFactory(string connectionString)
    {
        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            // Npgsql's message may quote the string, and the string may hold a password.
            throw new ArgumentException(
                $"Storage:ConnectionString is not a valid PostgreSQL connection string ({ex.GetType().Name}); expected e.g. " +
                "Host=db.internal;Port=5432;Database=checkout;Username=checkout;Password=...", nameof(connectionString));
        }
        ConnectionString = parsed.ConnectionString;
        Description = $"postgres://{parsed.Host}:{parsed.Port}/{parsed.Database}";
        _dataSource = NpgsqlDataSource.Create(parsed);
    }

    /// <value>The connection string, shared with Quartz's ADO store. Holds the password: never log it.</value>
    public string ConnectionString { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await _dataSource.OpenConnectionAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
