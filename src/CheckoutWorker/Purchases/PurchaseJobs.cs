using Quartz;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// How a stored purchase is put on Quartz: one recoverable one-shot job per purchase, keyed by its id. Intake, the
/// dispatcher, the local queue and the resumer all come here, so none of them calls back into another.
/// </summary>
internal static class PurchaseJobs
{
    /// <summary>Puts stored purchases on Quartz in one store transaction; one at a time if any of them is already there.</summary>
    public static async Task ScheduleManyAsync(ISchedulerFactory schedulers, IReadOnlyList<string> purchaseIds, CancellationToken cancellationToken)
    {
        if (purchaseIds.Count <= 1)
        {
            foreach (var id in purchaseIds)
            {
                await ScheduleAsync(schedulers, id, cancellationToken);
            }
            return;
        }
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var jobs = purchaseIds.ToDictionary(id => JobFor(id), id => (IReadOnlyCollection<ITrigger>)[TriggerFor(id)]);
        try
        {
            await scheduler.ScheduleJobs(jobs, new ScheduleJobOptions(), cancellationToken);
        }
        catch (ObjectAlreadyExistsException)
        {
            foreach (var id in purchaseIds)
            {
                await ScheduleAsync(schedulers, id, cancellationToken);
            }
        }
    }

    private static IJobDetail JobFor(string purchaseId) => JobBuilder.Create<PurchaseJob>()
        .WithIdentity(purchaseId, PurchaseJob.Group)
        .UsingJobData(PurchaseJob.PurchaseKey, purchaseId)
        .RequestRecovery()
        .Build();

    private static ITrigger TriggerFor(string purchaseId) => TriggerBuilder.Create()
        .WithIdentity(purchaseId, PurchaseJob.Group)
        .StartNow()
        .Build();

    /// <summary>Puts a stored purchase on Quartz (a recoverable one-shot job keyed by the purchase id); nothing if already there.</summary>
    public static async Task ScheduleAsync(ISchedulerFactory schedulers, string purchaseId, CancellationToken cancellationToken)
    {
        var job = JobFor(purchaseId);
        var trigger = TriggerFor(purchaseId);
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        try
        {
            await scheduler.ScheduleJob(job, trigger, cancellationToken: cancellationToken);
        }
        catch (ObjectAlreadyExistsException)
        {
            // Already queued (by intake before a restart, or by Quartz's own recovery): one job per purchase.
        }
    }
}
