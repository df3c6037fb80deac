using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Cluster;
using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// At most <see cref="WorkerOptions.PerMerchantConcurrency"/> checkouts at one merchant host at a time, so a burst of
/// purchases does not look like an attack to one shop. A purchase over the limit waits here before it opens a browser
/// context; it still holds its worker slot while it waits.
/// <list type="bullet">
/// <item>One node (SQLite): an in-process semaphore per host, first come, first served.</item>
/// <item>Several nodes (PostgreSQL): slots in the database (<see cref="MerchantSlotStore"/>) held under a lease this
/// node renews every third of <see cref="StorageOptions.MerchantSlotLease"/>, so the limit holds across the cluster
/// and a dead node's slots free themselves. Waiting purchases retry every 250 ms; the order among nodes is not FIFO.</item>
/// </list>
/// </summary>
public sealed class MerchantLimiter(
    IOptions<WorkerOptions> options, IOptions<StorageOptions> storage, CheckoutDatabase database, MerchantSlotStore slots, WorkerNode node,
    TimeProvider time, ILogger<MerchantLimiter> logger)
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(250);
    private readonly MerchantSlotStore _slots = slots;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Waits for a checkout slot at <paramref name="merchantHost"/>; dispose the result to give it back.</summary>
    public Task<IDisposable> AcquireAsync(string merchantHost, CancellationToken cancellationToken) =>
        database.IsShared ? AcquireSharedAsync(merchantHost, cancellationToken) : AcquireLocalAsync(merchantHost, cancellationToken);

    private async Task<IDisposable> AcquireSharedAsync(string merchantHost, CancellationToken cancellationToken)
    {
        var lease = storage.Value.MerchantSlotLease;
        // Each acquisition has its own holder id, so two checkouts of this node at one host are two holders.
        var holder = $"{node.Id}/{Guid.NewGuid():N}";
        while (true)
        {
            if (await _slots.TryAcquireAsync(merchantHost, options.Value.PerMerchantConcurrency, holder, lease, cancellationToken) is { } slot)
            {
                return new SharedSlot(this, merchantHost, slot, holder, lease);
            }
            await Task.Delay(Retry, _time, cancellationToken);
        }
    }

    private async Task<IDisposable> AcquireLocalAsync(string merchantHost, CancellationToken cancellationToken)
    {
        Gate gate;
        lock (_gates)
        {
            if (!_gates.TryGetValue(merchantHost, out gate!))
            {
                gate = new Gate(options.Value.PerMerchantConcurrency);
                _gates[merchantHost] = gate;
            }
            gate.Users++;
        }
        try
        {
            await gate.Slots.WaitAsync(cancellationToken);
        }
        catch
        {
            Leave(merchantHost, gate);
            throw;
        }
        return new Slot(this, merchantHost, gate);
    }

    private void Leave(string merchantHost, Gate gate)
    {
        lock (_gates)
        {
            // Forget a host nobody uses, so the table does not grow with every shop ever visited.
            if (--gate.Users == 0)
            {
                _gates.Remove(merchantHost);
                gate.Slots.Dispose();
            }
        }
    }

    private sealed class Gate(int slots)
    {
        public SemaphoreSlim Slots { get; } = new(slots, slots);
        public int Users { get; set; }
    }

    private sealed class Slot(MerchantLimiter limiter, string merchantHost, Gate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Slots.Release();
                limiter.Leave(merchantHost, gate);
            }
        }
    }

    /// <summary>A slot in the database, renewed in the background until disposed, then given back.</summary>
    private sealed class SharedSlot : IDisposable
    {
        private readonly MerchantLimiter _limiter;
        private readonly string _host, _holder;
        private readonly int _slot;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewing;
        private int _released;

        public SharedSlot(MerchantLimiter limiter, string host, int slot, string holder, TimeSpan lease)
        {
            (_limiter, _host, _slot, _holder) = (limiter, host, slot, holder);
            _renewing = RenewAsync(lease);
        }

        private async Task RenewAsync(TimeSpan lease)
        {
            using var timer = new PeriodicTimer(lease / 3, _limiter._time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    await _limiter._slots.RenewAsync(_host, _slot, _holder, lease, _stop.Token);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Released.
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                Log.MerchantSlotTrouble(_limiter._logger, _host, ex.GetType().Name);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }
            _stop.Cancel();
            // Given back in the background: the checkout is over and must not wait for the database; if this fails the
            // lease frees the slot.
            _ = Task.Run(async () =>
            {
                try
                {
                    await _renewing;
                    await _limiter._slots.ReleaseAsync(_host, _slot, _holder, CancellationToken.None);
                }
                catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
                {
                    Log.MerchantSlotTrouble(_limiter._logger, _host, ex.GetType().Name);
                }
                finally
                {
                    _stop.Dispose();
                }
            });
        }
    }
}
