using System.Collections.Concurrent;

namespace CheckoutAgent.Storage;

/// <summary>
/// Group commit: callers that arrive while a batch is being written queue up, and the next of them writes all queued
/// items in one go (one transaction, one disk sync) for everyone. A lone caller is a batch of one and waits for
/// nobody; under load, batches grow by themselves. No background thread: a waiting caller does the work.
/// </summary>
/// <typeparam name="TItem">What a caller hands in.</typeparam>
/// <typeparam name="TResult">What each caller gets back.</typeparam>
/// <param name="process">Writes one batch and returns one result per item, in order. If it throws, every caller of
/// that batch gets the exception.</param>
/// <param name="maxBatch">Most items written together.</param>
public sealed class GroupCommit<TItem, TResult>(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> process, int maxBatch = 64) : IDisposable
{
    private readonly ConcurrentQueue<(TItem Item, TaskCompletionSource<TResult> Done)> _pending = new();
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>Queues <paramref name="item"/> and returns its result once its batch is committed.</summary>
    /// <remarks>Cancellation stops the wait for a turn at writing, never a batch already being written; an item
    /// queued before cancellation may still be written by another caller.</remarks>
    public async Task<TResult> RunAsync(TItem item, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Enqueue((item, done));
        while (!done.Task.IsCompleted)
        {
            await _writer.WaitAsync(cancellationToken);
            try
            {
                if (!done.Task.IsCompleted)
                {
                    await WriteBatchAsync();
                }
            }
            finally
            {
                _writer.Release();
            }
        }
        return await done.Task;
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    private async Task WriteBatchAsync()
    {
        var batch = new List<(TItem Item, TaskCompletionSource<TResult> Done)>(Math.Min(maxBatch, _pending.Count + 1));
        while (batch.Count < maxBatch && _pending.TryDequeue(out var next))
        {
            batch.Add(next);
        }
        if (batch.Count == 0)
        {
            return;
        }
        try
        {
            var results = await process([.. batch.Select(b => b.Item)]);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(results[i]);
            }
        }
        catch (Exception ex)
        {
            foreach (var (_, done) in batch)
            {
                done.TrySetException(ex);
            }
        }
    }
}
