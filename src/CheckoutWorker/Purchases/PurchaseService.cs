using System.Text.Json;
using CheckoutAgent.Link;
using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>What submitting a purchase came to, ready for any front end (HTTP, MCP, a schedule).</summary>
/// <param name="StatusCode">201 created (also for a policy refusal, which is a stored purchase), 200 replayed, 409 key reused, 422 invalid.</param>
/// <param name="ResponseJson">The purchase as JSON for 201 and 200.</param>
/// <param name="RetryAfter">For 429 (the agent's purchases per hour reached): when it may create one again.</param>
public sealed record SubmitResult(int StatusCode, string? PurchaseId, string? ResponseJson, IReadOnlyList<ApiError> Errors, bool Replayed = false,
    TimeSpan? RetryAfter = null);

/// <summary>
/// The operations every front end shares: take a purchase (validate, recipe, idempotency, policy, store, queue),
/// read, list and cancel. The HTTP API, MCP (through the API) and schedules all come through here.
/// </summary>
public sealed class PurchaseService : IDisposable
{
    private readonly PurchaseStore store;
    private readonly RecipeCatalog recipes;
    private readonly ISchedulerFactory schedulers;
    private readonly ILinkClient link;
    private readonly CardVault vault;
    private readonly ILogger<PurchaseService> logger;
    private readonly PurchaseDispatcher dispatcher;
    private readonly GroupCommit<PendingIntake, IntakeWrite> _intakes;
    private readonly AgentStore agents;
    private readonly TimeProvider time;

    public PurchaseService(PurchaseStore store, RecipeCatalog recipes, ISchedulerFactory schedulers, ILinkClient link, CardVault vault,
        ILogger<PurchaseService> logger, PurchaseDispatcher dispatcher, AgentStore agents, CallbackRules callbacks, TimeProvider time)
    {
        this.agents = agents;
        this.time = time;
        Callbacks = callbacks;
        this.dispatcher = dispatcher;
        this.store = store;
        this.recipes = recipes;
        this.schedulers = schedulers;
        this.link = link;
        this.vault = vault;
        this.logger = logger;
        _intakes = new GroupCommit<PendingIntake, IntakeWrite>(IntakeAndQueueAsync);
    }

    /// <summary>Where a purchase's <c>callback_url</c> may point (<c>Webhooks:AllowPrivateNetworks</c>, <c>Webhooks:AllowedTargets</c>).</summary>
    public CallbackRules Callbacks { get; }

    /// <inheritdoc />
    public void Dispose() => _intakes.Dispose();

    /// <summary>
    /// One group commit of intakes: the batch goes into the store in one transaction (one disk sync for many
    /// purchases under load), and its accepted purchases to <see cref="PurchaseDispatcher"/>, which puts them on Quartz.
    /// </summary>
    private async Task<IReadOnlyList<IntakeWrite>> IntakeAndQueueAsync(IReadOnlyList<PendingIntake> batch)
    {
        var writes = await store.IntakeBatchAsync(batch);
        dispatcher.Enqueue(writes.Where(w => w.Result is { Disposition: IntakeDisposition.Created, Decision.Allowed: true }).Select(w => w.Result!.PurchaseId!));
        return writes;
    }

    public async Task<SubmitResult> SubmitAsync(Agent agent, string idempotencyKey, JsonElement body, string? scheduleId, CancellationToken cancellationToken)
    {
        var (request, errors) = PurchaseBody.Parse(body, callbacks: Callbacks);
        if (request is null)
        {
            return new SubmitResult(422, null, null, errors);
        }
        if (await PurchaseRateRefusalAsync(agent, idempotencyKey, cancellationToken) is { } limited)
        {
            return limited;
        }
        Recipe recipe;
        try
        {
            recipe = recipes.Get(request.Recipe);
        }
        catch (RecipeException ex)
        {
            return new SubmitResult(422, null, null,
                [new ApiError(ApiErrorCodes.UnknownRecipe, $"{ex.Message}; GET /v1/recipes lists the recipes this server has", "recipe")]);
        }
        var merchantUrl = request.MerchantUrl ?? recipe.MerchantUrl;
        var host = Uri.TryCreate(merchantUrl, UriKind.Absolute, out var uri) ? uri.Host : "";
        var result = (await _intakes.RunAsync(new PendingIntake(request, new PurchaseIntake(agent, idempotencyKey, PurchaseBody.Hash(body), host, scheduleId)),
            cancellationToken)).Unwrap();
        switch (result.Disposition)
        {
            case IntakeDisposition.Replayed:
                return new SubmitResult(result.StatusCode, result.PurchaseId, result.ResponseJson, [], Replayed: true);
            case IntakeDisposition.KeyReused:
                return new SubmitResult(409, result.PurchaseId, null, [new ApiError(ApiErrorCodes.IdempotencyKeyReused,
                    $"Idempotency-Key '{InputEcho.Quote(idempotencyKey)}' was already used for purchase {result.PurchaseId} with a different body; " +
                    "retry with the same body to get that purchase, or use a new key for a new purchase", "Idempotency-Key")]);
        }
        if (!result.Decision!.Allowed)
        {
            Log.PolicyRefused(logger, result.PurchaseId!, agent.Name, result.Decision.Rule);
        }
        return new SubmitResult(201, result.PurchaseId, result.ResponseJson, []);
    }

