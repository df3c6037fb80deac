using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Worker.Storage;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// Purchases and their append-only timelines in SQLite. Every state change is committed before the action it
/// guards (a spend request id before polling, <c>submitting</c> before the final click), so a restart resumes from
/// the truth. Nothing written here ever holds card data: only brand and last 4 reach it.
/// </summary>
public sealed class PurchaseStore(CheckoutDatabase database, TimeProvider time)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Raised after an event is committed. Handlers must be quick and must not throw.</summary>
    public event Action<PurchaseEvent>? EventAppended;

    public async Task<PurchaseRecord> CreateAsync(PurchaseRequest request, CancellationToken cancellationToken)
    {
        var id = "pur_" + Guid.NewGuid().ToString("N")[..20];
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO purchases (id, created_at, updated_at, status, recipe, request_json)
                VALUES ($id, $now, $now, $status, $recipe, $request)
                """;
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$now", Format(now));
            command.Parameters.AddWithValue("$status", PurchaseStatus.Queued);
            command.Parameters.AddWithValue("$recipe", request.Recipe);
            command.Parameters.AddWithValue("$request", JsonSerializer.Serialize(request, Json));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        var created = new PurchaseEvent(id, now, "queued",
            $"{request.Items.Sum(i => i.Quantity)} item(s), {Money.Format(request.Amount, request.Currency)} via recipe '{request.Recipe}'");
        await InsertEventAsync(connection, transaction, created, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        EventAppended?.Invoke(created);
        return new PurchaseRecord(id, PurchaseStatus.Queued, request.Recipe, request, null, null, now);
    }

    public async Task<PurchaseRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, status, recipe, request_json, spend_request_id, outcome_json, created_at
            FROM purchases WHERE id = $id
            """;
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Purchases whose last recorded status is <paramref name="status"/>.</summary>
    public async Task<IReadOnlyList<PurchaseRecord>> ListByStatusAsync(string status, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, status, recipe, request_json, spend_request_id, outcome_json, created_at
            FROM purchases WHERE status = $status ORDER BY created_at
            """;
        command.Parameters.AddWithValue("$status", status);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<PurchaseRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }
        return result;
    }

    public async Task<IReadOnlyList<PurchaseEvent>> GetTimelineAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT at, kind, message, data_json FROM purchase_events WHERE purchase_id = $id ORDER BY seq";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<PurchaseEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            long? duration = reader.IsDBNull(3) ? null : JsonSerializer.Deserialize<EventData>(reader.GetString(3), Json)?.DurationMs;
            result.Add(new PurchaseEvent(id, Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2), duration));
        }
        return result;
    }

    /// <summary>Records a status change and the event that explains it in one transaction.</summary>
    public Task TransitionAsync(string id, string status, string kind, string message, CancellationToken cancellationToken,
        string? spendRequestId = null, PurchaseOutcome? outcome = null) =>
        WriteAsync(new PurchaseEvent(id, time.GetUtcNow(), kind, message), status, spendRequestId, outcome, cancellationToken);

    /// <summary>Appends a timeline event without changing the status.</summary>
    public Task AppendAsync(string id, string kind, string message, CancellationToken cancellationToken, long? durationMs = null) =>
        WriteAsync(new PurchaseEvent(id, time.GetUtcNow(), kind, message, durationMs), null, null, null, cancellationToken);

    private async Task WriteAsync(PurchaseEvent entry, string? status, string? spendRequestId, PurchaseOutcome? outcome,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (status is not null)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                UPDATE purchases SET status = $status, updated_at = $now,
                    spend_request_id = COALESCE($spend, spend_request_id),
                    outcome_json = COALESCE($outcome, outcome_json)
                WHERE id = $id
                """;
            command.Parameters.AddWithValue("$id", entry.PurchaseId);
            command.Parameters.AddWithValue("$status", status);
            command.Parameters.AddWithValue("$now", Format(entry.At));
            command.Parameters.AddWithValue("$spend", (object?)spendRequestId ?? DBNull.Value);
            command.Parameters.AddWithValue("$outcome", outcome is null ? DBNull.Value : JsonSerializer.Serialize(outcome, Json));
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new InvalidOperationException($"Purchase {entry.PurchaseId} does not exist.");
            }
        }
        await InsertEventAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        EventAppended?.Invoke(entry);
    }

    private static async Task InsertEventAsync(SqliteConnection connection, SqliteTransaction transaction, PurchaseEvent entry,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO purchase_events (purchase_id, at, kind, message, data_json)
            VALUES ($id, $at, $kind, $message, $data)
            """;
        command.Parameters.AddWithValue("$id", entry.PurchaseId);
        command.Parameters.AddWithValue("$at", Format(entry.At));
        command.Parameters.AddWithValue("$kind", entry.Kind);
        command.Parameters.AddWithValue("$message", entry.Message);
        command.Parameters.AddWithValue("$data", entry.DurationMs is null
            ? DBNull.Value
            : JsonSerializer.Serialize(new EventData(entry.DurationMs), Json));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static PurchaseRecord Read(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        JsonSerializer.Deserialize<PurchaseRequest>(reader.GetString(3), Json)!,
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : JsonSerializer.Deserialize<PurchaseOutcome>(reader.GetString(5), Json),
        Parse(reader.GetString(6)));

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string at) =>
        DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private sealed record EventData(long? DurationMs);
}
