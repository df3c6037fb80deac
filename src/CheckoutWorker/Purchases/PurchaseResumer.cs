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
    RunningPurchases running, ILogger<PurchaseResumer> logger) : IHostedService
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
    /// <remarks>
    /// On a shared database the node drains instead: it stops taking triggers (standby), tells its purchases to stop,
    /// waits for them to reach their safe point, and puts each one still unfinished back on the cluster's queue, where
    /// another node picks it up and resumes it from its timeline. This runs before Quartz itself stops, while the
    /// scheduler still takes new jobs.
    /// </remarks>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!database.IsShared)
        {
            shutdown.Trigger();
            return;
        }
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.Standby(cancellationToken);
        var here = running.Ids;
        shutdown.Trigger();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(DrainWait);
        try
        {
            await running.WaitAsync(here, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // A checkout still waiting for the merchant's answer: Quartz waits for it; the others are handed over now.
        }
        foreach (var id in here)
        {
            var purchase = await store.GetAsync(id, CancellationToken.None);
            if (purchase is null || PurchaseStatus.IsTerminal(purchase.Status) || running.IsRunning(id))
            {
                continue;
            }
            // Its one-shot job is deleted by Quartz just after it returns: once gone, a new one, which another node fires.
            var key = new JobKey(id, PurchaseJob.Group);
            for (var i = 0; i < 50 && await scheduler.Exists(key, CancellationToken.None); i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
            }
            await PurchaseJobs.ScheduleAsync(schedulers, id, CancellationToken.None);
            Log.PurchaseHandedOver(logger, id);
        }
    }

    /// <summary>How long a draining node waits for its purchases to reach a safe point before handing them over.</summary>
    private static readonly TimeSpan DrainWait = TimeSpan.FromSeconds(30);
}
