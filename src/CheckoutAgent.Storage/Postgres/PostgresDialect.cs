using System.Data;
using System.Data.Common;
using Npgsql;

namespace CheckoutAgent.Storage;

/// <summary>
/// PostgreSQL, for several workers on one database. Writes that read before they write (intake's key and budget
/// checks, status moves, migrations) take one cluster-wide transaction lock first (<see cref="WriteLockKey"/>), so they
/// behave exactly as they do on SQLite, whose writers take turns: two nodes taking the same Idempotency-Key, or two
/// purchases against one budget, are decided one after the other against committed state. Reads never wait for it,
/// and claims of single rows (webhook deliveries, merchant slots) use row locks instead.
/// </summary>
/// <remarks>
/// Why a lock and not SERIALIZABLE: serializable transactions would be just as correct but fail with
/// serialization errors under contention, and every store would then need a retry loop around work that, in intake's
/// group commit, spans many callers' purchases. A transaction-scoped advisory lock queues writers instead, is released
/// by commit, rollback or a dropped connection (a killed node never leaves it held), and costs one round trip.
/// The transaction is READ COMMITTED on purpose: each statement after the lock sees everything committed before it
/// was granted; a REPEATABLE READ snapshot would be taken while still waiting for it.
/// </remarks>
public sealed class PostgresDialect : SqlDialect
{
    /// <summary>The advisory lock every write transaction holds: an arbitrary constant ("checkout" in ASCII).</summary>
    public const long WriteLockKey = 0x636865636b6f7574;

    public static PostgresDialect Instance { get; } = new();

    private PostgresDialect()
    {
    }

    /// <inheritdoc />
    public override string Name => "postgres";

    /// <inheritdoc />
    public override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <inheritdoc />
    public override async Task<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        try
        {
            await using var command = connection.Command(transaction, "SELECT pg_advisory_xact_lock(@key)");
            command.AddParameter("@key", WriteLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task<bool> TableExistsAsync(DbConnection connection, DbTransaction? transaction, string table,
        CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction,
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @table");
        command.AddParameter("@table", table);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <inheritdoc />
    public override async Task<bool> ColumnExistsAsync(DbConnection connection, DbTransaction? transaction, string table, string column,
        CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, """
            SELECT COUNT(*) FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = @table AND column_name = @column
            """);
        command.AddParameter("@table", table).AddParameter("@column", column);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <inheritdoc />
    public override string ClaimLock => " FOR UPDATE SKIP LOCKED";
}
