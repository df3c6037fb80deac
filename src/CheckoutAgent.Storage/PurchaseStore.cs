using System.Globalization;
using System.Text;
using System.Text.Json;
using CheckoutAgent.Link;
using CheckoutAgent.Core.Agents;
using CheckoutAgent.Core.Policy;
using CheckoutAgent.Storage;
using Microsoft.Data.Sqlite;

namespace CheckoutAgent.Storage;

/// <summary>
/// Purchases and their append-only timelines in SQLite. Every state change is committed before the action it
/// guards (a spend request id before polling, <c>submitting</c> before the final click), so a restart resumes from
/// the truth. A terminal purchase never changes again, and <c>submitting</c> is reached only from <c>checking_out</c>:
/// a cancel that wins the race stops the click. Nothing written here ever holds card data: only brand and last 4.
/// </summary>
public sealed class PurchaseStore(CheckoutDatabase database, TimeProvider time)
{

    internal static JsonSerializerOptions Json => PurchaseJson.Options;

    private static bool Notifies(string status) => PurchaseStateMachine.Notifies(status);

    private const string Columns = "id, status, recipe, request_json, spend_request_id, outcome_json, created_at, updated_at, agent_id, schedule_id";

    /// <summary>Raised after an event is committed. Handlers must be quick and must not throw.</summary>
    public event Action<PurchaseEvent>? EventAppended;

    /// <summary>Raised after a webhook delivery is queued, so the dispatcher need not wait for its next poll.</summary>
    public event Action? WebhookQueued;

    /// <summary>Stores a purchase for a local caller (the demo, <c>recipe test</c>): no agent, no key; the global pause still applies.</summary>
    public async Task<PurchaseRecord> CreateAsync(PurchaseRequest request, CancellationToken cancellationToken)
    {
        var host = Uri.TryCreate(request.MerchantUrl, UriKind.Absolute, out var uri) ? uri.Host : "";
        var result = await IntakeAsync(request, new PurchaseIntake(null, null, null, host), cancellationToken);
        return (await GetAsync(result.PurchaseId!, cancellationToken))!;
    }

    /// <summary>
    /// Takes a validated request in one transaction: replays or refuses a repeated idempotency key, decides the owner's
    /// policy against budgets that count purchases in flight, stores the purchase with its first events and the
    /// response the caller gets (so a retry gets exactly the same). A purchase the policy refuses is stored as
    /// <c>failed</c> with the reason in its timeline and never reaches Link.
    /// </summary>
    public async Task<IntakeResult> IntakeAsync(PurchaseRequest request, PurchaseIntake intake, CancellationToken cancellationToken) =>
        (await IntakeBatchAsync([new PendingIntake(request, intake)])).Single().Unwrap();

