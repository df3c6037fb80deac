using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using CheckoutAgent.Worker.Configuration;

namespace CheckoutAgent.Worker.Hosting;

/// <summary>
/// Runs before Quartz starts: creates the database and brings its schema up to date, checks the sealing key (and seals
/// webhook secrets an older version stored in clear), and deletes card files that no live purchase
/// needs (left by a crash). Cards of purchases still in flight stay, so a resumed checkout uses the same card.
/// </summary>
public sealed class WorkerStartup(CheckoutDatabase database, PurchaseStore store, AgentStore agents, CardVault vault, ILogger<WorkerStartup> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Applies the migrations this database lacks; one too new for this build stops the start with a clear message.
        await database.InitializeAsync(cancellationToken);
        // Every node must hold the key the database's secrets are sealed with; secrets an older version kept in clear are sealed now.
        var sealedNow = await agents.PrepareSecretsAsync(cancellationToken);
        if (sealedNow > 0)
        {
            Log.WebhookSecretsSealed(logger, sealedNow);
        }
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
