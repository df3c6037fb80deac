namespace CheckoutAgent.Storage;

/// <summary>
/// Purchases and their append-only timelines: the one entry point callers use, over three parts with one job each
/// (<see cref="PurchaseIntakeStore"/> takes new purchases, <see cref="PurchaseTransitions"/> moves them along,
/// <see cref="PurchaseQueries"/> reads them). Every state change is committed before the action it guards (a spend
/// request id before polling, <c>submitting</c> before the final click), so a restart resumes from the truth. A
/// terminal purchase never changes again, and <c>submitting</c> is reached only from <c>checking_out</c>: a cancel that
/// wins the race stops the click. Nothing written here ever holds card data: only brand and last 4.
/// </summary>
public sealed class PurchaseStore
{
    private readonly PurchaseNotifications _notifications = new();
    private readonly PurchaseIntakeStore _intake;
    private readonly PurchaseTransitions _transitions;

    public PurchaseStore(IConnectionFactory connections, SqlDialect dialect, TimeProvider time)
    {
        _intake = new PurchaseIntakeStore(connections, dialect, time, _notifications);
        _transitions = new PurchaseTransitions(connections, dialect, time, _notifications);
        Queries = new PurchaseQueries(connections, dialect);
    }

    public PurchaseStore(CheckoutDatabase database, TimeProvider time) : this(database.Connections, database.Dialect, time)
    {
    }

    /// <value>The read side, for callers that only read.</value>
    public PurchaseQueries Queries { get; }

    /// <summary>Raised after an event is committed. Handlers must be quick and must not throw.</summary>
    public event Action<PurchaseEvent>? EventAppended
    {
        add => _notifications.EventAppended += value;
        remove => _notifications.EventAppended -= value;
    }

    /// <summary>Raised after a webhook delivery is queued, so the dispatcher need not wait for its next poll.</summary>
    public event Action? WebhookQueued
    {
        add => _notifications.WebhookQueued += value;
        remove => _notifications.WebhookQueued -= value;
    }

    /// <summary>Stores a purchase for a local caller (the demo, <c>recipe test</c>): no agent, no key; the global pause still applies.</summary>
    public async Task<PurchaseRecord> CreateAsync(PurchaseRequest request, CancellationToken cancellationToken)
    {
        var host = Uri.TryCreate(request.MerchantUrl, UriKind.Absolute, out var uri) ? uri.Host : "";
        var result = await IntakeAsync(request, new PurchaseIntake(null, null, null, host), cancellationToken);
        return (await GetAsync(result.PurchaseId!, cancellationToken))!;
    }

    /// <summary>
    /// Takes a validated request in one transaction: replays or refuses a repeated idempotency key, decides the owner's
    /// policy against budgets that count purchases in flight, stores the purchase with its first events and the
    /// response the caller gets (so a retry gets exactly the same). A purchase the policy refuses is stored as
    /// <c>failed</c> with the reason in its timeline and never reaches Link.
    /// </summary>
    public async Task<IntakeResult> IntakeAsync(PurchaseRequest request, PurchaseIntake intake, CancellationToken cancellationToken) =>
        (await IntakeBatchAsync([new PendingIntake(request, intake)])).Single().Unwrap();

    /// <inheritdoc cref="PurchaseIntakeStore.IntakeBatchAsync" />
    internal Task<IReadOnlyList<IntakeWrite>> IntakeBatchAsync(IReadOnlyList<PendingIntake> batch) => _intake.IntakeBatchAsync(batch);

    /// <summary>
    /// Records a status change and the event that explains it in one transaction, and queues the webhook it calls for.
    /// False (and nothing written) when the purchase has already ended, or when asked for <c>submitting</c> and the
    /// purchase is no longer <c>checking_out</c> (canceled meanwhile), or when the caller's run is fenced off because
    /// another run took the purchase (<see cref="RunFence"/>): the caller must not go on.
    /// </summary>
    public Task<bool> TransitionAsync(string id, string status, string kind, string message, CancellationToken cancellationToken,
        string? spendRequestId = null, PurchaseOutcome? outcome = null) =>
        _transitions.TransitionAsync(id, status, kind, message, cancellationToken, spendRequestId, outcome);

    /// <summary>
    /// Takes the purchase for a new run (see <see cref="RunFence"/>): raises its run epoch, records
    /// <paramref name="owner"/> as the node running it, and returns the epoch to enter the fence with. From then on a
    /// run holding an older epoch can no longer move the purchase.
    /// </summary>
    public Task<long> ClaimRunAsync(string id, string owner, CancellationToken cancellationToken) =>
        _transitions.ClaimRunAsync(id, owner, cancellationToken);

    /// <summary>Whether the calling flow's run has been superseded by a newer run of the purchase (see <see cref="RunFence"/>).</summary>
    public Task<bool> IsFencedOffAsync(string id, CancellationToken cancellationToken) => _transitions.IsFencedOffAsync(id, cancellationToken);

    /// <summary>Appends a timeline event without changing the status.</summary>
    public Task AppendAsync(string id, string kind, string message, CancellationToken cancellationToken, long? durationMs = null) =>
        _transitions.AppendAsync(id, kind, message, cancellationToken, durationMs);

    /// <summary>
    /// Ends a purchase that has not reached <c>submitting</c> as canceled, in one transaction: after this the worker can
    /// neither create a spend request nor click for it. The caller cancels the spend request at Link.
    /// </summary>
    public Task<CancelResult> CancelAsync(string id, string? agentId, string reason, CancellationToken cancellationToken) =>
        _transitions.CancelAsync(id, agentId, reason, cancellationToken);

    /// <summary>
    /// Ends an <c>outcome_unknown</c> purchase as a person decided, with who decided and when in its outcome and
    /// timeline, and queues its webhook; moves made outside a run, so not fenced. The caller checks first that no run of
    /// it is still finishing.
    /// </summary>
    public Task<ReconcileResult> ReconcileAsync(string id, string decision, string? orderNumber, string by, CancellationToken cancellationToken) =>
        _transitions.ReconcileAsync(id, decision, orderNumber, by, cancellationToken);

    public Task<PurchaseRecord?> GetAsync(string id, CancellationToken cancellationToken) => Queries.GetAsync(id, cancellationToken);

    /// <inheritdoc cref="PurchaseQueries.ListByStatusAsync" />
    public Task<IReadOnlyList<PurchaseRecord>> ListByStatusAsync(string status, CancellationToken cancellationToken) =>
        Queries.ListByStatusAsync(status, cancellationToken);

    /// <inheritdoc cref="PurchaseQueries.ListUnfinishedAsync" />
    public Task<IReadOnlyList<PurchaseRecord>> ListUnfinishedAsync(CancellationToken cancellationToken) => Queries.ListUnfinishedAsync(cancellationToken);

    /// <inheritdoc cref="PurchaseQueries.ListAsync" />
    public Task<(IReadOnlyList<PurchaseRecord> Page, bool HasMore)> ListAsync(PurchaseQuery query, CancellationToken cancellationToken) =>
        Queries.ListAsync(query, cancellationToken);

    public Task<IReadOnlyList<PurchaseEvent>> GetTimelineAsync(string id, CancellationToken cancellationToken) =>
        Queries.GetTimelineAsync(id, cancellationToken);
}
