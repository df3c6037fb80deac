using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// A thin Quartz job: the work and its state live in <see cref="PurchasePipeline"/> and the store. It asks Quartz to
/// recover it after a crash; the pipeline's recorded state makes that rerun safe (same spend request, no second click).
/// </summary>
[DisallowConcurrentExecution]
public sealed class PurchaseJob(PurchasePipeline pipeline, ShutdownSignal shutdown, RunningPurchases running, ILogger<PurchaseJob> logger) : IJob
{
    public const string Group = "purchases";
    public const string PurchaseKey = "purchase";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var purchaseId = context.MergedJobDataMap.GetString(PurchaseKey)!;
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["PurchaseId"] = purchaseId });
        using var tracked = running.Track(purchaseId);
        // Interrupted (a cancel, Quartz) or the worker stopping: either way the purchase stops at its next safe point.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, shutdown.Token);
        try
        {
            await pipeline.RunAsync(purchaseId, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Canceled or shutting down: the purchase stays where its timeline says (a cancel has already ended it) and
            // an unfinished one resumes on the next start (PurchaseResumer). Not an error for Quartz to report.
            Log.PurchaseStopped(logger, purchaseId);
        }
        catch (Exception ex)
        {
            // Record, don't rethrow: a refire could place a second order.
            Log.PurchaseCrashed(logger, purchaseId, ex.GetType().Name);
            await pipeline.RecordCrashAsync(purchaseId, ex, CancellationToken.None);
        }
    }
}
