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
public sealed class PurchaseResumer(PurchaseStore store, ISchedulerFactory schedulers, ShutdownSignal shutdown, ILogger<PurchaseResumer> logger) : IHostedService
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
            await PurchaseService.ScheduleAsync(schedulers, purchase.Id, cancellationToken);
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
    public Task StopAsync(CancellationToken cancellationToken)
    {
        shutdown.Trigger();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Tells running purchases the worker is shutting down. A purchase waiting for approval stops polling at once; a checkout
/// stops between recipe steps; after the final click it waits for the merchant's answer. Each stays resumable.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();

    public CancellationToken Token => _source.Token;

    public void Trigger() => _source.Cancel();

    public void Dispose() => _source.Dispose();
}
