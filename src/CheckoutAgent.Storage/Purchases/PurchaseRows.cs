using System.Data.Common;
using System.Text.Json;

namespace CheckoutAgent.Storage;

/// <summary>How a purchase and a timeline event are laid out in <c>purchases</c> and <c>purchase_events</c>: shared by
/// the intake, the transitions and the queries, which each read and write them in their own transactions.</summary>
internal static class PurchaseRows
{
    public static JsonSerializerOptions Json => PurchaseJson.Options;

    public const string Columns = "id, status, recipe, request_json, spend_request_id, outcome_json, created_at, updated_at, agent_id, schedule_id";

    public static async Task<PurchaseRecord?> GetAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, $"SELECT {Columns} FROM purchases WHERE id = @id");
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public static async Task<IReadOnlyList<PurchaseRecord>> ReadAllAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<PurchaseRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }
        return result;
    }

    public static async Task InsertEventAsync(DbConnection connection, DbTransaction transaction, PurchaseEvent entry, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, """
            INSERT INTO purchase_events (purchase_id, at, kind, message, data_json)
            VALUES (@id, @at, @kind, @message, @data)
            """);
        command.AddParameter("@id", entry.PurchaseId)
            .AddParameter("@at", Timestamps.Format(entry.At))
            .AddParameter("@kind", entry.Kind)
            .AddParameter("@message", entry.Message)
            .AddParameter("@data", entry.DurationMs is null ? null : JsonSerializer.Serialize(new EventData(entry.DurationMs), Json));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static PurchaseEvent ReadEvent(string purchaseId, DbDataReader reader)
    {
        long? duration = reader.IsDBNull(3) ? null : JsonSerializer.Deserialize<EventData>(reader.GetString(3), Json)?.DurationMs;
        return new PurchaseEvent(purchaseId, Timestamps.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2), duration);
    }

    private static PurchaseRecord Read(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        JsonSerializer.Deserialize<PurchaseRequest>(reader.GetString(3), Json)!,
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : JsonSerializer.Deserialize<PurchaseOutcome>(reader.GetString(5), Json),
        Timestamps.Parse(reader.GetString(6)),
        Timestamps.Parse(reader.GetString(7)),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9));

    private sealed record EventData(long? DurationMs);
}

/// <summary>The events a purchase's writers raise after commit, shared by the intake and the transitions.</summary>
internal sealed class PurchaseNotifications
{
    public event Action<PurchaseEvent>? EventAppended;

    public event Action? WebhookQueued;

    public void Appended(PurchaseEvent entry) => EventAppended?.Invoke(entry);

    public void Queued() => WebhookQueued?.Invoke();
}
