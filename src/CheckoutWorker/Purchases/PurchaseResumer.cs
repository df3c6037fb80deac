using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// After Quartz has started (and recovered the jobs a crash interrupted), puts back on the queue every unfinished
/// purchase that has no job: one stopped by a graceful shutdown, or stored just before a crash and never queued.
/// The pipeline then resumes each from its last event.
/// </summary>
public sealed class PurchaseResumer(PurchaseStore store, ISchedulerFactory schedulers, ShutdownSignal shutdown, CheckoutDatabase database,
    ILogger<PurchaseResumer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var resumed = 0;
        foreach (var purchase in await store.ListUnfinishedAsync(cancellationToken))
        {
            if (await scheduler.Exists(new JobKey(purchase.Id, PurchaseJob.Group), cancellationToken))
            {
                continue;
            }
            await PurchaseJobs.ScheduleAsync(schedulers, purchase.Id, cancellationToken);
            resumed++;
        }
        if (resumed > 0)
        {
            Log.PurchasesResumed(logger, resumed);
        }
    }

    /// <summary>
    /// Stops before Quartz does (hosted services stop in reverse order): running purchases are told to stop at their next
    /// safe point, and Quartz then waits for them to finish that step.
    /// </summary>
    /// <remarks>On a shared database the node first stops taking triggers (standby), so the purchases it hands over
    /// (see <see cref="PurchaseJob"/>) go to the other nodes, not back to itself.</remarks>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (database.IsShared)
        {
            await (await schedulers.GetScheduler(cancellationToken)).Standby(cancellationToken);
        }
        shutdown.Trigger();
    }
}