    /// <summary>
    /// A 429 when the agent has created its policy's purchases per hour, unless the key was used before (a retry
    /// replays). Checked before the intake's group commit, so concurrent creates may pass it by a few; nothing is
    /// stored for a refusal, so it never counts against a budget.
    /// </summary>
    private async Task<SubmitResult?> PurchaseRateRefusalAsync(Agent agent, string idempotencyKey, CancellationToken cancellationToken)
    {
        if (agent.Policy.MaxPurchasesPerHour is not { } limit
            || await agents.PurchaseRateFullUntilAsync(agent.Id, limit, cancellationToken) is not { } until
            || await agents.HasIdempotencyKeyAsync(agent.Id, idempotencyKey, cancellationToken))
        {
            return null;
        }
        var wait = until - time.GetUtcNow();
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        Log.PurchaseRateLimited(logger, agent.Name, limit);
        return new SubmitResult(429, null, null, [new ApiError(ApiErrorCodes.RateLimited,
            $"this agent may create at most {limit} purchases an hour (its policy's max_purchases_per_hour) and has reached it; " +
            $"retry in {seconds} s (Retry-After), or ask the owner to raise the limit (checkout-agent agent policy {agent.Name} --max-purchases-per-hour N)",
            "max_purchases_per_hour")], RetryAfter: TimeSpan.FromSeconds(seconds));
    }

    /// <summary>The purchase if it exists and belongs to <paramref name="agentId"/> (any agent when null).</summary>
    public async Task<PurchaseView?> GetAsync(string id, string? agentId, CancellationToken cancellationToken)
    {
        var purchase = await store.GetAsync(id, cancellationToken);
        if (purchase is null || (agentId is not null && purchase.AgentId != agentId))
        {
            return null;
        }
        return PurchaseView.From(purchase, await store.GetTimelineAsync(id, cancellationToken));
    }

    public async Task<PurchasePage> ListAsync(PurchaseQuery query, CancellationToken cancellationToken)
    {
        var (page, hasMore) = await store.ListAsync(query, cancellationToken);
        return new PurchasePage(page.Select(p => PurchaseView.From(p, null)).ToList(), hasMore);
    }

    /// <summary>
    /// Cancels a purchase that has not reached its final click: recorded first (so the worker can no longer click),
    /// then the spend request is canceled at Link (its card dies) and the running checkout, if any, is interrupted.
    /// </summary>
    public async Task<CancelResult> CancelAsync(string id, string? agentId, CancellationToken cancellationToken)
    {
        var result = await store.CancelAsync(id, agentId, "canceled at the caller's request before the final click", cancellationToken);
        if (result.Disposition != CancelDisposition.Canceled)
        {
            return result;
        }
        vault.Delete(id);
        if (result.Purchase!.SpendRequestId is { } spendRequestId)
        {
            try
            {
                await link.CancelSpendRequestAsync(spendRequestId, cancellationToken);
                await store.AppendAsync(id, "link_canceled", $"spend request {spendRequestId} canceled at Link; its card can no longer be used", cancellationToken);
            }
            catch (LinkException ex)
            {
                await store.AppendAsync(id, "link_cancel_failed", $"could not cancel spend request {spendRequestId} at Link ({ex.Code}); it expires unused", cancellationToken);
            }
        }
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.Interrupt(new JobKey(id, PurchaseJob.Group), cancellationToken);
        return result with { Purchase = await store.GetAsync(id, cancellationToken) };
    }
}
