using System.Globalization;
using System.Net;
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
    private readonly HttpClient _http;

    // One connection pool for every client that is not handed its own HttpClient.
    private static readonly HttpClient _sharedHttp = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    /// <summary>Creates a client for <paramref name="sandbox"/>.</summary>
    /// <param name="sandbox">The sandbox standing in for Link's servers.</param>
    /// <param name="time">Clock for polling delays and deadlines; the sandbox's own clock when null, so both agree.</param>
    /// <param name="httpClient">Used by <see cref="PayMppAsync"/> to reach the merchant; a shared client when null.</param>
    public SandboxLinkClient(LinkSandbox sandbox, TimeProvider? time = null, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        _sandbox = sandbox;
        _time = time ?? sandbox.Time;
        _http = httpClient ?? _sharedHttp;
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
            if (!request.IsWaiting())
            {
                if (request.Status != SpendRequestStatus.Approved)
                {
                    return request;
                }
                // A token is handed back as its id (no file), as link-cli prints it for mpp pay.
                return _sandbox.FindSharedPaymentToken(id) is { } token
                    ? request with { SharedPaymentToken = token.Id }
                    : WriteCard(request, cardOutputFile);
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

    /// <inheritdoc />
    public Task<AuthStatus> GetAuthStatusAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // In process there is no login to lose: the sandbox is the wallet.
        return Task.FromResult(new AuthStatus(true, null, SandboxAuth.DefaultScope, "Bearer"));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ShippingAddress>> ListShippingAddressesAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sandbox.ListShippingAddresses());
    }

    /// <inheritdoc />
    public Task<UserInfo> GetUserInfoAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sandbox.GetUserInfo());
    }

    /// <inheritdoc />
    public Task<ApprovalLink> RequestApprovalAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        cancellationToken.ThrowIfCancellationRequested();
        var request = _sandbox.RequestApproval(id);
        return Task.FromResult(new ApprovalLink(request.Id, request.ApprovalUrl!));
    }

    /// <inheritdoc />
    public Task<SpendRequest> UpdateSpendRequestAsync(string id, SpendRequestUpdate update, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(update);
        cancellationToken.ThrowIfCancellationRequested();
        // Link's own rules first, as for create: the sandbox may be configured more loosely.
        SpendRequestValidator.ValidateUpdate(update);
        return Task.FromResult(_sandbox.Update(id, update));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SpendRequest>> ListSpendRequestsAsync(bool includeHistory, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sandbox.List(includeHistory));
    }

    /// <inheritdoc />
    public Task<ObservationReceipt> ReportAsync(AgentObservation observation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(observation);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sandbox.Report(observation));
    }

    /// <inheritdoc />
    public Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sandbox.ListTransactions(query));
    }

    /// <inheritdoc />
    /// <exception cref="LinkException"><c>INVALID_STATE</c> unless the spend request is an approved
    /// <c>shared_payment_token</c> request; <c>INVALID_CHALLENGE</c> when the merchant's 402 carries no readable
    /// <c>Payment</c> challenge, or asks for another network, more than the approved amount or another currency
    /// (then the token is not sent).</exception>
    public async Task<MppPaymentResult> PayMppAsync(MppPaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Url.IsAbsoluteUri || (request.Url.Scheme != Uri.UriSchemeHttp && request.Url.Scheme != Uri.UriSchemeHttps))
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, $"url must be an absolute http or https URL; got '{request.Url}'.", "url");
        }
        var spendRequest = _sandbox.Get(request.SpendRequestId);
        if (spendRequest.CredentialType != SpendRequestValidator.SharedPaymentTokenCredential
            || spendRequest.Status != SpendRequestStatus.Approved
            || _sandbox.FindSharedPaymentToken(spendRequest.Id) is not { } token)
        {
            throw new LinkException(LinkErrorCodes.InvalidState,
                $"Spend request {spendRequest.Id} cannot pay: it must be an approved shared_payment_token request; it is a {spendRequest.CredentialType} request in status {spendRequest.Status.ToWire()}.");
        }

        using (var probe = BuildRequest(request, authorization: null))
        using (var first = await _http.SendAsync(probe, cancellationToken))
        {
            if (first.StatusCode != HttpStatusCode.PaymentRequired)
            {
                return await ToResultAsync(first, cancellationToken);
            }
            var header = first.Headers.WwwAuthenticate
                .Select(h => h.ToString())
                .FirstOrDefault(h => h.StartsWith("Payment", StringComparison.OrdinalIgnoreCase))
                ?? throw new LinkException(LinkErrorCodes.InvalidChallenge,
                    $"{request.Url} answered 402 without a WWW-Authenticate: Payment challenge; it cannot be paid with a Shared Payment Token.");
            var challenge = MppChallenge.Decode(header);
            CheckChallenge(challenge, spendRequest);

            using var paid = BuildRequest(request, challenge.CreateCredential(token.Id));
            using var final = await _http.SendAsync(paid, cancellationToken);
            return await ToResultAsync(final, cancellationToken);
        }
    }

    private static void CheckChallenge(MppChallenge challenge, SpendRequest spendRequest)
    {
        if (!string.Equals(challenge.NetworkId, spendRequest.NetworkId, StringComparison.Ordinal))
        {
            throw new LinkException(LinkErrorCodes.InvalidChallenge,
                $"The merchant asks for network {challenge.NetworkId}, but spend request {spendRequest.Id} was approved for {spendRequest.NetworkId}; the token was not sent.");
        }
        if (!long.TryParse(challenge.Amount, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount < 1 || amount > spendRequest.Amount)
        {
            throw new LinkException(LinkErrorCodes.InvalidChallenge, string.Create(CultureInfo.InvariantCulture,
                $"The merchant asks for amount '{challenge.Amount}', but spend request {spendRequest.Id} was approved for at most {spendRequest.Amount}; the token was not sent."));
        }
        if (!string.Equals(challenge.Currency, spendRequest.Currency, StringComparison.OrdinalIgnoreCase))
        {
            throw new LinkException(LinkErrorCodes.InvalidChallenge,
                $"The merchant asks for currency '{challenge.Currency}', but spend request {spendRequest.Id} was approved in {spendRequest.Currency}; the token was not sent.");
        }
    }

    private static HttpRequestMessage BuildRequest(MppPaymentRequest request, string? authorization)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url);
        string? contentType = null;
        foreach (var (name, value) in request.Headers)
        {
            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else if (!string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase))
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (request.Body is not null)
        {
            message.Content = new StringContent(request.Body);
            message.Content.Headers.Remove("Content-Type");
            message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType ?? "application/json");
        }
        if (authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return message;
    }

    private static async Task<MppPaymentResult> ToResultAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name.ToLowerInvariant()] = string.Join(", ", values);
        }
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new MppPaymentResult((int)response.StatusCode, headers, body);
    }
}
