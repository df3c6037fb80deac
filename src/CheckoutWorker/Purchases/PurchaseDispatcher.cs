using System.Threading.Channels;
using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Quartz;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// Puts purchases the API has accepted onto Quartz in the background, as many per Quartz transaction as have
/// arrived. The purchases table is the durable queue: intake commits a purchase as <c>queued</c> and answers; this
/// hands it to Quartz moments later. A crash in between leaves it queued without a job, and
/// <see cref="PurchaseResumer"/> queues it at the next start. Keeping Quartz's write out of the request path is what
/// lets intake take hundreds of purchases a second on SQLite: each Quartz write holds the database's one write lock
/// for longer than an intake batch does.
/// </summary>
public sealed class PurchaseDispatcher(ISchedulerFactory schedulers, ILogger<PurchaseDispatcher> logger) : BackgroundService
{
    private const int MaxBatch = 500;
    private static readonly TimeSpan GatherDelay = TimeSpan.FromMilliseconds(50);
    private readonly Channel<string> _accepted = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues purchases (already committed as <c>queued</c>) for Quartz.</summary>
    public void Enqueue(IEnumerable<string> purchaseIds)
    {
        ArgumentNullException.ThrowIfNull(purchaseIds);
        foreach (var id in purchaseIds)
        {
            _accepted.Writer.TryWrite(id);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<string>(MaxBatch);
        try
        {
            while (await _accepted.Reader.WaitToReadAsync(stoppingToken))
            {
                // A short gather turns a burst into one Quartz transaction; a purchase waits seconds for approval anyway.
                await Task.Delay(GatherDelay, stoppingToken);
                Take(batch);
                await ScheduleWithRetryAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (before Quartz does): hand over what is waiting; what cannot be resumes at the next start.
            Take(batch);
            if (batch.Count > 0)
            {
                try
                {
                    await PurchaseJobs.ScheduleManyAsync(schedulers, batch, CancellationToken.None);
                }
                catch (SchedulerException ex)
                {
                    Log.DispatchFailed(logger, batch.Count, ex.GetType().Name);
                }
            }
        }
    }

    private void Take(List<string> batch)
    {
        while (batch.Count < MaxBatch && _accepted.Reader.TryRead(out var id))
        {
            batch.Add(id);
        }
    }

    private async Task ScheduleWithRetryAsync(List<string> batch, CancellationToken stoppingToken) =>
        await RetryUntilScheduled(batch.Count).ExecuteAsync(
            async ct => await PurchaseJobs.ScheduleManyAsync(schedulers, batch, ct), stoppingToken);

    /// <summary>Tries until Quartz takes the batch or the host stops: 200 ms after the first failure, doubling up to
    /// 10 s, each failure logged.</summary>
    private ResiliencePipeline RetryUntilScheduled(int batchSize) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<SchedulerException>(),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(10),
            OnRetry = args =>
            {
                Log.DispatchFailed(logger, batchSize, args.Outcome.Exception!.GetType().Name);
                return default;
            },
        })
        .Build();
}
