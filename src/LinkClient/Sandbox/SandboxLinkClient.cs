using System.Globalization;
using CheckoutAgent.Link.Cards;

namespace CheckoutAgent.Link.Sandbox;

/// <summary>
/// <see cref="ILinkClient"/> over an in-process <see cref="LinkSandbox"/>: validates locally like the real client,
/// polls the same way, and writes approved cards to 0600 card files, returning only brand and last 4.
/// </summary>
public sealed class SandboxLinkClient : ILinkClient
{
    private readonly LinkSandbox _sandbox;
    private readonly TimeProvider _time;

    /// <summary>Creates a client for <paramref name="sandbox"/>.</summary>
    /// <param name="sandbox">The sandbox standing in for Link's servers.</param>
    /// <param name="time">Clock for polling delays and deadlines; the sandbox's own clock when null, so both agree.</param>
    public SandboxLinkClient(LinkSandbox sandbox, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        _sandbox = sandbox;
        _time = time ?? sandbox.Time;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PaymentMethod>> ListPaymentMethodsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sandbox.ListPaymentMethods());
    }

    /// <inheritdoc />
    public Task<SpendRequest> CreateSpendRequestAsync(SpendRequestCreateOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        // Local rules first, with Link's own cap: a request the real Link would refuse must fail here too,
        // even when the sandbox is configured more loosely.
        SpendRequestValidator.Validate(options);
        return Task.FromResult(_sandbox.Create(options));
    }

    /// <inheritdoc />
    public Task<SpendRequest> RetrieveSpendRequestAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sandbox.Get(id));
    }

    /// <inheritdoc />
    public async Task<SpendRequest> WaitForApprovalAsync(string id, string cardOutputFile, TimeSpan interval, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(cardOutputFile);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var request = _sandbox.Get(id);
            if (request.Status.IsTerminal())
            {
                return request.Status == SpendRequestStatus.Approved ? WriteCard(request, cardOutputFile) : request;
            }

            var now = _time.GetUtcNow();
            if (now >= deadline)
            {
                throw new LinkException(LinkErrorCodes.PollingTimeout, string.Create(CultureInfo.InvariantCulture,
                    $"Polling stopped before spend request {id} reached a terminal status: deadline {deadline:O} reached; current status is {request.Status.ToWire()}. The request is still alive: poll it again, do not create a new one."));
            }
            // Never sleep past the deadline: the last look happens at the deadline, not an interval after it.
            var remaining = deadline - now;
            await Task.Delay(remaining < interval ? remaining : interval, _time, cancellationToken);
        }
    }

    /// <inheritdoc />
    public Task<SpendRequest> CancelSpendRequestAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sandbox.Cancel(id));
    }

    private SpendRequest WriteCard(SpendRequest request, string cardOutputFile)
    {
        // Shared payment tokens carry no card: nothing to write, as link-cli ignores --output-file then.
        if (_sandbox.FindIssuedCard(request.Id) is not { } card)
        {
            return request;
        }
        var path = CardFile.Write(cardOutputFile, new CardFileContent
        {
            SpendRequestId = request.Id,
            MerchantName = request.MerchantName,
            MerchantUrl = request.MerchantUrl,
            Context = request.Context,
            CreatedAt = request.CreatedAt,
            Card = card.ToSecret(),
            BillingAddress = card.BillingAddress,
        });
        return request with { CardBrand = card.Brand, CardLast4 = card.Last4, CardOutputFile = path };
    }

    // TEMPORARY (being replaced on the emulator branch): the rest of the surface.
    /// <inheritdoc />
    public Task<AuthStatus> GetAuthStatusAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    /// <inheritdoc />
    public Task<IReadOnlyList<ShippingAddress>> ListShippingAddressesAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    /// <inheritdoc />
    public Task<UserInfo> GetUserInfoAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    /// <inheritdoc />
    public Task<ApprovalLink> RequestApprovalAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();
    /// <inheritdoc />
    public Task<SpendRequest> UpdateSpendRequestAsync(string id, SpendRequestUpdate update, CancellationToken cancellationToken) => throw new NotSupportedException();
    /// <inheritdoc />
    public Task<IReadOnlyList<SpendRequest>> ListSpendRequestsAsync(bool includeHistory, CancellationToken cancellationToken) => throw new NotSupportedException();
    /// <inheritdoc />
    public Task<MppPaymentResult> PayMppAsync(MppPaymentRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    /// <inheritdoc />
    public Task<ObservationReceipt> ReportAsync(AgentObservation observation, CancellationToken cancellationToken) => throw new NotSupportedException();
    /// <inheritdoc />
    public Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();
}
