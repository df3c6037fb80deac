using System.Text.Json;
using CheckoutAgent.Core.Agents;
using CheckoutAgent.Core.Policy;

namespace CheckoutAgent.Core.Purchases;

/// <summary>What an earlier intake under the same agent and idempotency key left behind.</summary>
public sealed record StoredIntake(string RequestHash, string PurchaseId, int StatusCode, string ResponseJson);

/// <summary>What intake reads from storage, in its transaction, before it decides: the global pause and the agent's spending.</summary>
/// <param name="SpentToday">Amounts of the agent's purchases in the request's currency this UTC day, in flight included.</param>
/// <param name="SpentThisMonth">The same for this UTC month.</param>
public sealed record IntakeFacts(bool Paused, long SpentToday, long SpentThisMonth);

/// <summary>A purchase as intake decided it: what to store and what the caller is answered.</summary>
/// <param name="Record">The purchase: <c>queued</c>, or <c>failed</c> with <c>policy_refused</c>.</param>
/// <param name="Events">Its first timeline events, in order.</param>
/// <param name="QueueWebhook">Whether the outbox gets a delivery now (a refused purchase with a callback).</param>
/// <param name="ResponseJson">The 201 body, stored with the idempotency key so a retry gets the same bytes.</param>
public sealed record NewPurchase(PurchaseRecord Record, PolicyDecision Decision, IReadOnlyList<PurchaseEvent> Events, bool QueueWebhook,
    string ResponseJson);

/// <summary>
/// Intake's decisions, apart from the storage that carries them out: a repeated key replays or is refused, the owner's
/// policy decides against the facts read in the same transaction, and a refused purchase is stored failed, never
/// reaching Link.
/// </summary>
public static class IntakeDecision
{
    /// <summary>
    /// What a request whose key was used before gets: the first response again when the body is the same (replayed),
    /// else a 409 (the key was reused for something else). Null when the key is new.
    /// </summary>
    public static IntakeResult? Repeat(StoredIntake? earlier, string? requestHash) => earlier switch
    {
        null => null,
        _ when earlier.RequestHash == requestHash =>
            new IntakeResult(IntakeDisposition.Replayed, earlier.PurchaseId, earlier.StatusCode, earlier.ResponseJson, null),
        _ => new IntakeResult(IntakeDisposition.KeyReused, earlier.PurchaseId, 409, "", null),
    };

    /// <summary>The UTC day and month whose spending the budgets count, for a request taken in at <paramref name="now"/>.</summary>
    public static (DateTimeOffset Day, DateTimeOffset Month) BudgetWindows(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return (new DateTimeOffset(utc.Date, TimeSpan.Zero), new DateTimeOffset(new DateTime(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc)));
    }

    /// <summary>Decides a new purchase: the policy's verdict, its first status, events and the caller's response.</summary>
    public static NewPurchase Decide(PurchaseRequest request, PurchaseIntake intake, IntakeFacts facts, string id, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(intake);
        ArgumentNullException.ThrowIfNull(facts);
        var policy = intake.Agent?.Policy ?? new AgentPolicy();
        // A local caller (the demo, recipe test) has no agent: only the global pause applies to it.
        var (today, month) = intake.Agent is null ? (0L, 0L) : (facts.SpentToday, facts.SpentThisMonth);
        var decision = PolicyEvaluator.Evaluate(new PolicyInput(policy, facts.Paused, request.Amount, request.Currency, intake.MerchantHost, today, month));

        var status = decision.Allowed ? PurchaseStatus.Queued : PurchaseStatus.Failed;
        var outcome = decision.Allowed ? null : new PurchaseOutcome
        {
            PurchaseId = id, Status = PurchaseStatus.Failed, Code = FailureCodes.PolicyRefused,
            Message = $"{decision.Rule}: {decision.Reason}", Amount = request.Amount, Currency = request.Currency,
        };
        var source = intake.ScheduleId is { } schedule ? $" by schedule {schedule}" : intake.Agent is { } agent ? $" by agent {agent.Name}" : "";
        var events = new List<PurchaseEvent>
        {
            new(id, now, "queued", $"{request.Items.Sum(i => i.Quantity)} item(s), {Money.Format(request.Amount, request.Currency)} via recipe '{request.Recipe}'{source}"),
            new(id, now, "policy", decision.Allowed ? $"allowed: {decision.Reason}" : $"refused ({decision.Rule}): {decision.Reason}; Link was not asked"),
        };
        if (outcome is not null)
        {
            events.Add(new(id, now, PurchaseStatus.Failed, $"{FailureCodes.PolicyRefused}: {outcome.Message}"));
        }
        var record = new PurchaseRecord(id, status, request.Recipe, request, null, outcome, now, now, intake.Agent?.Id, intake.ScheduleId);
        var response = JsonSerializer.Serialize(PurchaseView.From(record, events), PurchaseJson.Options);
        return new NewPurchase(record, decision, events, !decision.Allowed && request.CallbackUrl is not null, response);
    }
}
