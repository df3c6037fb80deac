using System.Data.Common;
using System.Text.Json;
using CheckoutAgent.Link;

namespace CheckoutAgent.Storage;

/// <summary>
/// Takes new purchases: reads the facts <see cref="IntakeDecision"/> needs (a repeated key, the pause switch, the
/// budget used) inside the write transaction, and writes what it decided: the purchase, its first events, the webhook
/// and the remembered response.
/// </summary>
internal sealed class PurchaseIntakeStore(IConnectionFactory connections, SqlDialect dialect, TimeProvider time, PurchaseNotifications notifications)
{
    /// <summary>
    /// Takes several intakes in one transaction, one after the other, each in its own savepoint: each sees the ones
    /// before it (a repeated key, the budget they used), one that fails rolls back alone, and the batch pays for one
    /// disk sync instead of one each (see <see cref="GroupCommit{TItem,TResult}"/>).
    /// </summary>
    public async Task<IReadOnlyList<IntakeWrite>> IntakeBatchAsync(IReadOnlyList<PendingIntake> batch)
    {
        // No caller's token: a batch holds other callers' purchases too, and once begun it is written whole.
        var cancellationToken = CancellationToken.None;
        var now = time.GetUtcNow();
        await using var connection = await connections.OpenAsync(cancellationToken);
        // The write lock first: the key checks, the budget sums and the inserts see one state; concurrent writers queue up.
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        var writes = new List<IntakeWrite>(batch.Count);
        foreach (var pending in batch)
        {
            await transaction.SaveAsync("intake", cancellationToken);
            try
            {
                writes.Add(await IntakeOneAsync(connection, transaction, pending.Request, pending.Intake, now, cancellationToken));
                await transaction.ReleaseAsync("intake", cancellationToken);
            }
            catch (Exception ex) when (ex is DbException or JsonException or InvalidOperationException or ArgumentException)
            {
                await transaction.RollbackAsync("intake", cancellationToken);
                await transaction.ReleaseAsync("intake", cancellationToken);
                writes.Add(new IntakeWrite(null, ex, [], false));
            }
        }
        await transaction.CommitAsync(cancellationToken);
        foreach (var write in writes)
        {
            foreach (var entry in write.Events)
            {
                notifications.Appended(entry);
            }
            if (write.WebhookQueued)
            {
                notifications.Queued();
            }
        }
        return writes;
    }

    private async Task<IntakeWrite> IntakeOneAsync(DbConnection connection, DbTransaction transaction, PurchaseRequest request,
        PurchaseIntake intake, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (intake.Agent is { } owner && intake.IdempotencyKey is { } key)
        {
            var earlier = await FindKeyAsync(connection, transaction, owner.Id, key, cancellationToken);
            if (IntakeDecision.Repeat(earlier, intake.RequestHash) is { } repeated)
            {
                return new IntakeWrite(repeated, null, [], false);
            }
        }

        var paused = await AgentStore.IsPausedAsync(connection, transaction, cancellationToken);
        var (today, month) = intake.Agent is null ? (0L, 0L) : await SpentAsync(connection, transaction, intake.Agent.Id, request.Currency, now, cancellationToken);
        var decided = IntakeDecision.Decide(request, intake, new IntakeFacts(paused, today, month), ObjectIds.New("pur_", 20), now);
        var record = decided.Record;
        await using (var insert = connection.Command(transaction, """
            INSERT INTO purchases (id, created_at, updated_at, status, recipe, request_json, outcome_json, agent_id, schedule_id, amount, currency, merchant_host)
            VALUES (@id, @now, @now, @status, @recipe, @request, @outcome, @agent, @schedule, @amount, @currency, @host)
            """))
        {
            insert.AddParameter("@id", record.Id)
                .AddParameter("@now", Timestamps.Format(now))
                .AddParameter("@status", record.Status)
                .AddParameter("@recipe", request.Recipe)
                .AddParameter("@request", JsonSerializer.Serialize(request, PurchaseRows.Json))
                .AddParameter("@outcome", record.Outcome is null ? null : JsonSerializer.Serialize(record.Outcome, PurchaseRows.Json))
                .AddParameter("@agent", record.AgentId)
                .AddParameter("@schedule", record.ScheduleId)
                .AddParameter("@amount", request.Amount)
                .AddParameter("@currency", request.Currency)
                .AddParameter("@host", intake.MerchantHost);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var entry in decided.Events)
        {
            await PurchaseRows.InsertEventAsync(connection, transaction, entry, cancellationToken);
        }
        if (decided.QueueWebhook)
        {
            await WebhookOutbox.EnqueueAsync(connection, transaction, record, time.GetUtcNow(), cancellationToken);
        }
        if (intake.Agent is { } agent && intake.IdempotencyKey is { } newKey)
        {
            await using var remember = connection.Command(transaction, """
                INSERT INTO idempotency_keys (agent_id, key, request_hash, purchase_id, status_code, response_json, created_at)
                VALUES (@agent, @key, @hash, @purchase, 201, @response, @now)
                """);
            remember.AddParameter("@agent", agent.Id)
                .AddParameter("@key", newKey)
                .AddParameter("@hash", intake.RequestHash ?? "")
                .AddParameter("@purchase", record.Id)
                .AddParameter("@response", decided.ResponseJson)
                .AddParameter("@now", Timestamps.Format(now));
            await remember.ExecuteNonQueryAsync(cancellationToken);
        }
        return new IntakeWrite(new IntakeResult(IntakeDisposition.Created, record.Id, 201, decided.ResponseJson, decided.Decision), null,
            decided.Events, decided.QueueWebhook);
    }

    private static async Task<StoredIntake?> FindKeyAsync(DbConnection connection, DbTransaction transaction, string agentId, string key,
        CancellationToken cancellationToken)
    {
        await using var find = connection.Command(transaction,
            "SELECT request_hash, purchase_id, status_code, response_json FROM idempotency_keys WHERE agent_id = @agent AND key = @key");
        find.AddParameter("@agent", agentId).AddParameter("@key", key);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredIntake(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3))
            : null;
    }

    private static async Task<(long Today, long Month)> SpentAsync(DbConnection connection, DbTransaction transaction, string agentId,
        string currency, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (day, month) = IntakeDecision.BudgetWindows(now);
        await using var command = connection.Command(transaction, """
            SELECT COALESCE(SUM(CASE WHEN created_at >= @day THEN amount END), 0), COALESCE(SUM(amount), 0)
            FROM purchases
            WHERE agent_id = @agent AND currency = @currency AND created_at >= @month AND status <> 'failed'
            """);
        command.AddParameter("@agent", agentId)
            .AddParameter("@currency", currency)
            .AddParameter("@day", Timestamps.Format(day))
            .AddParameter("@month", Timestamps.Format(month));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
