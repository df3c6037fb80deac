using CheckoutAgent.Core.Purchases;
using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>Schedules in the worker's database (table <c>schedules</c>); their Quartz jobs are kept in step by the worker's <c>ScheduleService</c>.</summary>
public sealed class ScheduleStore(IConnectionFactory connections, SqlDialect dialect)
{
    public ScheduleStore(CheckoutDatabase database) : this(database.Connections, database.Dialect)
    {
    }

    private const string Columns = "id, agent_id, name, cron, time_zone, request_json, paused, created_at, updated_at";

    public static string NewId() => CheckoutAgent.Link.ObjectIds.New("sch_", 20);

    /// <returns>False when the agent already has a schedule of that name (nothing is stored).</returns>
    public async Task<bool> InsertAsync(ScheduleRecord schedule, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO schedules ({Columns})
            VALUES (@id, @agent, @name, @cron, @zone, @request, @paused, @created, @updated)
            """;
        command.AddParameter("@id", schedule.Id);
        command.AddParameter("@agent", schedule.AgentId);
        command.AddParameter("@name", schedule.Name);
        command.AddParameter("@cron", schedule.Cron);
        command.AddParameter("@zone", schedule.TimeZone);
        command.AddParameter("@request", schedule.PurchaseJson);
        command.AddParameter("@paused", schedule.Paused ? 1 : 0);
        command.AddParameter("@created", Timestamps.Format(schedule.CreatedAt));
        command.AddParameter("@updated", Timestamps.Format(schedule.UpdatedAt));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (DbException ex) when (dialect.IsUniqueViolation(ex))
        {
            // UNIQUE (agent_id, name).
            return false;
        }
    }

    public async Task<ScheduleRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync("WHERE id = @value", id, cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>An agent's schedules, oldest first.</summary>
    public Task<IReadOnlyList<ScheduleRecord>> ListByAgentAsync(string agentId, CancellationToken cancellationToken) =>
        QueryAsync("WHERE agent_id = @value ORDER BY created_at, id", agentId, cancellationToken);

    public Task<IReadOnlyList<ScheduleRecord>> ListAllAsync(CancellationToken cancellationToken) =>
        QueryAsync("ORDER BY created_at, id", null, cancellationToken);

    /// <returns>The schedule as updated, or null when there is none.</returns>
    public async Task<ScheduleRecord?> SetPausedAsync(string id, bool paused, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using (var connection = await connections.OpenAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE schedules SET paused = @paused, updated_at = @now WHERE id = @id AND paused <> @paused";
            command.AddParameter("@id", id);
            command.AddParameter("@paused", paused ? 1 : 0);
            command.AddParameter("@now", Timestamps.Format(now));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return await GetAsync(id, cancellationToken);
    }

    /// <returns>False when there was no such schedule.</returns>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM schedules WHERE id = @id";
        command.AddParameter("@id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private async Task<IReadOnlyList<ScheduleRecord>> QueryAsync(string where, string? value, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM schedules {where}";
        if (value is not null)
        {
            command.AddParameter("@value", value);
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<ScheduleRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new ScheduleRecord(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetInt64(6) != 0, Timestamps.Parse(reader.GetString(7)), Timestamps.Parse(reader.GetString(8))));
        }
        return result;
    }
}
