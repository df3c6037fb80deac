using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CheckoutAgent.Worker.Schedules;

/// <summary>
/// After Quartz has started: every schedule row gets its job (a crash between the row and the job, or a database
/// restored from a backup), paused or not as the row says, and schedule jobs without a row are deleted.
/// </summary>
public sealed class ScheduleReconciler(ScheduleStore store, ScheduleService schedules, ISchedulerFactory schedulers, ILogger<ScheduleReconciler> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var rows = await store.ListAllAsync(cancellationToken);
        int created = 0, deleted = 0;
        foreach (var schedule in rows)
        {
            var key = ScheduleService.JobKeyOf(schedule.Id);
            try
            {
                if (!await scheduler.Exists(key, cancellationToken))
                {
                    await schedules.ScheduleJobAsync(schedule, cancellationToken);
                    created++;
                    continue;
                }
                var state = await scheduler.GetTriggerState(ScheduleService.TriggerKeyOf(schedule.Id), cancellationToken);
                if (schedule.Paused && state != TriggerState.Paused)
                {
                    await scheduler.PauseJob(key, cancellationToken);
                }
                else if (!schedule.Paused && state == TriggerState.Paused)
                {
                    await scheduler.ResumeJob(key, cancellationToken);
                }
            }
            catch (SchedulerException ex)
            {
                // One bad schedule (e.g. a cron that no longer fires) must not keep the others, or the worker, down.
                Log.ScheduleReconcileFailed(logger, schedule.Id, ex.GetType().Name);
            }
        }
        var known = rows.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var jobs = await scheduler.QueryJobs(new JobQuery { Group = GroupMatcher<JobKey>.GroupEquals(ScheduleFireJob.Group), Take = PagedQuery.All }, cancellationToken);
        foreach (var job in jobs.Items.Where(j => !known.Contains(j.Key.Name)))
        {
            await scheduler.DeleteJob(job.Key, cancellationToken);
            deleted++;
        }
        if (created + deleted > 0)
        {
            Log.SchedulesReconciled(logger, created, deleted);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
