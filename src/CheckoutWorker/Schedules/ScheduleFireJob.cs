using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CheckoutAgent.Worker.Schedules;

/// <summary>
/// The Quartz job of one schedule (group <c>schedules</c>, keyed by the schedule id): each fire submits the schedule's
/// purchase through <see cref="ScheduleService.FireAsync"/>, keyed by the fire's scheduled time.
/// </summary>
[DisallowConcurrentExecution]
public sealed class ScheduleFireJob(ScheduleService schedules, ILogger<ScheduleFireJob> logger) : IJob
{
    public const string Group = "schedules";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var scheduleId = context.JobDetail.Key.Name;
        // The scheduled time, not the actual one: a late or recovered fire keeps the key of the fire it stands for.
        var scheduledAt = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
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
}
