using CheckoutAgent.Core.Agents;
using CheckoutAgent.Core.Policy;

namespace CheckoutAgent.Core.Purchases;

/// <summary>Who queues a purchase and how: everything intake needs beyond the request itself.</summary>
/// <param name="Agent">The agent queuing it; null for the demo and <c>recipe test</c> (no policy but the global pause).</param>
/// <param name="IdempotencyKey">The caller's key: the same key and body returns the first response, a different body is refused.</param>
/// <param name="RequestHash">Hash of the canonical request body, compared on a repeated key.</param>
/// <param name="MerchantHost">The host the card will be scoped to (for the allowlist).</param>
public sealed record PurchaseIntake(Agent? Agent, string? IdempotencyKey, string? RequestHash, string MerchantHost, string? ScheduleId = null);

/// <summary>What intake did: created (with the policy's decision), replayed an earlier response, or refused a reused key.</summary>
public sealed record IntakeResult(IntakeDisposition Disposition, string? PurchaseId, int StatusCode, string ResponseJson, PolicyDecision? Decision);

public enum IntakeDisposition { Created, Replayed, KeyReused }

/// <summary>One purchase waiting to be taken in.</summary>
public sealed record PendingIntake(PurchaseRequest Request, PurchaseIntake Intake);

/// <summary>What one intake of a batch came to: its result, or the error that rolled it (alone) back.</summary>
public sealed record IntakeWrite(IntakeResult? Result, Exception? Error, IReadOnlyList<PurchaseEvent> Events, bool WebhookQueued)
{
    /// <summary>The result, or the intake's own error rethrown.</summary>
    public IntakeResult Unwrap()
    {
        if (Error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(Error);
        }
        return Result!;
    }
}

/// <summary>What a cancel found.</summary>
public enum CancelDisposition { Canceled, NotFound, AlreadyEnded, Submitting }

public sealed record CancelResult(CancelDisposition Disposition, PurchaseRecord? Purchase);

/// <summary>Filters for listing an agent's purchases, newest first.</summary>
public sealed record PurchaseQuery
{
    public string? AgentId { get; init; }
    public string? Status { get; init; }
    public string? Recipe { get; init; }
    public string? ScheduleId { get; init; }
    public DateTimeOffset? CreatedAfter { get; init; }
    public DateTimeOffset? CreatedBefore { get; init; }
    public int Limit { get; init; } = 20;
    public string? StartingAfter { get; init; }
}
