namespace CheckoutAgent.Worker.Purchases;

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
