using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Storage;

/// <summary>SQLite, the embedded default: one file, one writer at a time, readers never blocked (WAL).</summary>
public sealed class SqliteDialect : SqlDialect
{
    /// <summary>SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY (extended result codes).</summary>
    private const int ConstraintUnique = 2067, ConstraintPrimaryKey = 1555;

    public static SqliteDialect Instance { get; } = new();

    private SqliteDialect()
    {
    }

    /// <inheritdoc />
    public override string Name => "sqlite";

    /// <inheritdoc />
    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: ConstraintUnique or ConstraintPrimaryKey };

    /// <inheritdoc />
    /// <remarks><c>BEGIN IMMEDIATE</c>: the write lock is taken at once (waiting in the busy handler), never upgraded
    /// from a read lock later, which in WAL mode fails with SQLITE_BUSY instead of waiting.</remarks>
    public override Task<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false));
    }

    /// <inheritdoc />
    public override async Task<bool> TableExistsAsync(DbConnection connection, DbTransaction? transaction, string table,
        CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @table");
        command.AddParameter("@table", table);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <inheritdoc />
    public override async Task<bool> ColumnExistsAsync(DbConnection connection, DbTransaction? transaction, string table, string column,
        CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, "SELECT COUNT(*) FROM pragma_table_info(@table) WHERE name = @column");
        command.AddParameter("@table", table).AddParameter("@column", column);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <inheritdoc />
    /// <remarks>WAL, so readers never block the writer. It is a property of the file and cannot be set in a transaction.
    /// <c>synchronous</c> stays at SQLite's default, FULL: a commit is on disk when it returns.</remarks>
    public override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(null, "PRAGMA journal_mode = WAL", cancellationToken);
}
