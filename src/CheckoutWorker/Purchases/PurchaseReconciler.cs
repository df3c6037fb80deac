using CheckoutAgent.Link;
using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// Ends an <c>outcome_unknown</c> purchase as a person decided after checking with the merchant: "an order exists"
/// (with its order number) ends it <c>succeeded</c>, "no order" ends it <c>failed</c> (<c>reconciled_no_order</c>).
/// Who decided and when go into its outcome and timeline, its webhook is sent like any terminal move, and Link hears
/// how the attempt went (<c>link-cli report</c>: success, or blocked with the note that no order was placed); for "no
/// order" the spend request is also canceled so its one-time card dies. The API, the CLI (through the API) and the
/// console all come through here.
/// </summary>
public sealed class PurchaseReconciler(PurchaseStore store, RunningPurchases running, ILinkClient link, CardVault vault, ILogger<PurchaseReconciler> logger)
{
    /// <param name="by">Who decides, as the timeline shows it (<c>agent NAME (agt_…)</c>): never a token.</param>
    public async Task<ReconcileResult> ReconcileAsync(string id, string decision, string? orderNumber, string by, CancellationToken cancellationToken)
    {
        if (running.IsRunning(id))
        {
            // The run that ended it outcome_unknown is still tidying up (or it has not ended at all): not yet a person's call.
            return new ReconcileResult(ReconcileDisposition.Running, await store.GetAsync(id, cancellationToken));
        }
        var result = await store.ReconcileAsync(id, decision, orderNumber, by, cancellationToken);
        if (result.Disposition != ReconcileDisposition.Reconciled)
        {
            return result;
        }
        Log.PurchaseReconciled(logger, id, decision, by);
        var purchase = result.Purchase!;
        vault.Delete(id);
        if (purchase.SpendRequestId is { } spendRequestId)
        {
            await ReportAsync(purchase, spendRequestId, decision, cancellationToken);
        }
        return result with { Purchase = await store.GetAsync(id, cancellationToken) };
    }

    private async Task ReportAsync(PurchaseRecord purchase, string spendRequestId, string decision, CancellationToken cancellationToken)
    {
        var success = decision == ReconcileDecisions.OrderExists;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        if (Uri.TryCreate(purchase.Request.MerchantUrl, UriKind.Absolute, out var merchant))
        {
            var observation = new AgentObservation
            {
                Domain = merchant.Host,
                Outcome = success ? ObservationOutcomes.Success : ObservationOutcomes.Blocked,
                SpendRequestId = spendRequestId,
                Tags = success ? [] : [ObservationTags.Other],
                Step = "checkout",
                FreeformContext = success ? null : "the merchant never answered the final click; a person checked and found no order",
            };
            try
            {
                await link.ReportAsync(observation, timeout.Token);
                await store.AppendAsync(purchase.Id, "reported", $"reported to Link: {observation.Outcome}{(success ? "" : " (no order after the final click)")}", cancellationToken);
            }
            catch (Exception ex) when (ex is LinkException or NotSupportedException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var code = ex is LinkException linkError ? linkError.Code : ex.GetType().Name;
                await store.AppendAsync(purchase.Id, "report_failed", $"could not report {observation.Outcome} to Link ({code})", cancellationToken);
            }
        }
        if (!success)
        {
            try
            {
                await link.CancelSpendRequestAsync(spendRequestId, timeout.Token);
                await store.AppendAsync(purchase.Id, "link_canceled", $"spend request {spendRequestId} canceled at Link; its card can no longer be used", cancellationToken);
            }
            catch (Exception ex) when (ex is LinkException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var code = ex is LinkException linkError ? linkError.Code : ex.GetType().Name;
                await store.AppendAsync(purchase.Id, "link_cancel_failed", $"could not cancel spend request {spendRequestId} at Link ({code}); it expires unused", cancellationToken);
            }
        }
    }
}