    /// <summary>
    /// Takes several intakes in one transaction, one after the other, each in its own savepoint: each sees the ones
    /// before it (a repeated key, the budget they used), one that fails rolls back alone, and the batch pays for one
    /// disk sync instead of one each (see <see cref="GroupCommit{TItem,TResult}"/>).
    /// </summary>
    internal async Task<IReadOnlyList<IntakeWrite>> IntakeBatchAsync(IReadOnlyList<PendingIntake> batch)
    {
        // No caller's token: a batch holds other callers' purchases too, and once begun it is written whole.
        var cancellationToken = CancellationToken.None;
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        // BEGIN IMMEDIATE: the key checks, the budget sums and the inserts see one state; concurrent writers queue up.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var writes = new List<IntakeWrite>(batch.Count);
        foreach (var pending in batch)
        {
            await transaction.SaveAsync("intake", cancellationToken);
            try
            {
                writes.Add(await IntakeOneAsync(connection, transaction, pending.Request, pending.Intake, now, cancellationToken));
                await transaction.ReleaseAsync("intake", cancellationToken);
            }
            catch (Exception ex) when (ex is SqliteException or JsonException or InvalidOperationException or ArgumentException)
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
                EventAppended?.Invoke(entry);
            }
            if (write.WebhookQueued)
            {
                WebhookQueued?.Invoke();
            }
        }
        return writes;
    }

    private async Task<IntakeWrite> IntakeOneAsync(SqliteConnection connection, SqliteTransaction transaction, PurchaseRequest request,
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
        await using (var insert = Command(connection, transaction, """
            INSERT INTO purchases (id, created_at, updated_at, status, recipe, request_json, outcome_json, agent_id, schedule_id, amount, currency, merchant_host)
            VALUES (@id, @now, @now, @status, @recipe, @request, @outcome, @agent, @schedule, @amount, @currency, @host)
            """))
        {
            insert.Parameters.AddWithValue("@id", record.Id);
            insert.Parameters.AddWithValue("@now", Format(now));
            insert.Parameters.AddWithValue("@status", record.Status);
            insert.Parameters.AddWithValue("@recipe", request.Recipe);
            insert.Parameters.AddWithValue("@request", JsonSerializer.Serialize(request, Json));
            insert.Parameters.AddWithValue("@outcome", record.Outcome is null ? DBNull.Value : JsonSerializer.Serialize(record.Outcome, Json));
            insert.Parameters.AddWithValue("@agent", (object?)record.AgentId ?? DBNull.Value);
            insert.Parameters.AddWithValue("@schedule", (object?)record.ScheduleId ?? DBNull.Value);
            insert.Parameters.AddWithValue("@amount", request.Amount);
            insert.Parameters.AddWithValue("@currency", request.Currency);
            insert.Parameters.AddWithValue("@host", intake.MerchantHost);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var entry in decided.Events)
        {
            await InsertEventAsync(connection, transaction, entry, cancellationToken);
        }
        if (decided.QueueWebhook)
        {
            await QueueWebhookAsync(connection, transaction, record, cancellationToken);
        }
        if (intake.Agent is { } agent && intake.IdempotencyKey is { } newKey)
        {
            await using var remember = Command(connection, transaction, """
                INSERT INTO idempotency_keys (agent_id, key, request_hash, purchase_id, status_code, response_json, created_at)
                VALUES (@agent, @key, @hash, @purchase, 201, @response, @now)
                """);
            remember.Parameters.AddWithValue("@agent", agent.Id);
            remember.Parameters.AddWithValue("@key", newKey);
            remember.Parameters.AddWithValue("@hash", intake.RequestHash ?? "");
            remember.Parameters.AddWithValue("@purchase", record.Id);
            remember.Parameters.AddWithValue("@response", decided.ResponseJson);
            remember.Parameters.AddWithValue("@now", Format(now));
            await remember.ExecuteNonQueryAsync(cancellationToken);
        }
        return new IntakeWrite(new IntakeResult(IntakeDisposition.Created, record.Id, 201, decided.ResponseJson, decided.Decision), null,
            decided.Events, decided.QueueWebhook);
    }

    private static async Task<StoredIntake?> FindKeyAsync(SqliteConnection connection, SqliteTransaction transaction, string agentId, string key,
        CancellationToken cancellationToken)
    {
        await using var find = Command(connection, transaction,
            "SELECT request_hash, purchase_id, status_code, response_json FROM idempotency_keys WHERE agent_id = @agent AND key = @key");
        find.Parameters.AddWithValue("@agent", agentId);
        find.Parameters.AddWithValue("@key", key);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredIntake(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3))
            : null;
    }

    private static async Task<(long Today, long Month)> SpentAsync(SqliteConnection connection, SqliteTransaction transaction, string agentId,
        string currency, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (day, month) = IntakeDecision.BudgetWindows(now);
        await using var command = Command(connection, transaction, """
            SELECT COALESCE(SUM(CASE WHEN created_at >= @day THEN amount END), 0), COALESCE(SUM(amount), 0)
            FROM purchases
            WHERE agent_id = @agent AND currency = @currency AND created_at >= @month AND status <> 'failed'
            """);
        command.Parameters.AddWithValue("@agent", agentId);
        command.Parameters.AddWithValue("@currency", currency);
        command.Parameters.AddWithValue("@day", Format(day));
        command.Parameters.AddWithValue("@month", Format(month));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public async Task<PurchaseRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await GetAsync(connection, null, id, cancellationToken);
    }

    private static async Task<PurchaseRecord?> GetAsync(SqliteConnection connection, SqliteTransaction? transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {Columns} FROM purchases WHERE id = @id");
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Purchases whose last recorded status is <paramref name="status"/>.</summary>
    public async Task<IReadOnlyList<PurchaseRecord>> ListByStatusAsync(string status, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, $"SELECT {Columns} FROM purchases WHERE status = @status ORDER BY created_at");
        command.Parameters.AddWithValue("@status", status);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Every purchase not yet terminal, oldest first: what a restart must resume.</summary>
    public async Task<IReadOnlyList<PurchaseRecord>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            $"SELECT {Columns} FROM purchases WHERE status NOT IN ('succeeded', 'failed', 'outcome_unknown') ORDER BY created_at");
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>One page of purchases matching <paramref name="query"/>, newest first, and whether more follow.</summary>
    public async Task<(IReadOnlyList<PurchaseRecord> Page, bool HasMore)> ListAsync(PurchaseQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var sql = new StringBuilder($"SELECT {Columns} FROM purchases WHERE 1 = 1");
        await using var command = Command(connection, null, "");
        void Filter(string clause, string name, object? value)
        {
            if (value is null)
            {
                return;
            }
            sql.Append(" AND ").Append(clause);
            command.Parameters.AddWithValue(name, value);
        }
        Filter("agent_id = @agent", "@agent", query.AgentId);
        Filter("status = @status", "@status", query.Status);
        Filter("recipe = @recipe", "@recipe", query.Recipe);
        Filter("schedule_id = @schedule", "@schedule", query.ScheduleId);
        Filter("created_at > @after", "@after", query.CreatedAfter is { } after ? Format(after) : null);
        Filter("created_at < @before", "@before", query.CreatedBefore is { } before ? Format(before) : null);
        if (query.StartingAfter is { } cursor)
        {
            sql.Append(" AND (created_at, id) < (SELECT created_at, id FROM purchases WHERE id = @cursor)");
            command.Parameters.AddWithValue("@cursor", cursor);
        }
        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT @limit");
        command.Parameters.AddWithValue("@limit", query.Limit + 1);
        command.CommandText = sql.ToString();
        var rows = await ReadAllAsync(command, cancellationToken);
        return rows.Count > query.Limit ? (rows.Take(query.Limit).ToList(), true) : (rows, false);
    }

    public async Task<IReadOnlyList<PurchaseEvent>> GetTimelineAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT at, kind, message, data_json FROM purchase_events WHERE purchase_id = @id ORDER BY seq");
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<PurchaseEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            long? duration = reader.IsDBNull(3) ? null : JsonSerializer.Deserialize<EventData>(reader.GetString(3), Json)?.DurationMs;
            result.Add(new PurchaseEvent(id, Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2), duration));
        }
        return result;
    }

    /// <summary>
    /// Records a status change and the event that explains it in one transaction, and queues the webhook it calls for.
    /// False (and nothing written) when the purchase has already ended, or when asked for <c>submitting</c> and the
    /// purchase is no longer <c>checking_out</c> (canceled meanwhile): the caller must not go on.
    /// </summary>
    public Task<bool> TransitionAsync(string id, string status, string kind, string message, CancellationToken cancellationToken,
        string? spendRequestId = null, PurchaseOutcome? outcome = null) =>
        WriteAsync(new PurchaseEvent(id, time.GetUtcNow(), kind, message), status, spendRequestId, outcome, cancellationToken);

    /// <summary>Appends a timeline event without changing the status.</summary>
    public Task AppendAsync(string id, string kind, string message, CancellationToken cancellationToken, long? durationMs = null) =>
        WriteAsync(new PurchaseEvent(id, time.GetUtcNow(), kind, message, durationMs), null, null, null, cancellationToken);

    /// <summary>
    /// Ends a purchase that has not reached <c>submitting</c> as canceled, in one transaction: after this the worker can
    /// neither create a spend request nor click for it. The caller cancels the spend request at Link.
    /// </summary>
    public async Task<CancelResult> CancelAsync(string id, string? agentId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var purchase = await GetAsync(connection, transaction, id, cancellationToken);
        if (purchase is null || (agentId is not null && purchase.AgentId != agentId))
        {
            return new(CancelDisposition.NotFound, null);
        }
        if (PurchaseStateMachine.Cancel(purchase.Status) is var found and not CancelDisposition.Canceled)
        {
            return new(found, purchase);
        }
        var outcome = new PurchaseOutcome
        {
            PurchaseId = id, Status = PurchaseStatus.Failed, Code = FailureCodes.Canceled, Message = reason,
            Amount = purchase.Request.Amount, Currency = purchase.Request.Currency, SpendRequestId = purchase.SpendRequestId,
        };
        var entry = new PurchaseEvent(id, time.GetUtcNow(), PurchaseStatus.Failed, $"{FailureCodes.Canceled}: {reason}");
        var changed = await UpdateAsync(connection, transaction, entry, PurchaseStatus.Failed, null, outcome, cancellationToken);
        await InsertEventAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        EventAppended?.Invoke(entry);
        if (changed.Request.CallbackUrl is not null)
        {
            WebhookQueued?.Invoke();
        }
        return new(CancelDisposition.Canceled, changed);
    }

    private async Task<bool> WriteAsync(PurchaseEvent entry, string? status, string? spendRequestId, PurchaseOutcome? outcome,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        PurchaseRecord? changed = null;
        if (status is not null)
        {
            var current = await GetAsync(connection, transaction, entry.PurchaseId, cancellationToken)
                ?? throw new InvalidOperationException($"Purchase {entry.PurchaseId} does not exist.");
            if (!PurchaseStateMachine.CanMove(current.Status, status))
            {
                return false;
            }
            changed = await UpdateAsync(connection, transaction, entry, status, spendRequestId, outcome, cancellationToken);
        }
        await InsertEventAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        EventAppended?.Invoke(entry);
        if (changed is not null && Notifies(changed.Status) && changed.Request.CallbackUrl is not null)
        {
            WebhookQueued?.Invoke();
        }
        return true;
    }

    private async Task<PurchaseRecord> UpdateAsync(SqliteConnection connection, SqliteTransaction transaction, PurchaseEvent entry, string status,
        string? spendRequestId, PurchaseOutcome? outcome, CancellationToken cancellationToken)
    {
        await using (var command = Command(connection, transaction, """
            UPDATE purchases SET status = @status, updated_at = @now,
                spend_request_id = COALESCE(@spend, spend_request_id),
                outcome_json = COALESCE(@outcome, outcome_json)
            WHERE id = @id
            """))
        {
            command.Parameters.AddWithValue("@id", entry.PurchaseId);
            command.Parameters.AddWithValue("@status", status);
            command.Parameters.AddWithValue("@now", Format(entry.At));
            command.Parameters.AddWithValue("@spend", (object?)spendRequestId ?? DBNull.Value);
            command.Parameters.AddWithValue("@outcome", outcome is null ? DBNull.Value : JsonSerializer.Serialize(outcome, Json));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        var changed = (await GetAsync(connection, transaction, entry.PurchaseId, cancellationToken))!;
        if (Notifies(status))
        {
            await QueueWebhookAsync(connection, transaction, changed, cancellationToken);
        }
        return changed;
    }

    /// <summary>The outbox: a webhook is queued in the same transaction as the change it reports, so none is lost to a crash.</summary>
    private async Task QueueWebhookAsync(SqliteConnection connection, SqliteTransaction transaction, PurchaseRecord purchase, CancellationToken cancellationToken)
    {
        if (purchase.Request.CallbackUrl is not { } url)
        {
            return;
        }
        var now = time.GetUtcNow();
        var eventId = ObjectIds.New("evt_");
        var type = "purchase." + purchase.Status;
        var body = JsonSerializer.Serialize(new WebhookEvent(eventId, type, now, new WebhookEventData(PurchaseView.From(purchase, null))), Json);
        await using var command = Command(connection, transaction, """
            INSERT INTO webhook_deliveries (id, purchase_id, agent_id, event_type, url, body, created_at, next_attempt_at, attempts, state)
            VALUES (@id, @purchase, @agent, @type, @url, @body, @now, @now, 0, 'pending')
            """);
        command.Parameters.AddWithValue("@id", eventId);
        command.Parameters.AddWithValue("@purchase", purchase.Id);
        command.Parameters.AddWithValue("@agent", (object?)purchase.AgentId ?? DBNull.Value);
        command.Parameters.AddWithValue("@type", type);
        command.Parameters.AddWithValue("@url", url);
        command.Parameters.AddWithValue("@body", body);
        command.Parameters.AddWithValue("@now", Format(now));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task InsertEventAsync(SqliteConnection connection, SqliteTransaction transaction, PurchaseEvent entry,
        CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO purchase_events (purchase_id, at, kind, message, data_json)
            VALUES (@id, @at, @kind, @message, @data)
            """);
        command.Parameters.AddWithValue("@id", entry.PurchaseId);
        command.Parameters.AddWithValue("@at", Format(entry.At));
        command.Parameters.AddWithValue("@kind", entry.Kind);
        command.Parameters.AddWithValue("@message", entry.Message);
        command.Parameters.AddWithValue("@data", entry.DurationMs is null
            ? DBNull.Value
            : JsonSerializer.Serialize(new EventData(entry.DurationMs), Json));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static async Task<IReadOnlyList<PurchaseRecord>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<PurchaseRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }
        return result;
    }

    private static PurchaseRecord Read(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        JsonSerializer.Deserialize<PurchaseRequest>(reader.GetString(3), Json)!,
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : JsonSerializer.Deserialize<PurchaseOutcome>(reader.GetString(5), Json),
        Parse(reader.GetString(6)),
        Parse(reader.GetString(7)),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9));

    private static string Format(DateTimeOffset at) => Timestamps.Format(at);

    private static DateTimeOffset Parse(string at) => Timestamps.Parse(at);

    private sealed record EventData(long? DurationMs);
}
