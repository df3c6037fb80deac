using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using CheckoutAgent.Core.Purchases;

namespace CheckoutAgent.Storage;

/// <summary>One claimed delivery: what to send, how often it was tried, and the lease that makes this process its only sender.</summary>
public sealed record WebhookDelivery(
    string Id, string PurchaseId, string? AgentId, string EventType, string Url, string Body,
    DateTimeOffset CreatedAt, int Attempts, string LeaseOwner);

/// <summary>Delivery states in <c>webhook_deliveries.state</c>.</summary>
public static class WebhookStates
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

/// <summary>
/// The <c>webhook_deliveries</c> table seen by a sender. A delivery is claimed with a lease by one UPDATE, so of several
/// processes on one database only one gets it; its result is written only while that lease is still the claimer's.
/// </summary>
public sealed class WebhookOutbox(IConnectionFactory connections, SqlDialect dialect)
{
    public WebhookOutbox(CheckoutDatabase database) : this(database.Connections, database.Dialect)
    {
    }

    /// <summary>
    /// The outbox's one writer of new rows: queues the webhook that reports <paramref name="purchase"/>'s current
    /// status, in the caller's transaction, so it is committed with the change it reports and none is lost to a crash.
    /// Nothing when the purchase has no callback URL.
    /// </summary>
    /// <returns>Whether a delivery was queued.</returns>
    internal static async Task<bool> EnqueueAsync(DbConnection connection, DbTransaction transaction, PurchaseRecord purchase, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (purchase.Request.CallbackUrl is not { } url)
        {
            return false;
        }
        var eventId = CheckoutAgent.Link.ObjectIds.New("evt_");
        var type = PurchaseStateMachine.WebhookType(purchase.Status);
        var body = JsonSerializer.Serialize(new WebhookEvent(eventId, type, now, new WebhookEventData(PurchaseView.From(purchase, null))), PurchaseJson.Options);
        await using var command = connection.Command(transaction, """
            INSERT INTO webhook_deliveries (id, purchase_id, agent_id, event_type, url, body, created_at, next_attempt_at, attempts, state)
            VALUES (@id, @purchase, @agent, @type, @url, @body, @now, @now, 0, 'pending')
            """);
        command.AddParameter("@id", eventId).AddParameter("@purchase", purchase.Id).AddParameter("@agent", purchase.AgentId)
            .AddParameter("@type", type).AddParameter("@url", url).AddParameter("@body", body).AddParameter("@now", Timestamps.Format(now));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    /// <summary>Claims the most overdue pending delivery not leased by anyone, or returns null when none is due.</summary>
    public async Task<WebhookDelivery?> ClaimAsync(DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken)
    {
        var owner = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The conditions are repeated outside the subquery: the row must still be free when it is written.
        command.CommandText = $"""
            UPDATE webhook_deliveries SET lease_until = @lease, lease_owner = @owner
            WHERE id = (
                SELECT id FROM webhook_deliveries
                WHERE state = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now)
                ORDER BY next_attempt_at, id LIMIT 1{dialect.ClaimLock})
              AND state = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until < @now)
            RETURNING id, purchase_id, agent_id, event_type, url, body, created_at, attempts
            """;
        command.AddParameter("@now", Timestamps.Format(now));
        command.AddParameter("@lease", Timestamps.Format(now + lease));
        command.AddParameter("@owner", owner);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new WebhookDelivery(
            reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
            reader.GetString(4), reader.GetString(5), Timestamps.Parse(reader.GetString(6)), reader.GetInt32(7), owner);
    }

    /// <summary>When the next unleased pending delivery falls due; null when there is none.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT MIN(next_attempt_at) FROM webhook_deliveries
            WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < @now)
            """;
        command.AddParameter("@now", Timestamps.Format(now));
        return await command.ExecuteScalarAsync(cancellationToken) is string at ? Timestamps.Parse(at) : null;
    }

    /// <summary>
    /// Records an attempt's result and frees the lease: <paramref name="state"/> delivered or failed ends the delivery;
    /// pending with <paramref name="nextAttemptAt"/> schedules the next try. False when the lease was lost meanwhile
    /// (expired and claimed by another sender): nothing is written.
    /// </summary>
    public async Task<bool> RecordAsync(WebhookDelivery delivery, int attempts, string state, DateTimeOffset? nextAttemptAt,
        CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE webhook_deliveries
            SET attempts = @attempts, state = @state, next_attempt_at = COALESCE(@next, next_attempt_at),
                lease_until = NULL, lease_owner = NULL
            WHERE id = @id AND state = 'pending' AND lease_owner = @owner
            """;
        command.AddParameter("@id", delivery.Id);
        command.AddParameter("@owner", delivery.LeaseOwner);
        command.AddParameter("@attempts", attempts);
        command.AddParameter("@state", state);
        command.AddParameter("@next", nextAttemptAt is { } next ? Timestamps.Format(next) : DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Every delivery of one purchase, oldest first.</summary>
    public async Task<IReadOnlyList<(string Id, string EventType, string State, int Attempts)>> ListAsync(string purchaseId, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, event_type, state, attempts FROM webhook_deliveries WHERE purchase_id = @purchase ORDER BY created_at, id";
        command.AddParameter("@purchase", purchaseId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<(string, string, string, int)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)));
        }
        return result;
    }
}
