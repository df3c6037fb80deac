using System.Text;

namespace CheckoutAgent.Storage;

/// <summary>Reads purchases and their timelines; never writes.</summary>
public sealed class PurchaseQueries(IConnectionFactory connections, SqlDialect dialect)
{
    public async Task<PurchaseRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        return await PurchaseRows.GetAsync(connection, null, id, cancellationToken);
    }

    /// <summary>Purchases whose last recorded status is <paramref name="status"/>.</summary>
    public async Task<IReadOnlyList<PurchaseRecord>> ListByStatusAsync(string status, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, $"SELECT {PurchaseRows.Columns} FROM purchases WHERE status = @status ORDER BY created_at");
        command.AddParameter("@status", status);
        return await PurchaseRows.ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Every purchase not yet terminal, oldest first: what a restart must resume.</summary>
    public async Task<IReadOnlyList<PurchaseRecord>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null,
            $"SELECT {PurchaseRows.Columns} FROM purchases WHERE status NOT IN ('succeeded', 'failed', 'outcome_unknown') ORDER BY created_at");
        return await PurchaseRows.ReadAllAsync(command, cancellationToken);
    }

    /// <summary>One page of purchases matching <paramref name="query"/>, newest first, and whether more follow.</summary>
    public async Task<(IReadOnlyList<PurchaseRecord> Page, bool HasMore)> ListAsync(PurchaseQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        var sql = new StringBuilder($"SELECT {PurchaseRows.Columns} FROM purchases WHERE 1 = 1");
        await using var command = connection.Command(null, "");
        void Filter(string clause, string name, object? value)
        {
            if (value is null)
            {
                return;
            }
            sql.Append(" AND ").Append(clause);
            command.AddParameter(name, value);
        }
        Filter("agent_id = @agent", "@agent", query.AgentId);
        Filter("status = @status", "@status", query.Status);
        Filter("recipe = @recipe", "@recipe", query.Recipe);
        Filter("schedule_id = @schedule", "@schedule", query.ScheduleId);
        Filter("created_at > @after", "@after", query.CreatedAfter is { } after ? Timestamps.Format(after) : null);
        Filter("created_at < @before", "@before", query.CreatedBefore is { } before ? Timestamps.Format(before) : null);
        if (query.StartingAfter is { } cursor)
        {
            sql.Append(" AND ").Append(dialect.RowsBefore(["created_at", "id"], "SELECT created_at, id FROM purchases WHERE id = @cursor"));
            command.AddParameter("@cursor", cursor);
        }
        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT @limit");
        command.AddParameter("@limit", query.Limit + 1);
        command.CommandText = sql.ToString();
        var rows = await PurchaseRows.ReadAllAsync(command, cancellationToken);
        return rows.Count > query.Limit ? (rows.Take(query.Limit).ToList(), true) : (rows, false);
    }

    /// <summary>
    /// What an agent's budgets count at <paramref name="now"/>, per currency: the amounts of its purchases that have not
    /// failed, created this UTC day and this UTC month (the windows intake decides with).
    /// </summary>
    public async Task<IReadOnlyList<(string Currency, long Today, long Month)>> SpentAsync(string agentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (day, month) = IntakeDecision.BudgetWindows(now);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, """
            SELECT currency, COALESCE(SUM(CASE WHEN created_at >= @day THEN amount END), 0), COALESCE(SUM(amount), 0)
            FROM purchases
            WHERE agent_id = @agent AND created_at >= @month AND status <> 'failed'
            GROUP BY currency ORDER BY currency
            """);
        command.AddParameter("@agent", agentId).AddParameter("@day", Timestamps.Format(day)).AddParameter("@month", Timestamps.Format(month));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<(string, long, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }
        return result;
    }

    public async Task<IReadOnlyList<PurchaseEvent>> GetTimelineAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, "SELECT at, kind, message, data_json FROM purchase_events WHERE purchase_id = @id ORDER BY seq");
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<PurchaseEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(PurchaseRows.ReadEvent(id, reader));
        }
        return result;
    }
}
