using CheckoutAgent.Worker.Observability;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace CheckoutAgent.Worker.Schedules;

/// <summary>
/// The Quartz job of one schedule (group <c>schedules</c>, keyed by the schedule id): each fire submits the schedule's
/// purchase through <see cref="ScheduleService.FireAsync"/>, keyed by the fire's scheduled time.
/// </summary>
[DisallowConcurrentExecution]
public sealed class ScheduleFireJob(ScheduleService schedules, IOptions<ScheduleOptions> options, ILogger<ScheduleFireJob> logger) : IJob
{
    public const string Group = "schedules";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var scheduleId = context.JobDetail.Key.Name;
        // The scheduled time, not the actual one: a late or recovered fire keeps the key of the fire it stands for.
        var scheduledAt = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        if (!context.Recovering && IsMisfire(scheduledAt, context.FireTimeUtc, options.Value.MisfireThreshold))
        {
            // Quartz skips such fires itself, but not always: on PostgreSQL, a node restarted after a few missed fires
            // was seen firing the first of them, 6 s late past a 1 s threshold (the fire due just after it stopped).
            Log.ScheduleFireSkipped(logger, scheduleId, string.Create(CultureInfo.InvariantCulture,
                $"the fire of {scheduledAt:O} came {(context.FireTimeUtc - scheduledAt).TotalSeconds:0} s late (the worker was down), more than the misfire threshold of {options.Value.MisfireThreshold.TotalSeconds:0} s"));
            return;
        }
        try
        {
            await schedules.FireAsync(scheduleId, scheduledAt, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Logged, not rethrown: the next fire time comes anyway, and a refire of this one is what recovery is for.
            Log.ScheduleFireFailed(logger, scheduleId, ex.GetType().Name);
        }
    }

    /// <summary>
    /// A fire that comes later than the misfire threshold after its scheduled time is skipped, as Quartz's own misfire
    /// handling skips it (<see cref="CronTriggerMisfireInstruction.DoNothing"/>). A recovered fire (a node died in the
    /// middle of it) is not: it finishes the fire it stands for, and its idempotency key keeps that to one purchase.
    /// </summary>
    internal static bool IsMisfire(DateTimeOffset scheduledAt, DateTimeOffset firedAt, TimeSpan threshold) => firedAt - scheduledAt > threshold;
}
