using System.Text.Json;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CheckoutAgent.Worker.Schedules;

/// <summary>What creating a schedule came to: 201 with the schedule, 409 name taken, 422 invalid.</summary>
public sealed record ScheduleCreateResult(int StatusCode, ScheduleView? Schedule, IReadOnlyList<ApiError> Errors);

/// <summary>
/// Schedules: the row in the database and its Quartz job (group <c>schedules</c>, keyed by the schedule id, one cron
/// trigger in the schedule's time zone) kept in step. The row is the truth: it is written first, and
/// <see cref="ScheduleReconciler"/> repairs the job side at start-up if a crash fell between the two.
/// </summary>
public sealed class ScheduleService(
    ScheduleStore store, AgentStore agents, PurchaseService purchases, RecipeCatalog recipes, ISchedulerFactory schedulers,
    TimeProvider time, ILogger<ScheduleService> logger)
{
    public async Task<ScheduleCreateResult> CreateAsync(Agent agent, JsonElement body, CancellationToken cancellationToken)
    {
        var (draft, errors) = ScheduleBody.Parse(body, time.GetUtcNow(), purchases.Callbacks);
        if (draft is null)
        {
            return new ScheduleCreateResult(422, null, errors);
        }
        try
        {
            recipes.Get(draft.Purchase.Recipe);
        }
        catch (RecipeException ex)
        {
            return new ScheduleCreateResult(422, null,
                [new ApiError(ApiErrorCodes.UnknownRecipe, $"{ex.Message}; GET /v1/recipes lists the recipes this server has", "purchase.recipe")]);
        }
        var now = time.GetUtcNow();
        var record = new ScheduleRecord(ScheduleStore.NewId(), agent.Id, draft.Name, draft.Cron, draft.TimeZone.Id, draft.PurchaseJson, false, now, now);
        if (!await store.InsertAsync(record, cancellationToken))
        {
            return new ScheduleCreateResult(409, null, [new ApiError(ApiErrorCodes.ScheduleNameTaken,
                $"this agent already has a schedule named '{InputEcho.Quote(draft.Name)}'; pick another name, or delete that schedule first", "name")]);
        }
        try
        {
            await ScheduleJobAsync(record, cancellationToken);
        }
        catch
        {
            // Nothing half-made: a schedule without its job would look alive and never fire.
            await store.DeleteAsync(record.Id, CancellationToken.None);
            throw;
        }
        Log.ScheduleCreated(logger, record.Id, agent.Name, record.Cron, record.TimeZone);
        return new ScheduleCreateResult(201, await ViewAsync(record, cancellationToken), []);
    }

    /// <summary>The agent's schedules, oldest first.</summary>
    public async Task<IReadOnlyList<ScheduleView>> ListAsync(string agentId, CancellationToken cancellationToken)
    {
        var result = new List<ScheduleView>();
        foreach (var record in await store.ListByAgentAsync(agentId, cancellationToken))
        {
            result.Add(await ViewAsync(record, cancellationToken));
        }
        return result;
    }

    /// <summary>The schedule if it exists and belongs to <paramref name="agentId"/>.</summary>
    public async Task<ScheduleView?> GetAsync(string id, string agentId, CancellationToken cancellationToken) =>
        await FindAsync(id, agentId, cancellationToken) is { } record ? await ViewAsync(record, cancellationToken) : null;

    /// <summary>Stops the schedule firing (the row first, so a fire racing the pause skips); null when not the agent's.</summary>
    public Task<ScheduleView?> PauseAsync(string id, string agentId, CancellationToken cancellationToken) =>
        SetPausedAsync(id, agentId, true, cancellationToken);

    /// <summary>Fires again from the next fire time on: fires due while paused are not made up.</summary>
    public Task<ScheduleView?> ResumeAsync(string id, string agentId, CancellationToken cancellationToken) =>
        SetPausedAsync(id, agentId, false, cancellationToken);

    /// <returns>False when the agent has no such schedule. Purchases it made stay, with their <c>schedule_id</c>.</returns>
    public async Task<bool> DeleteAsync(string id, string agentId, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, agentId, cancellationToken) is null)
        {
            return false;
        }
        await store.DeleteAsync(id, cancellationToken);
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.DeleteJob(JobKeyOf(id), cancellationToken);
        Log.ScheduleDeleted(logger, id);
        return true;
    }

    /// <summary>
    /// One fire: submits the stored purchase as its owner, under the owner's current policy, with the idempotency key
    /// <c>schedule:{id}:{scheduled fire time}</c>, so the same fire time submitted again (a refire, a recovery after a
    /// crash) replays the first purchase instead of making a second. Skipped, with a log line, when the schedule is
    /// gone or paused or its agent revoked.
    /// </summary>
    /// <returns>What the submit came to, or null when the fire was skipped.</returns>
    public async Task<SubmitResult?> FireAsync(string id, DateTimeOffset scheduledFireTime, CancellationToken cancellationToken)
    {
        var schedule = await store.GetAsync(id, cancellationToken);
        if (schedule is null)
        {
            Log.ScheduleFireSkipped(logger, id, "the schedule was deleted");
            return null;
        }
        if (schedule.Paused)
        {
            Log.ScheduleFireSkipped(logger, id, "the schedule is paused");
            return null;
        }
        var agent = await agents.GetAsync(schedule.AgentId, cancellationToken);
        if (agent is null || agent.RevokedAt is not null)
        {
            Log.ScheduleFireSkipped(logger, id, "its agent was revoked");
            return null;
        }
        var key = IdempotencyKey(id, scheduledFireTime);
        using var body = JsonDocument.Parse(schedule.PurchaseJson);
        var result = await purchases.SubmitAsync(agent, key, body.RootElement, id, cancellationToken);
        if (result.Errors.Count > 0)
        {
            // E.g. its recipe was removed since: codes and fields only, the messages may quote the body.
            Log.ScheduleFireRefused(logger, id, result.StatusCode, string.Join(", ", result.Errors.Select(e => $"{e.Code} {e.Field}")));
        }
        else
        {
            Log.ScheduleFired(logger, id, scheduledFireTime.UtcDateTime, result.PurchaseId!, result.Replayed);
        }
        return result;
    }

    /// <summary>The idempotency key of one fire: the schedule and its scheduled fire time in UTC.</summary>
    public static string IdempotencyKey(string scheduleId, DateTimeOffset scheduledFireTime) =>
        $"schedule:{scheduleId}:{scheduledFireTime.ToUniversalTime():O}";

    public static JobKey JobKeyOf(string scheduleId) => new(scheduleId, ScheduleFireJob.Group);

    public static TriggerKey TriggerKeyOf(string scheduleId) => new(scheduleId, ScheduleFireJob.Group);

    /// <summary>
    /// Puts the schedule's job on Quartz (paused when the row is): a cron trigger in its time zone that skips fires it
    /// missed by more than the misfire threshold (<see cref="ScheduleOptions.MisfireThreshold"/>) instead of replaying them.
    /// </summary>
    internal async Task ScheduleJobAsync(ScheduleRecord record, CancellationToken cancellationToken)
    {
        var job = JobBuilder.Create<ScheduleFireJob>()
            .WithIdentity(JobKeyOf(record.Id))
            .WithDescription($"schedule '{record.Name}'")
            // A crash mid-fire is refired with the same scheduled time: the idempotency key makes that safe.
            .RequestRecovery()
            .Build();
        var zone = ScheduleBody.FindZone(record.TimeZone) ?? TimeZoneInfo.Utc;
        var trigger = TriggerBuilder.Create()
            .WithIdentity(TriggerKeyOf(record.Id))
            .ForJob(job.Key)
            // Its own execution group: purchases waiting for approval hold their threads and must not starve fires.
            .WithExecutionGroup(ScheduleFireJob.Group)
            .WithSchedule(CronScheduleBuilder.Create(record.Cron)
                .InTimeZone(zone)
                .WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing))
            .Build();
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.ScheduleJob(job, trigger, new ScheduleJobOptions { Paused = record.Paused }, cancellationToken);
    }

    private async Task<ScheduleView?> SetPausedAsync(string id, string agentId, bool paused, CancellationToken cancellationToken)
    {
        if (await FindAsync(id, agentId, cancellationToken) is null)
        {
            return null;
        }
        var record = await store.SetPausedAsync(id, paused, time.GetUtcNow(), cancellationToken);
        if (record is null)
        {
            return null;
        }
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (!await scheduler.Exists(JobKeyOf(id), cancellationToken))
        {
            await ScheduleJobAsync(record, cancellationToken);
        }
        else if (paused)
        {
            await scheduler.PauseJob(JobKeyOf(id), cancellationToken);
        }
        else
        {
            await scheduler.ResumeJob(JobKeyOf(id), cancellationToken);
        }
        return await ViewAsync(record, cancellationToken);
    }

    private async Task<ScheduleRecord?> FindAsync(string id, string agentId, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } record && record.AgentId == agentId ? record : null;

    private async Task<ScheduleView> ViewAsync(ScheduleRecord record, CancellationToken cancellationToken)
    {
        DateTimeOffset? next = null;
        if (!record.Paused)
        {
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            next = (await scheduler.GetTrigger(TriggerKeyOf(record.Id), cancellationToken))?.NextFireTimeUtc;
        }
        return ScheduleView.From(record, next);
    }
}
