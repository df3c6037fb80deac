namespace CheckoutAgent.Storage;

/// <summary>
/// Which run of a purchase may move it. A run takes the purchase with <see cref="PurchaseStore.ClaimRunAsync"/>, which
/// raises the purchase's <c>run_epoch</c>, and then enters the fence for the rest of its flow
/// (<c>using var fence = RunFence.Enter(id, epoch)</c>). Every status move of that purchase made in that flow is then
/// written only while the epoch in the database is still this run's; once another run has taken the purchase (Quartz
/// recovered it on another node because this one stopped checking in), the move — above all <c>submitting</c>, which
/// must precede the final click — is refused, and the fenced-off run stops without clicking.
/// </summary>
/// <remarks>
/// Ambient (an <see cref="AsyncLocal{T}"/>) so that every move a run makes, in the pipeline and in the callbacks it
/// hands the recipe runner, is fenced without each call passing the epoch along. Moves made outside a run (an agent's
/// cancel, a reconcile) are not fenced.
/// </remarks>
public sealed class RunFence : IDisposable
{
    private static readonly AsyncLocal<RunFence?> Ambient = new();
    private readonly RunFence? _outer;

    private RunFence(string purchaseId, long epoch, RunFence? outer)
    {
        PurchaseId = purchaseId;
        Epoch = epoch;
        _outer = outer;
    }

    public string PurchaseId { get; }

    public long Epoch { get; }

    /// <summary>Fences the moves of <paramref name="purchaseId"/> in the calling flow on <paramref name="epoch"/>.</summary>
    public static RunFence Enter(string purchaseId, long epoch)
    {
        var fence = new RunFence(purchaseId, epoch, Ambient.Value);
        Ambient.Value = fence;
        return fence;
    }

    /// <summary>The fence on <paramref name="purchaseId"/> in the calling flow, if any.</summary>
    internal static RunFence? For(string purchaseId) => Ambient.Value is { } fence && fence.PurchaseId == purchaseId ? fence : null;

    public void Dispose() => Ambient.Value = _outer;
}
