using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using CheckoutAgent.Worker.Configuration;

namespace CheckoutAgent.Worker.Hosting;

/// <summary>
/// Runs before Quartz starts: creates the database and brings its schema up to date, and deletes card files that no live purchase
/// needs (left by a crash). Cards of purchases still in flight stay, so a resumed checkout uses the same card.
/// </summary>
public sealed class WorkerStartup(CheckoutDatabase database, PurchaseStore store, CardVault vault, ILogger<WorkerStartup> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Applies the migrations this database lacks; one too new for this build stops the start with a clear message.
        await database.InitializeAsync(cancellationToken);
        vault.EnsureDirectory();
        var swept = 0;
        foreach (var purchaseId in vault.ListPurchaseIds().ToList())
        {
            var purchase = await store.GetAsync(purchaseId, cancellationToken);
            if (purchase is null || PurchaseStatus.IsTerminal(purchase.Status))
            {
                vault.Delete(purchaseId);
                swept++;
            }
        }
        if (swept > 0)
        {
            Log.CardFilesSwept(logger, swept);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
