using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>
/// One step of a database's schema, applied once, in version order, inside the migration transaction. Versions are
/// never renumbered or edited once released: a change is a new migration.
/// </summary>
public abstract class Migration(int version, string name)
{
    /// <value>1, 2, 3, ... without gaps.</value>
    public int Version { get; } = version;

    /// <value>What it does, in snake_case, recorded beside the version.</value>
    public string Name { get; } = name;

    public abstract Task UpAsync(MigrationContext context);

    /// <inheritdoc />
    public override string ToString() => $"{Version} {Name}";
}

/// <summary>The open migration transaction a <see cref="Migration"/> writes in.</summary>
public sealed record MigrationContext(DbConnection Connection, DbTransaction Transaction, SqlDialect Dialect, CancellationToken CancellationToken)
{
    public Task<int> ExecuteAsync(string sql) => Connection.ExecuteAsync(Transaction, sql, CancellationToken);

    public Task<bool> ColumnExistsAsync(string table, string column) =>
        Dialect.ColumnExistsAsync(Connection, Transaction, table, column, CancellationToken);
}

/// <summary>A migration that is one SQL script (several statements where the engine allows it).</summary>
public sealed class SqlMigration(int version, string name, string sql) : Migration(version, name)
{
    public string Sql { get; } = sql;

    /// <inheritdoc />
    public override Task UpAsync(MigrationContext context) => context.ExecuteAsync(Sql);
}

/// <summary>
/// Adds columns to a table, each only if it is missing: how columns were added before migrations were versioned, so
/// that a database of any earlier release can be brought to the baseline.
/// </summary>
public sealed class AddColumnsMigration(int version, string name, string table, params (string Column, string Type)[] columns)
    : Migration(version, name)
{
    /// <inheritdoc />
    public override async Task UpAsync(MigrationContext context)
    {
        foreach (var (column, type) in columns)
        {
            if (!await context.ColumnExistsAsync(table, column))
            {
                await context.ExecuteAsync($"ALTER TABLE {table} ADD COLUMN {column} {type}");
            }
        }
    }
}

/// <summary>
/// An engine's migrations, and how to recognise a database made before they were versioned: one that has
/// <paramref name="LegacyMarkerTable"/> but no recorded version already holds what migrations 1 to
/// <paramref name="LegacyBaseline"/> create. Those must therefore be idempotent (IF NOT EXISTS, add-if-missing).
/// </summary>
public sealed record MigrationSet(IReadOnlyList<Migration> Migrations, int LegacyBaseline = 0, string? LegacyMarkerTable = null)
{
    /// <value>The version a database has once every migration is applied.</value>
    public int Latest => Migrations.Count == 0 ? 0 : Migrations.Max(m => m.Version);
}
