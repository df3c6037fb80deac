namespace CheckoutAgent.Link;

/// <summary>
/// The Link agent wallet, whichever way it is reached: the real <c>link-cli</c> as a child process
/// (<c>Cli.LinkCliClient</c>) or the in-process sandbox (<c>SandboxLinkClient</c> in the offline world, <c>src/LinkEmulator/Sandbox</c>).
/// Every call is asynchronous and cancellable; every failure is a <see cref="LinkException"/> whose
/// <see cref="LinkException.Code"/> a program can branch on. No result ever carries a card number or CVC: approved
/// cards are delivered only into a 0600 card file (see <see cref="WaitForApprovalAsync"/>).
/// </summary>
public interface ILinkClient
{
    /// <summary>Whether this client holds a working Link login (<c>auth status</c>).</summary>
    Task<AuthStatus> GetAuthStatusAsync(CancellationToken cancellationToken);

    /// <summary>The person's funding sources (<c>payment-methods list</c>).</summary>
    Task<IReadOnlyList<PaymentMethod>> ListPaymentMethodsAsync(CancellationToken cancellationToken);

    /// <summary>The person's saved shipping addresses (<c>shipping-address list</c>).</summary>
    Task<IReadOnlyList<ShippingAddress>> ListShippingAddressesAsync(CancellationToken cancellationToken);

    /// <summary>The person's name, email and phone (<c>user-info retrieve</c>).</summary>
    Task<UserInfo> GetUserInfoAsync(CancellationToken cancellationToken);

    /// <summary>Validates locally, then creates a spend request (and asks for approval when requested). Returns at
    /// once: it never waits for the person.</summary>
    /// <exception cref="LinkException">Code <c>INVALID_REQUEST</c> naming the field when validation fails; nothing is sent.</exception>
    Task<SpendRequest> CreateSpendRequestAsync(SpendRequestCreateOptions options, CancellationToken cancellationToken);

    /// <summary>Reads a spend request once, without card data.</summary>
    /// <exception cref="LinkException">Code <c>NOT_FOUND</c> for an unknown id.</exception>
    Task<SpendRequest> RetrieveSpendRequestAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Polls the same spend request every <paramref name="interval"/> until it is terminal or <paramref name="deadline"/>
    /// passes. When it ends <c>approved</c> with a card, the card is written to <paramref name="cardOutputFile"/>
    /// (created exclusively, mode 0600, never through a symlink) and only brand, last 4 and the file path are returned.
    /// For a shared payment token no file is written and the token id is returned.
    /// </summary>
    /// <exception cref="LinkException">Code <c>POLLING_TIMEOUT</c> when the deadline passes while still pending:
    /// the request is alive, poll it again; never create a second one.</exception>
    Task<SpendRequest> WaitForApprovalAsync(string id, string cardOutputFile, TimeSpan interval, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>Asks the person to approve a <c>created</c> request and returns the link to show them.</summary>
    Task<ApprovalLink> RequestApprovalAsync(string id, CancellationToken cancellationToken);

    /// <summary>Changes amount, currency, merchant URL, funding source, line items or totals of a request not yet approved.</summary>
    /// <exception cref="LinkException">Code <c>INVALID_REQUEST</c> naming the field when validation fails; nothing is sent.</exception>
    Task<SpendRequest> UpdateSpendRequestAsync(string id, SpendRequestUpdate update, CancellationToken cancellationToken);

    /// <summary>Cancels a spend request (from created, pending_approval or approved; an approved card dies).</summary>
    Task<SpendRequest> CancelSpendRequestAsync(string id, CancellationToken cancellationToken);

    /// <summary>The person's open spend requests, or all of them with <paramref name="includeHistory"/>.</summary>
    Task<IReadOnlyList<SpendRequest>> ListSpendRequestsAsync(bool includeHistory, CancellationToken cancellationToken);

    /// <summary>
    /// Pays an HTTP 402 (Machine Payment Protocol) resource with the Shared Payment Token of an approved spend request:
    /// the request is sent, the merchant's <c>WWW-Authenticate: Payment</c> challenge is answered with the token, and
    /// the merchant's final response is returned whatever its status (<c>mpp pay --spend-request-id</c>).
    /// </summary>
    Task<MppPaymentResult> PayMppAsync(MppPaymentRequest request, CancellationToken cancellationToken);

    /// <summary>Tells Link how a purchase went at a merchant (<c>report</c>): outcome plus tags such as
    /// <c>captcha</c>, <c>3ds_challenge</c> or <c>payment_declined</c>.</summary>
    /// <exception cref="LinkException">Code <c>INVALID_REQUEST</c> naming the field when validation fails; nothing is sent.</exception>
    Task<ObservationReceipt> ReportAsync(AgentObservation observation, CancellationToken cancellationToken);

    /// <summary>The person's transactions, newest first (<c>transactions list</c>).</summary>
    Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken);
}
