using Quartz;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>Puts purchases into the store and onto Quartz (for local callers: the demo and <c>recipe test</c>).</summary>
public sealed class PurchaseQueue(PurchaseStore store, ISchedulerFactory schedulers)
{
    public async Task<PurchaseRecord> EnqueueAsync(PurchaseRequest request, CancellationToken cancellationToken)
    {
        var purchase = await store.CreateAsync(request, cancellationToken);
        if (purchase.Status == PurchaseStatus.Queued)
        {
            await PurchaseJobs.ScheduleAsync(schedulers, purchase.Id, cancellationToken);
        }
        return purchase;
    }
}
