using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>
/// What differs between database engines, kept small: the stores write plain SQL that SQLite and PostgreSQL both
/// accept (named <c>@parameters</c>, <c>RETURNING</c>, <c>ON CONFLICT</c>, row values) and ask the dialect only for what
/// does not carry over. A new engine is a subclass of this, an <see cref="IConnectionFactory"/> and its migrations.
/// </summary>
public abstract class SqlDialect
{
    /// <value>Short engine name for messages, e.g. <c>sqlite</c>.</value>
    public abstract string Name { get; }

    /// <summary>Whether <paramref name="exception"/> reports a violated UNIQUE or PRIMARY KEY constraint.</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>
    /// Begins a transaction that holds the database's write lock from its first statement, so that what it reads
    /// cannot change before it writes and concurrent writers queue up behind it instead of failing at commit
    /// (SQLite: <c>BEGIN IMMEDIATE</c>).
    /// </summary>
    public abstract Task<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Whether a table of that name exists.</summary>
    public abstract Task<bool> TableExistsAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="table"/> has a column named <paramref name="column"/>.</summary>
    public abstract Task<bool> ColumnExistsAsync(DbConnection connection, DbTransaction? transaction, string table, string column,
        CancellationToken cancellationToken);

    /// <summary>
    /// Database-wide settings made once on start, outside any transaction and before the migrations (SQLite: WAL).
    /// Nothing by default.
    /// </summary>
    public virtual Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// An insert that replaces the <paramref name="valueColumns"/> of the row whose <paramref name="keyColumns"/>
    /// already exist. Parameters are named <c>@column</c>.
    /// </summary>
    public virtual string Upsert(string table, IReadOnlyList<string> keyColumns, IReadOnlyList<string> valueColumns)
    {
        var all = keyColumns.Concat(valueColumns).ToList();
        return $"INSERT INTO {table} ({string.Join(", ", all)}) VALUES ({string.Join(", ", all.Select(c => "@" + c))}) "
            + $"ON CONFLICT ({string.Join(", ", keyColumns)}) DO UPDATE SET {string.Join(", ", valueColumns.Select(c => $"{c} = excluded.{c}"))}";
    }

    /// <summary>
    /// A condition true for rows ordered before another row in <paramref name="columns"/> order (keyset paging):
    /// a row-value comparison by default.
    /// </summary>
    public virtual string RowsBefore(IReadOnlyList<string> columns, string subquery) =>
        $"({string.Join(", ", columns)}) < ({subquery})";

    /// <summary>
    /// What ends the SELECT that picks a row for a claiming UPDATE. Nothing for SQLite, whose writers take turns; an
    /// engine with row locks says e.g. <c> FOR UPDATE SKIP LOCKED</c> (with the leading space).
    /// </summary>
    public virtual string ClaimLock => "";

    /// <summary>The migrations' version table, created in the migration transaction if missing.</summary>
    public virtual string CreateVersionTable => """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            applied_at  TEXT NOT NULL,
            how         TEXT NOT NULL
        )
        """;
}
