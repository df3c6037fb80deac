using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>What a run of the migrations did.</summary>
/// <param name="Version">The database's version afterwards.</param>
/// <param name="Applied">Migrations applied by this run.</param>
/// <param name="Adopted">Migrations recorded as already present in a database made before versioning.</param>
public sealed record MigrationReport(int Version, IReadOnlyList<Migration> Applied, IReadOnlyList<Migration> Adopted);

/// <summary>One migration as <c>db status</c> shows it.</summary>
/// <param name="AppliedAt">When it was applied; null while pending.</param>
/// <param name="How"><c>applied</c>, or <c>baseline</c> when adopted from an unversioned release; null while pending.</param>
public sealed record MigrationState(int Version, string Name, DateTimeOffset? AppliedAt, string? How);

/// <summary>A database's migrations: known ones in order, and versions recorded there that this build does not know.</summary>
public sealed record MigrationStatus(string Database, string Engine, IReadOnlyList<MigrationState> Migrations, IReadOnlyList<int> UnknownVersions)
{
    /// <value>Migrations not yet applied.</value>
    public int Pending => Migrations.Count(m => m.AppliedAt is null);
}

/// <summary>
/// Brings a database up to date: in one write transaction that takes the lock before it reads anything, it creates
/// the version table if missing, reads which versions are applied, adopts a database made before versioning, and
/// applies the rest in order. A second process starting at the same time waits for the lock, then finds nothing to
/// do. A version this build does not know is a <see cref="DatabaseSchemaException"/> and nothing changes.
/// </summary>
public sealed class MigrationRunner(IConnectionFactory connections, SqlDialect dialect, MigrationSet migrations, TimeProvider time)
{
    public const string VersionTable = "schema_migrations";

    public async Task<MigrationReport> RunAsync(CancellationToken cancellationToken)
    {
        var ordered = migrations.Migrations.OrderBy(m => m.Version).ToList();
        await using var connection = await connections.OpenAsync(cancellationToken);
        await dialect.PrepareAsync(connection, cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        await connection.ExecuteAsync(transaction, dialect.CreateVersionTable, cancellationToken);
        var applied = await AppliedAsync(connection, transaction, cancellationToken);
        var known = ordered.Select(m => m.Version).ToHashSet();
        if (applied.Where(v => !known.Contains(v)).DefaultIfEmpty().Max() is var unknown and > 0)
        {
            throw new DatabaseSchemaException(connections.Description, Math.Max(unknown, applied.Max()), migrations.Latest);
        }

        var context = new MigrationContext(connection, transaction, dialect, cancellationToken);
        var adopted = new List<Migration>();
        if (applied.Count == 0 && migrations.LegacyMarkerTable is { } marker
            && await dialect.TableExistsAsync(connection, transaction, marker, cancellationToken))
        {
            // Made before migrations were versioned: it already has the baseline. Those migrations are idempotent, so
            // running them changes nothing on a database of the last unversioned release and fills in what an older
            // one lacks, as the unversioned start-up did.
            foreach (var migration in ordered.Where(m => m.Version <= migrations.LegacyBaseline))
            {
                await migration.UpAsync(context);
                await RecordAsync(connection, transaction, migration, "baseline", cancellationToken);
                applied.Add(migration.Version);
                adopted.Add(migration);
            }
        }
        var ran = new List<Migration>();
        foreach (var migration in ordered.Where(m => !applied.Contains(m.Version)))
        {
            await migration.UpAsync(context);
            await RecordAsync(connection, transaction, migration, "applied", cancellationToken);
            ran.Add(migration);
        }
        await transaction.CommitAsync(cancellationToken);
        return new MigrationReport(migrations.Latest, ran, adopted);
    }

    /// <summary>What <c>db status</c> shows: every known migration with when it was applied (null: pending), and any
    /// recorded version this build does not know (a newer release upgraded the database).</summary>
    public async Task<MigrationStatus> StatusAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var recorded = new Dictionary<int, (string Name, string At, string How)>();
        if (await dialect.TableExistsAsync(connection, null, VersionTable, cancellationToken))
        {
            await using var command = connection.Command(null, $"SELECT version, name, applied_at, how FROM {VersionTable}");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                recorded[Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)] =
                    (reader.GetString(1), reader.GetString(2), reader.GetString(3));
            }
        }
        var rows = migrations.Migrations.OrderBy(m => m.Version)
            .Select(m => recorded.TryGetValue(m.Version, out var r)
                ? new MigrationState(m.Version, m.Name, Timestamps.Parse(r.At), r.How)
                : new MigrationState(m.Version, m.Name, null, null))
            .ToList();
        var unknown = recorded.Keys.Where(v => migrations.Migrations.All(m => m.Version != v)).Order().ToList();
        return new MigrationStatus(connections.Description, dialect.Name, rows, unknown);
    }

    /// <summary>The highest version recorded, 0 for none (or no version table).</summary>
    public async Task<int> CurrentVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        if (!await dialect.TableExistsAsync(connection, null, VersionTable, cancellationToken))
        {
            return 0;
        }
        var applied = await AppliedAsync(connection, null, cancellationToken);
        return applied.Count == 0 ? 0 : applied.Max();
    }

    private static async Task<HashSet<int>> AppliedAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, $"SELECT version FROM {VersionTable}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new HashSet<int>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }
        return result;
    }

    private async Task RecordAsync(DbConnection connection, DbTransaction transaction, Migration migration, string how,
        CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction,
            $"INSERT INTO {VersionTable} (version, name, applied_at, how) VALUES (@version, @name, @at, @how)");
        command.AddParameter("@version", migration.Version).AddParameter("@name", migration.Name)
            .AddParameter("@at", Timestamps.Format(time.GetUtcNow())).AddParameter("@how", how);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
