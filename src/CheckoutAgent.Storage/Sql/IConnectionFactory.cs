using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>
/// Opens connections to one database, ready to use: whatever an engine needs on every connection (SQLite's busy
/// handler, a search path) is done before the connection is handed out. The stores open one per operation and dispose
/// it; pooling is the provider's business.
/// </summary>
public interface IConnectionFactory
{
    /// <value>Which database this is, for messages: a file path, or a server and database name. Never a password.</value>
    string Description { get; }

    /// <summary>Opens a new connection. The caller disposes it.</summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);
}
