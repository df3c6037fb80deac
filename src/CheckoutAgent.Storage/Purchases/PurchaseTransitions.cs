using System.Data.Common;
using System.Text.Json;

namespace CheckoutAgent.Storage;

/// <summary>
/// Moves purchases along: a status change, the timeline event that explains it and the webhook it calls for are
/// written in one transaction. Whether a move is allowed is <see cref="PurchaseStateMachine"/>'s decision, read
/// against the status inside that transaction.
/// </summary>
internal sealed class PurchaseTransitions(IConnectionFactory connections, SqlDialect dialect, TimeProvider time, PurchaseNotifications notifications)
{
    public Task<bool> TransitionAsync(string id, string status, string kind, string message, CancellationToken cancellationToken,
        string? spendRequestId = null, PurchaseOutcome? outcome = null) =>
        WriteAsync(new PurchaseEvent(id, time.GetUtcNow(), kind, message), status, spendRequestId, outcome, cancellationToken);

    /// <summary>Takes the purchase for a new run: raises its run epoch and records who runs it.</summary>
    public async Task<long> ClaimRunAsync(string id, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null,
            "UPDATE purchases SET run_epoch = run_epoch + 1, run_owner = @owner WHERE id = @id RETURNING run_epoch");
        command.AddParameter("@id", id).AddParameter("@owner", owner);
        var epoch = await command.ExecuteScalarAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Purchase {id} does not exist.");
        return Convert.ToInt64(epoch, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether the calling flow's run (<see cref="RunFence"/>) has been superseded by a newer one. False outside a run.</summary>
    public async Task<bool> IsFencedOffAsync(string id, CancellationToken cancellationToken)
    {
        if (RunFence.For(id) is not { } fence)
        {
            return false;
        }
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, "SELECT run_epoch FROM purchases WHERE id = @id");
        command.AddParameter("@id", id);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) != fence.Epoch;
    }

    public Task AppendAsync(string id, string kind, string message, CancellationToken cancellationToken, long? durationMs = null) =>
        WriteAsync(new PurchaseEvent(id, time.GetUtcNow(), kind, message, durationMs), null, null, null, cancellationToken);

    public async Task<CancelResult> CancelAsync(string id, string? agentId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        var purchase = await PurchaseRows.GetAsync(connection, transaction, id, cancellationToken);
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
        await PurchaseRows.InsertEventAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        notifications.Appended(entry);
        if (changed.Request.CallbackUrl is not null)
        {
            notifications.Queued();
        }
        return new(CancelDisposition.Canceled, changed);
    }

    /// <summary>
    /// Ends an <c>outcome_unknown</c> purchase as a person decided (see <see cref="PurchaseReconcile"/>): status,
    /// outcome with the reconciliation, the timeline event saying who decided, and the webhook, in one transaction. The
    /// same decision again changes nothing and answers <see cref="ReconcileDisposition.AlreadyReconciled"/>.
    /// </summary>
    public async Task<ReconcileResult> ReconcileAsync(string id, string decision, string? orderNumber, string by, CancellationToken cancellationToken)
    {
        orderNumber = PurchaseReconcile.Normalize(orderNumber);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        var purchase = await PurchaseRows.GetAsync(connection, transaction, id, cancellationToken);
        if (purchase is null)
        {
            return new(ReconcileDisposition.NotFound, null);
        }
        var found = PurchaseReconcile.Decide(purchase.Status, purchase.Outcome?.Reconciliation, decision, orderNumber);
        if (found != ReconcileDisposition.Reconciled)
        {
            return new(found, purchase);
        }
        var now = time.GetUtcNow();
        var previous = purchase.Outcome;
        var reconciliation = new PurchaseReconciliation(decision, orderNumber, by, now, previous?.Code);
        var succeeded = decision == ReconcileDecisions.OrderExists;
        var message = succeeded
            ? $"reconciled by {by}: the merchant has order {orderNumber}"
            : $"reconciled by {by}: the merchant has no order; nothing was bought";
        var outcome = (previous ?? new PurchaseOutcome
        {
            PurchaseId = id, Status = purchase.Status, Amount = purchase.Request.Amount, Currency = purchase.Request.Currency,
            SpendRequestId = purchase.SpendRequestId,
        }) with
        {
            Status = succeeded ? PurchaseStatus.Succeeded : PurchaseStatus.Failed,
            Code = succeeded ? null : PurchaseReconcile.NoOrderCode,
            Message = message,
            OrderNumber = succeeded ? orderNumber : null,
            Reconciliation = reconciliation,
        };
        var entry = new PurchaseEvent(id, now, "reconciled", message);
        var changed = await UpdateAsync(connection, transaction, entry, outcome.Status, null, outcome, cancellationToken);
        await PurchaseRows.InsertEventAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        notifications.Appended(entry);
        if (changed.Request.CallbackUrl is not null)
        {
            notifications.Queued();
        }
        return new(ReconcileDisposition.Reconciled, changed);
    }

    private async Task<bool> WriteAsync(PurchaseEvent entry, string? status, string? spendRequestId, PurchaseOutcome? outcome,
        CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        PurchaseRecord? changed = null;
        if (status is not null)
        {
            var current = await PurchaseRows.GetAsync(connection, transaction, entry.PurchaseId, cancellationToken)
                ?? throw new InvalidOperationException($"Purchase {entry.PurchaseId} does not exist.");
            if (!PurchaseStateMachine.CanMove(current.Status, status))
            {
                return false;
            }
            if (RunFence.For(entry.PurchaseId) is { } fence && await RunEpochAsync(connection, transaction, entry.PurchaseId, cancellationToken) != fence.Epoch)
            {
                // Another run has taken this purchase (this node was declared dead while it was only slow): not ours to move.
                return false;
            }
            changed = await UpdateAsync(connection, transaction, entry, status, spendRequestId, outcome, cancellationToken);
        }
        await PurchaseRows.InsertEventAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        notifications.Appended(entry);
        if (changed is not null && PurchaseStateMachine.Notifies(changed.Status) && changed.Request.CallbackUrl is not null)
        {
            notifications.Queued();
        }
        return true;
    }

    private static async Task<long> RunEpochAsync(DbConnection connection, DbTransaction transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, "SELECT run_epoch FROM purchases WHERE id = @id");
        command.AddParameter("@id", id);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<PurchaseRecord> UpdateAsync(DbConnection connection, DbTransaction transaction, PurchaseEvent entry, string status,
        string? spendRequestId, PurchaseOutcome? outcome, CancellationToken cancellationToken)
    {
        await using (var command = connection.Command(transaction, """
            UPDATE purchases SET status = @status, updated_at = @now,
                spend_request_id = COALESCE(@spend, spend_request_id),
                outcome_json = COALESCE(@outcome, outcome_json)
            WHERE id = @id
            """))
        {
            command.AddParameter("@id", entry.PurchaseId)
                .AddParameter("@status", status)
                .AddParameter("@now", Timestamps.Format(entry.At))
                .AddParameter("@spend", spendRequestId)
                .AddParameter("@outcome", outcome is null ? null : JsonSerializer.Serialize(outcome, PurchaseRows.Json));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        var changed = (await PurchaseRows.GetAsync(connection, transaction, entry.PurchaseId, cancellationToken))!;
        if (PurchaseStateMachine.Notifies(status))
        {
            await WebhookOutbox.EnqueueAsync(connection, transaction, changed, time.GetUtcNow(), cancellationToken);
        }
        return changed;
    }
}
