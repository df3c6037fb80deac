using System.Collections.Concurrent;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>The purchases this node is running right now, so a draining node knows what to hand over and when.</summary>
public sealed class RunningPurchases
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _running = new();

    /// <summary>Marks <paramref name="purchaseId"/> as running here until the result is disposed.</summary>
    public IDisposable Track(string purchaseId)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running[purchaseId] = done;
        return new Entry(this, purchaseId, done);
    }

    /// <value>The ids running now.</value>
    public IReadOnlyList<string> Ids => [.. _running.Keys];

    /// <summary>Whether <paramref name="purchaseId"/> is still running here.</summary>
    public bool IsRunning(string purchaseId) => _running.ContainsKey(purchaseId);

    /// <summary>Waits until none of <paramref name="purchaseIds"/> runs here any more (or the token fires).</summary>
    public Task WaitAsync(IEnumerable<string> purchaseIds, CancellationToken cancellationToken) =>
        Task.WhenAll(purchaseIds.Select(id => _running.TryGetValue(id, out var done) ? done.Task : Task.CompletedTask)).WaitAsync(cancellationToken);

    private sealed class Entry(RunningPurchases owner, string purchaseId, TaskCompletionSource done) : IDisposable
    {
        public void Dispose()
        {
            owner._running.TryRemove(new KeyValuePair<string, TaskCompletionSource>(purchaseId, done));
            done.TrySetResult();
        }
    }
}
