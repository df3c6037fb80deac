using CheckoutAgent.Worker.Configuration;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// At most <see cref="WorkerOptions.PerMerchantConcurrency"/> checkouts at one merchant host at a time, so a burst of
/// purchases does not look like an attack to one shop. A purchase over the limit waits here, in line (first come, first
/// served), before it opens a browser context; it still holds its worker slot while it waits.
/// </summary>
public sealed class MerchantLimiter(IOptions<WorkerOptions> options)
{
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Waits for a checkout slot at <paramref name="merchantHost"/>; dispose the result to give it back.</summary>
    public async Task<IDisposable> AcquireAsync(string merchantHost, CancellationToken cancellationToken)
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
}
