using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

// The emulator serves issued cards (include=card) and tokens over HTTP, as Link does; nobody else sees them.
[assembly: InternalsVisibleTo("CheckoutAgent.LinkEmulator")]
[assembly: InternalsVisibleTo("LinkEmulator.Tests")]

namespace CheckoutAgent.Link.Sandbox;

/// <summary>
/// An in-process stand-in for Link's servers and card issuer, for development and tests where Link cannot be reached.
/// It keeps spend requests, one-time cards and Shared Payment Tokens in memory only (never on disk), answers approval
/// requests according to <see cref="LinkSandboxOptions.Approval"/>, authorizes card payments for a demo shop and
/// redeems tokens for a demo HTTP 402 resource with the same rules a real credential follows, and records the
/// transactions, agent observations and logins a wallet would. Thread-safe.
/// </summary>
public sealed class LinkSandbox
{
    private const string OpenStatuses = "created, pending_approval, approved";
    private const string BeforeApprovalStatuses = "created, pending_approval";
    private const int DefaultTransactionPageSize = 10;
    private const int MaxTransactionPageSize = 100;

    private readonly LinkSandboxOptions _options;
    private readonly TimeProvider _time;
    private readonly PaymentMethod _defaultPaymentMethod;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _entriesByCardNumber = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxSharedPaymentToken> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _entriesByAuthentication = new(StringComparer.Ordinal);
    private readonly List<SandboxIssuedCard> _issuedCards = [];
    private readonly List<Transaction> _transactions = [];
    private readonly List<AgentObservation> _observations = [];
    private int _authorizationCount;
    private int _authorizationAttemptCount;
    private long _sequence;

    /// <summary>Creates an empty sandbox.</summary>
    /// <param name="options">Approval behaviour, limits and wallet contents.</param>
    /// <param name="time">Clock for expiry and card validity; the system clock when null.</param>
    public LinkSandbox(LinkSandboxOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ApprovalWindow, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ExpireAfter, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CardValidity, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AccessTokenLifetime, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.DeviceCodeLifetime, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAmount, 1, nameof(options));
        ArgumentNullException.ThrowIfNull(options.BillingAddress, nameof(options));
        ArgumentNullException.ThrowIfNull(options.ShippingAddresses, nameof(options));
        ArgumentNullException.ThrowIfNull(options.UserInfo, nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(options.AccessToken, nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(options.RefreshToken, nameof(options));
        if (options.PaymentMethods is null || options.PaymentMethods.Count == 0)
        {
            throw new ArgumentException("The sandbox wallet needs at least one payment method.", nameof(options));
        }
        if (!Enum.IsDefined(options.Approval))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Approval, "Unknown approval mode.");
        }
        if (!Enum.IsDefined(options.Authentication))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Authentication, "Unknown authentication mode.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(options.AuthenticationDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AuthenticationWindow, TimeSpan.Zero, nameof(options));

        _options = options;
        _time = time ?? TimeProvider.System;
        _defaultPaymentMethod = options.PaymentMethods.FirstOrDefault(m => m.IsDefault) ?? options.PaymentMethods[0];
        Auth = new SandboxAuth(options, _time);
    }

    /// <value>The options the sandbox was created with.</value>
    public LinkSandboxOptions Options => _options;

    /// <value>Logins: the device flow, refresh grants and the check of bearer tokens.</value>
    public SandboxAuth Auth { get; }

    /// <value>The clock the sandbox judges expiry by; the sandbox client polls with the same one.</value>
    public TimeProvider Time => _time;

    /// <value>How many spend requests were created (whatever became of them).</value>
    public int SpendRequestCount
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <value>How many authorizations were approved, i.e. how many card payments went through.</value>
    public int AuthorizationCount
    {
        get
        {
            lock (_gate)
            {
                return _authorizationCount;
            }
        }
    }

    /// <value>How many authorizations were attempted, approved or declined.</value>
    public int AuthorizationAttemptCount
    {
        get
        {
            lock (_gate)
            {
                return _authorizationAttemptCount;
            }
        }
    }

    /// <value>Every agent observation reported so far, oldest first (for tests and the person's eyes).</value>
    public IReadOnlyList<AgentObservation> Observations
    {
        get
        {
            lock (_gate)
            {
                return [.. _observations];
            }
        }
    }

    /// <value>Every card issued so far, oldest first (for tests: the demo shop never sees these).</value>
    internal IReadOnlyList<SandboxIssuedCard> IssuedCards
    {
        get
        {
            lock (_gate)
            {
                return [.. _issuedCards];
            }
        }
    }

    /// <summary>The person's funding sources.</summary>
    public IReadOnlyList<PaymentMethod> ListPaymentMethods() => [.. _options.PaymentMethods];

    /// <summary>The person's saved shipping addresses.</summary>
    public IReadOnlyList<ShippingAddress> ListShippingAddresses() => [.. _options.ShippingAddresses];

    /// <summary>Who the wallet belongs to.</summary>
    public UserInfo GetUserInfo() => _options.UserInfo;

    /// <summary>
    /// Creates a spend request in <c>created</c>, or asks for approval right away when
    /// <see cref="SpendRequestCreateOptions.RequestApproval"/> is set (then the approval mode answers).
    /// </summary>
    /// <exception cref="LinkException"><c>INVALID_REQUEST</c> naming the field; nothing is created.</exception>
    public SpendRequest Create(SpendRequestCreateOptions options) => Create(options, delegated: false);

    /// <summary>
    /// Creates a spend request that is approved at once, whatever the approval mode: the person approved it
    /// beforehand (<c>spend-request create --approve</c>, <c>POST /spend_requests/create_delegated</c>).
    /// </summary>
    /// <exception cref="LinkException"><c>INVALID_REQUEST</c> naming the field; nothing is created.</exception>
    public SpendRequest CreateDelegated(SpendRequestCreateOptions options) => Create(options, delegated: true);

    private SpendRequest Create(SpendRequestCreateOptions options, bool delegated)
    {
        ArgumentNullException.ThrowIfNull(options);
        SpendRequestValidator.Validate(options, _options.MaxAmount);
        var paymentMethod = ResolvePaymentMethod(options.PaymentMethodId);

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (options.ExpiresAt is { } requested && requested <= now)
            {
                throw new LinkException(LinkErrorCodes.InvalidRequest,
                    $"expires_at must be in the future; got {requested.ToUnixTimeSeconds()} (now is {now.ToUnixTimeSeconds()}).", "expires_at");
            }
            RefuseOverLimitsLocked(options, now);
            string id;
            do
            {
                id = ObjectIds.New("lsrq_", 24);
            }
            while (_entries.ContainsKey(id));

            var entry = new Entry
            {
                Id = id,
                Sequence = ++_sequence,
                CredentialType = options.CredentialType,
                PaymentMethodId = paymentMethod.Id,
                Amount = options.Amount,
                Currency = options.Currency.ToLowerInvariant(),
                MerchantName = options.MerchantName,
                MerchantUrl = options.MerchantUrl,
                NetworkId = options.NetworkId,
                Context = options.Context,
                // Copied so a caller mutating its lists afterwards cannot change what the person approved.
                LineItems = [.. options.LineItems],
                Totals = [.. options.Totals],
                Metadata = new Dictionary<string, string>(options.Metadata, StringComparer.Ordinal),
                Test = options.Test,
                RequestedExpiry = options.ExpiresAt,
                CreatedAt = now,
                UpdatedAt = now,
                Status = SpendRequestStatus.Created,
            };
            entry.ExpiresAt = ExpiryFrom(entry, now, _options.ApprovalWindow);
            _entries.Add(id, entry);
            if (delegated)
            {
                ApproveLocked(entry, now);
            }
            else if (options.RequestApproval)
            {
                RequestApprovalLocked(entry, now);
            }
            return Snapshot(entry);
        }
    }

    /// <summary>
    /// Link's newer limits on creating (link-cli README, "Limits"): a duplicate of an open request, too many created in
    /// the last hour, the day's approved amount, or too many approved requests open at once. Each is off unless set.
    /// </summary>
    private void RefuseOverLimitsLocked(SpendRequestCreateOptions options, DateTimeOffset now)
    {
        var open = _entries.Values.Select(e => FindLocked(e.Id, now))
            .Where(e => e.Status is SpendRequestStatus.Created or SpendRequestStatus.PendingApproval or SpendRequestStatus.Approved
                or SpendRequestStatus.RequiresAction)
            .ToList();
        if (_options.RejectDuplicates && open.FirstOrDefault(e => IsSameRequest(e, options)) is { } duplicate)
        {
            throw new LinkException(LinkErrorCodes.RateLimited,
                $"A spend request with these details is already open. A matching spend request already exists: {duplicate.Id} (status: {duplicate.Status.ToWire()}). Retrieve it to resume instead of creating a new one.")
            {
                DuplicateSpendRequestId = duplicate.Id,
                Retryable = true,
            };
        }
        if (_options.HourlyCreateLimit is { } hourly && _entries.Values.Count(e => e.CreatedAt > now.AddHours(-1)) >= hourly)
        {
            throw new LinkException(LinkErrorCodes.RateLimited,
                string.Create(CultureInfo.InvariantCulture, $"Too many spend requests: at most {hourly} may be created per hour. Try again later."))
            {
                Retryable = true,
            };
        }
        if (_options.DailyAmountLimit is { } daily)
        {
            var spent = _entries.Values.Where(e => e.CreatedAt > now.AddDays(-1)
                && e.Status is SpendRequestStatus.Approved or SpendRequestStatus.RequiresAction or SpendRequestStatus.Succeeded or SpendRequestStatus.Submitted)
                .Sum(e => e.Amount);
            if (spent + options.Amount > daily)
            {
                throw new LinkException(LinkErrorCodes.InvalidRequest, string.Create(CultureInfo.InvariantCulture,
                    $"amount {options.Amount} would take the last 24 hours' approved spending to {spent + options.Amount} cents, over the daily limit of {daily}."), "amount");
            }
        }
        if (_options.OpenApprovedLimit is { } approved && open.Count(e => e.Status == SpendRequestStatus.Approved) >= approved)
        {
            throw new LinkException(LinkErrorCodes.InvalidState, string.Create(CultureInfo.InvariantCulture,
                $"{approved} approved spend requests are already open, the most allowed at once: use or cancel one first."));
        }
    }

    private static bool IsSameRequest(Entry entry, SpendRequestCreateOptions options) =>
        entry.CredentialType == options.CredentialType && entry.Amount == options.Amount
        && string.Equals(entry.Currency, options.Currency, StringComparison.OrdinalIgnoreCase)
        && entry.MerchantUrl == options.MerchantUrl && entry.NetworkId == options.NetworkId && entry.Context == options.Context
        && entry.Metadata.Count == options.Metadata.Count
        && entry.Metadata.All(p => options.Metadata.TryGetValue(p.Key, out var value) && value == p.Value);

    /// <summary>Reads a spend request; a request left unanswered past its window is reported (and kept) as expired.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c> for an unknown id.</exception>
    public SpendRequest Get(string id)
    {
        lock (_gate)
        {
            return Snapshot(FindLocked(id, _time.GetUtcNow()));
        }
    }

    /// <summary>The open spend requests (created, pending approval, approved), or all of them with
    /// <paramref name="includeHistory"/>; newest first.</summary>
    public IReadOnlyList<SpendRequest> List(bool includeHistory)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            return [.. _entries.Values
                .Select(e => FindLocked(e.Id, now))
                .Where(e => includeHistory || e.Status is SpendRequestStatus.Created or SpendRequestStatus.PendingApproval
                    or SpendRequestStatus.Approved or SpendRequestStatus.RequiresAction)
                .OrderByDescending(e => e.Sequence)
                .Select(Snapshot)];
        }
    }

    /// <summary>
    /// Changes a request that is not yet approved (<c>created</c> or <c>pending_approval</c>). The changed request is
    /// checked by the same rules as a new one, with this sandbox's cap; on any error nothing changes.
    /// </summary>
    /// <exception cref="LinkException"><c>INVALID_REQUEST</c> naming the field, <c>NOT_FOUND</c>, or
    /// <c>INVALID_STATE</c> once approved or terminal.</exception>
    public SpendRequest Update(string id, SpendRequestUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.IsEmpty)
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest,
                "an update must change at least one of amount, currency, merchant_url, payment_details, line_items or totals.", "update");
        }
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var entry = FindLocked(id, now);
            if (entry.Status is not (SpendRequestStatus.Created or SpendRequestStatus.PendingApproval))
            {
                throw WrongState(entry, "update", BeforeApprovalStatuses);
            }
            var merged = new SpendRequestCreateOptions
            {
                PaymentMethodId = update.PaymentMethodId ?? entry.PaymentMethodId,
                CredentialType = entry.CredentialType,
                Amount = update.Amount ?? entry.Amount,
                Currency = update.Currency ?? entry.Currency,
                MerchantName = entry.MerchantName,
                MerchantUrl = update.MerchantUrl ?? entry.MerchantUrl,
                NetworkId = entry.NetworkId,
                Context = entry.Context ?? "",
                LineItems = update.LineItems ?? entry.LineItems,
                Totals = update.Totals ?? entry.Totals,
                Metadata = entry.Metadata,
            };
            SpendRequestValidator.Validate(merged, _options.MaxAmount);
            var paymentMethod = ResolvePaymentMethod(merged.PaymentMethodId);

            entry.PaymentMethodId = paymentMethod.Id;
            entry.Amount = merged.Amount;
            entry.Currency = merged.Currency.ToLowerInvariant();
            entry.MerchantUrl = merged.MerchantUrl;
            entry.LineItems = [.. merged.LineItems];
            entry.Totals = [.. merged.Totals];
            entry.UpdatedAt = now;
            return Snapshot(entry);
        }
    }

    /// <summary>Asks the person to approve a <c>created</c> request; a request already pending is left as it is.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> once the request is terminal.</exception>
    public SpendRequest RequestApproval(string id) => ChangeLocked(id, (entry, now) =>
    {
        if (entry.Status == SpendRequestStatus.Created)
        {
            RequestApprovalLocked(entry, now);
        }
        else if (entry.Status != SpendRequestStatus.PendingApproval)
        {
            throw WrongState(entry, "request approval for", "created");
        }
    });

    /// <summary>Approves a pending request as the person would in the Link app, issuing the card (card credentials)
    /// or minting the Shared Payment Token (token credentials).</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> unless it is <c>pending_approval</c>.</exception>
    public SpendRequest Approve(string id) => ChangeLocked(id, (entry, now) =>
    {
        if (entry.Status != SpendRequestStatus.PendingApproval)
        {
            throw WrongState(entry, "approve", "pending_approval");
        }
        ApproveLocked(entry, now);
    });

    /// <summary>Denies a pending request as the person would in the Link app.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> unless it is <c>pending_approval</c>.</exception>
    public SpendRequest Deny(string id) => ChangeLocked(id, (entry, now) =>
    {
        if (entry.Status != SpendRequestStatus.PendingApproval)
        {
            throw WrongState(entry, "deny", "pending_approval");
        }
        SetStatus(entry, SpendRequestStatus.Denied, now);
    });

    /// <summary>Cancels a request from <c>created</c>, <c>pending_approval</c> or <c>approved</c>; an issued card or
    /// token dies.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> from any other status.</exception>
    public SpendRequest Cancel(string id) => ChangeLocked(id, (entry, now) =>
    {
        if (entry.Status is not (SpendRequestStatus.Created or SpendRequestStatus.PendingApproval or SpendRequestStatus.Approved))
        {
            throw WrongState(entry, "cancel", OpenStatuses);
        }
        SetStatus(entry, SpendRequestStatus.Canceled, now);
    });

    /// <summary>
    /// The issuer's side of a card payment, as a merchant's payment processor would ask it: approves one payment per
    /// card, at the merchant and up to the amount and currency the person approved, until <c>valid_until</c>.
    /// A declined attempt does not use the card up; an approved one moves the spend request to <c>succeeded</c> and
    /// records a transaction.
    /// </summary>
    /// <param name="cardNumber">Card number as typed; spaces and dashes are ignored.</param>
    /// <param name="cvc">CVC as typed.</param>
    /// <param name="expMonth">Expiry month as typed.</param>
    /// <param name="expYear">Expiry year as typed, two or four digits.</param>
    /// <param name="merchantUrl">Any URL of the merchant charging; only its origin is compared.</param>
    /// <param name="amount">Amount to charge, in cents.</param>
    /// <param name="currency">Currency of the charge.</param>
    public PaymentAuthorizationResult Authorize(string cardNumber, string cvc, int expMonth, int expYear, string merchantUrl, long amount, string currency) =>
        Authorize(cardNumber, cvc, expMonth, expYear, merchantUrl, amount, currency, threeDSecure: false);

    /// <summary>
    /// As <see cref="Authorize(string, string, int, int, string, long, string)"/>; with <paramref name="threeDSecure"/>
    /// the issuer asks the card holder to confirm first (a 3-D Secure challenge): a payment that passes every check is
    /// neither approved nor declined but pending (<see cref="PaymentAuthorizationResult.AuthenticationId"/>), the spend
    /// request shows <c>requires_action</c> (<c>three_d_secure</c>, <c>auto_resume</c>) until the card holder answers
    /// as <see cref="LinkSandboxOptions.Authentication"/> says, and the merchant asks for the result with
    /// <see cref="CompleteAuthentication"/>.
    /// </summary>
    public PaymentAuthorizationResult Authorize(string cardNumber, string cvc, int expMonth, int expYear, string merchantUrl, long amount, string currency,
        bool threeDSecure)
    {
        ArgumentNullException.ThrowIfNull(cardNumber);
        ArgumentNullException.ThrowIfNull(cvc);
        ArgumentNullException.ThrowIfNull(merchantUrl);
        ArgumentNullException.ThrowIfNull(currency);

        var number = NormalizeCardNumber(cardNumber);
        if (expYear is >= 0 and < 100)
        {
            expYear += 2000;
        }

        lock (_gate)
        {
            _authorizationAttemptCount++;
            var now = _time.GetUtcNow();
            if (!_entriesByCardNumber.TryGetValue(number, out var entry) || entry.Card is not { } card)
            {
                return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.UnknownCard, "Declined: the issuer does not know this card.");
            }
            switch (entry.Status)
            {
                case SpendRequestStatus.Succeeded:
                    return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.CardAlreadyUsed, "Declined: this one-time card was already used.");
                case SpendRequestStatus.Approved:
                    break;
                case SpendRequestStatus.RequiresAction:
                    return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.AuthenticationPending, "Declined: a confirmation of this card's payment is still under way.");
                default:
                    return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.CardCanceled, "Declined: the card was canceled before use.");
            }
            if (!FixedTimeEquals(cvc, card.Cvc))
            {
                return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.IncorrectCvc, "Declined: the CVC is incorrect.");
            }
            if (expMonth != card.ExpMonth || expYear != card.ExpYear)
            {
                return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.CardExpired, "Declined: the expiry date does not match the card.");
            }
            if (now > card.ValidUntil)
            {
                return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.CardExpired, "Declined: the card is past its valid-until time.");
            }
            if (!SameOrigin(merchantUrl, card.MerchantUrl))
            {
                return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.MerchantMismatch, "Declined: the card is scoped to another merchant.");
            }
            if (amount <= 0)
            {
                return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.InvalidAmount, "Declined: the amount must be positive.");
            }
            if (amount > card.Amount || !string.Equals(currency, card.Currency, StringComparison.OrdinalIgnoreCase))
            {
                return PaymentAuthorizationResult.Decline(PaymentDeclineCodes.AmountExceeded,
                    "Declined: the charge exceeds the approved amount or is in another currency.");
            }

            if (threeDSecure)
            {
                var authentication = new PendingAuthentication(ObjectIds.New("3ds_", 24), amount, now, now + _options.AuthenticationWindow);
                entry.Authentication = authentication;
                _entriesByAuthentication[authentication.Id] = entry;
                SetStatus(entry, SpendRequestStatus.RequiresAction, now);
                return PaymentAuthorizationResult.Challenge(authentication.Id);
            }
            PayLocked(entry, amount, now);
            return PaymentAuthorizationResult.Approve(ObjectIds.New("auth_", 24));
        }
    }

    /// <summary>
    /// The merchant's question after a 3-D Secure challenge: approved (the card holder confirmed; the spend request is
    /// <c>succeeded</c>), declined (refused or timed out; <c>failed</c>), or still pending.
    /// </summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c> for an unknown authentication id.</exception>
    public PaymentAuthorizationResult CompleteAuthentication(string authenticationId)
    {
        ArgumentNullException.ThrowIfNull(authenticationId);
        lock (_gate)
        {
            if (!_entriesByAuthentication.TryGetValue(authenticationId, out var entry))
            {
                throw new LinkException(LinkErrorCodes.NotFound, $"Authentication {authenticationId} not found.");
            }
            FindLocked(entry.Id, _time.GetUtcNow());
            return entry.Authentication!.Confirmed switch
            {
                true => PaymentAuthorizationResult.Approve(ObjectIds.New("auth_", 24)) with { AuthenticationId = authenticationId },
                false => PaymentAuthorizationResult.Decline(PaymentDeclineCodes.AuthenticationFailed,
                    "Declined: the card holder did not confirm this payment (3-D Secure).") with { AuthenticationId = authenticationId },
                null => PaymentAuthorizationResult.Challenge(authenticationId),
            };
        }
    }

    /// <summary>The card holder confirms a pending 3-D Secure challenge (in the Link app; here the approval page or
    /// <c>link-sandbox approve-action</c>): the payment goes through and the spend request is <c>succeeded</c>.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> unless a confirmation is awaited.</exception>
    public SpendRequest ApproveAction(string id) => ChangeLocked(id, (entry, now) => AnswerAuthenticationLocked(entry, now, confirmed: true));

    /// <summary>The card holder refuses a pending 3-D Secure challenge: the payment fails, the spend request is <c>failed</c>.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> unless a confirmation is awaited.</exception>
    public SpendRequest DenyAction(string id) => ChangeLocked(id, (entry, now) => AnswerAuthenticationLocked(entry, now, confirmed: false));

    private void AnswerAuthenticationLocked(Entry entry, DateTimeOffset now, bool confirmed)
    {
        if (entry.Status != SpendRequestStatus.RequiresAction || entry.Authentication is not { Confirmed: null })
        {
            throw WrongState(entry, confirmed ? "confirm the payment of" : "refuse the payment of", "requires_action with a pending 3-D Secure confirmation");
        }
        ResolveAuthenticationLocked(entry, confirmed, now);
    }

    private void ResolveAuthenticationLocked(Entry entry, bool confirmed, DateTimeOffset at)
    {
        var authentication = entry.Authentication!;
        authentication.Confirmed = confirmed;
        if (confirmed)
        {
            PayLocked(entry, authentication.Amount, at);
        }
        else
        {
            SetStatus(entry, SpendRequestStatus.Failed, at);
        }
    }

    private void PayLocked(Entry entry, long amount, DateTimeOffset now)
    {
        var card = entry.Card!;
        SetStatus(entry, SpendRequestStatus.Succeeded, now);
        _authorizationCount++;
        RecordTransactionLocked(entry, amount, card.Currency, entry.MerchantName ?? HostOf(card.MerchantUrl), now);
    }

    /// <summary>
    /// The network's side of a Machine Payment Protocol payment: a merchant presents a Shared Payment Token for
    /// <paramref name="amount"/> on <paramref name="networkId"/>. A token is good for exactly one presentation: after
    /// it, accepted or refused, it is dead (a refused known token moves its spend request to <c>failed</c>, an accepted
    /// one to <c>succeeded</c>, with a transaction recorded).
    /// </summary>
    public SharedPaymentTokenRedemption RedeemSharedPaymentToken(string token, string networkId, long amount, string currency, string? merchant = null)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(networkId);
        ArgumentNullException.ThrowIfNull(currency);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (!_tokens.TryGetValue(token, out var spt) || !_entries.TryGetValue(spt.SpendRequestId, out var entry))
            {
                return Refused(SharedPaymentTokenDeclineCodes.UnknownToken, "Refused: no such Shared Payment Token.", null);
            }
            if (spt.Used)
            {
                return Refused(SharedPaymentTokenDeclineCodes.AlreadyUsed, "Refused: this Shared Payment Token was already used; it is single use. Create a new spend request.", entry.Id);
            }
            spt.Used = true;
            string? code = null;
            string? message = null;
            if (entry.Status != SpendRequestStatus.Approved)
            {
                (code, message) = (SharedPaymentTokenDeclineCodes.Canceled, $"Refused: the spend request is {entry.Status.ToWire()}, not approved.");
            }
            else if (now > spt.ValidUntil)
            {
                (code, message) = (SharedPaymentTokenDeclineCodes.Expired, "Refused: the Shared Payment Token is past its valid-until time.");
            }
            else if (!string.Equals(networkId, spt.NetworkId, StringComparison.Ordinal))
            {
                (code, message) = (SharedPaymentTokenDeclineCodes.NetworkMismatch, "Refused: the token was minted for another payment network.");
            }
            else if (amount <= 0 || amount > spt.Amount || !string.Equals(currency, spt.Currency, StringComparison.OrdinalIgnoreCase))
            {
                (code, message) = (SharedPaymentTokenDeclineCodes.AmountExceeded, "Refused: the charge exceeds the approved amount, is not positive, or is in another currency.");
            }
            if (code is not null)
            {
                if (entry.Status == SpendRequestStatus.Approved)
                {
                    SetStatus(entry, SpendRequestStatus.Failed, now);
                }
                return Refused(code, message!, entry.Id);
            }

            SetStatus(entry, SpendRequestStatus.Succeeded, now);
            RecordTransactionLocked(entry, amount, spt.Currency, merchant ?? "Machine payment on " + spt.NetworkId, now);
            return new SharedPaymentTokenRedemption
            {
                Accepted = true,
                Message = "Accepted.",
                SpendRequestId = entry.Id,
                PaymentId = ObjectIds.New("pay_", 24),
            };
        }

        static SharedPaymentTokenRedemption Refused(string code, string message, string? spendRequestId) =>
            new() { Accepted = false, DeclineCode = code, Message = message, SpendRequestId = spendRequestId };
    }

    /// <summary>Stores an agent's report about a purchase attempt (<c>POST /agent_observations</c>).</summary>
    /// <exception cref="LinkException"><c>INVALID_REQUEST</c> naming the field, or <c>NOT_FOUND</c> for an unknown
    /// spend request; nothing is stored.</exception>
    public ObservationReceipt Report(AgentObservation observation)
    {
        SpendRequestValidator.ValidateObservation(observation);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            FindLocked(observation.SpendRequestId, now);
            _observations.Add(observation);
            return new ObservationReceipt("agent_observation", FormatTime(now), observation.Domain, observation.Outcome, observation.SpendRequestId, "recorded");
        }
    }

    /// <summary>The wallet's transactions, newest first, filtered and paged like Link's <c>GET /transactions</c>.</summary>
    /// <exception cref="LinkException"><c>INVALID_REQUEST</c> naming the field for a bad limit, origin or cursor.</exception>
    public TransactionPage ListTransactions(TransactionQuery query) => ListTransactions(query, null);

    /// <summary>As <see cref="ListTransactions(TransactionQuery)"/>, only for the funding sources in
    /// <paramref name="sources"/> (<c>sources[]</c>) when given.</summary>
    /// <exception cref="LinkException"><c>INVALID_REQUEST</c> naming the field for a bad limit, origin or cursor.</exception>
    public TransactionPage ListTransactions(TransactionQuery query, IReadOnlyCollection<string>? sources)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = query.Limit ?? DefaultTransactionPageSize;
        if (limit is < 1 or > MaxTransactionPageSize)
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest,
                string.Create(CultureInfo.InvariantCulture, $"limit must be from 1 to {MaxTransactionPageSize}; got {limit}."), "limit");
        }
        if (query.Origin is not (null or "link" or "external_connection"))
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, $"origin must be link or external_connection; got '{query.Origin}'.", "origin");
        }
        if (query.StartingAfter is not null && query.EndingBefore is not null)
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, "give starting_after or ending_before, not both.", "ending_before");
        }
        lock (_gate)
        {
            IEnumerable<Transaction> newestFirst = Enumerable.Reverse(_transactions);
            var filtered = newestFirst.Where(t =>
                (sources is null || (t.SourceId is not null && sources.Contains(t.SourceId)))
                && (query.Category is null || t.Category == query.Category)
                && (query.Origin is null || t.Origin == query.Origin)
                && (query.DateStart is null || DateOf(t) >= query.DateStart)
                && (query.DateEnd is null || DateOf(t) <= query.DateEnd)).ToList();

            int from, to;
            if (query.StartingAfter is { } after)
            {
                from = IndexOf(filtered, after, "starting_after") + 1;
                to = Math.Min(filtered.Count, from + limit);
            }
            else if (query.EndingBefore is { } before)
            {
                to = IndexOf(filtered, before, "ending_before");
                from = Math.Max(0, to - limit);
            }
            else
            {
                from = 0;
                to = Math.Min(filtered.Count, limit);
            }
            var hasMore = query.EndingBefore is not null ? from > 0 : to < filtered.Count;
            return new TransactionPage([.. filtered.Skip(from).Take(to - from)], hasMore);
        }

        static DateOnly DateOf(Transaction t) => DateOnly.FromDateTime(DateTimeOffset.Parse(t.CreatedDate, CultureInfo.InvariantCulture).UtcDateTime);

        static int IndexOf(List<Transaction> list, string id, string field)
        {
            var index = list.FindIndex(t => t.Id == id);
            return index >= 0 ? index
                : throw new LinkException(LinkErrorCodes.InvalidRequest, $"{field} must be the id of a transaction in this list; got '{id}'.", field);
        }
    }

    /// <summary>The card issued for a spend request, if any; for the sandbox client writing the card file and the
    /// emulator answering <c>include=card</c>.</summary>
    internal SandboxIssuedCard? FindIssuedCard(string spendRequestId)
    {
        lock (_gate)
        {
            return FindLocked(spendRequestId, _time.GetUtcNow()).Card;
        }
    }

    /// <summary>The Shared Payment Token minted for a spend request, if any.</summary>
    internal SandboxSharedPaymentToken? FindSharedPaymentToken(string spendRequestId)
    {
        lock (_gate)
        {
            return FindLocked(spendRequestId, _time.GetUtcNow()).Token;
        }
    }

    private PaymentMethod ResolvePaymentMethod(string? id)
    {
        if (id is null)
        {
            return _defaultPaymentMethod;
        }
        return _options.PaymentMethods.FirstOrDefault(m => m.Id == id)
            ?? throw new LinkException(LinkErrorCodes.InvalidRequest,
                $"payment_details must be the id of a payment method in the wallet ({string.Join(", ", _options.PaymentMethods.Select(m => m.Id))}); got '{id}'.",
                "payment_details");
    }

    private Entry FindLocked(string id, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_entries.TryGetValue(id, out var entry))
        {
            throw new LinkException(LinkErrorCodes.NotFound, $"Spend request {id} not found.");
        }
        // Expiry is applied when someone looks: no timer thread, and a fake clock in tests just works.
        if (entry.Status is SpendRequestStatus.Created or SpendRequestStatus.PendingApproval && now >= entry.ExpiresAt)
        {
            SetStatus(entry, SpendRequestStatus.Expired, entry.ExpiresAt);
        }
        // So is the card holder's answer to a 3-D Secure challenge, in the automatic modes, and its window running out.
        if (entry.Status == SpendRequestStatus.RequiresAction && entry.Authentication is { Confirmed: null } pending)
        {
            var answeredAt = pending.StartedAt + _options.AuthenticationDelay;
            if (now >= pending.ExpiresAt)
            {
                ResolveAuthenticationLocked(entry, confirmed: false, pending.ExpiresAt);
            }
            else if (_options.Authentication != SandboxAuthenticationMode.Manual && now >= answeredAt)
            {
                ResolveAuthenticationLocked(entry, _options.Authentication == SandboxAuthenticationMode.Auto, answeredAt);
            }
        }
        return entry;
    }

    private void RequestApprovalLocked(Entry entry, DateTimeOffset now)
    {
        SetStatus(entry, SpendRequestStatus.PendingApproval, now);
        // The person gets the whole window from the moment they are asked, not from creation.
        entry.ExpiresAt = ExpiryFrom(entry, now, _options.Approval == SandboxApprovalMode.Expire ? _options.ExpireAfter : _options.ApprovalWindow);
        switch (_options.Approval)
        {
            case SandboxApprovalMode.Auto:
                ApproveLocked(entry, now);
                break;
            case SandboxApprovalMode.Deny:
                SetStatus(entry, SpendRequestStatus.Denied, now);
                break;
            case SandboxApprovalMode.Never or SandboxApprovalMode.Manual or SandboxApprovalMode.Expire:
                break;
            default:
                throw new InvalidOperationException($"Unknown approval mode {_options.Approval}.");
        }
    }

    private static DateTimeOffset ExpiryFrom(Entry entry, DateTimeOffset now, TimeSpan window)
    {
        var expiry = now + window;
        // A caller may ask for an earlier expiry (expires_at), never a later one than Link's window.
        return entry.RequestedExpiry is { } requested && requested < expiry ? requested : expiry;
    }

    private void ApproveLocked(Entry entry, DateTimeOffset now)
    {
        SetStatus(entry, SpendRequestStatus.Approved, now);
        if (entry.CredentialType == SpendRequestValidator.CardCredential)
        {
            IssueCardLocked(entry, now);
        }
        else
        {
            MintTokenLocked(entry, now);
        }
    }

    private void IssueCardLocked(Entry entry, DateTimeOffset now)
    {
        string number;
        do
        {
            number = Luhn.Generate("4", 16, Random.Shared);
        }
        while (_entriesByCardNumber.ContainsKey(number));

        // Real virtual cards carry an expiry a few years out; valid_until is what actually limits this one.
        var expiry = now.AddMonths(24 + RandomNumberGenerator.GetInt32(0, 13));
        var card = new SandboxIssuedCard
        {
            Id = ObjectIds.New("ic_", 24),
            SpendRequestId = entry.Id,
            Number = number,
            Cvc = RandomNumberGenerator.GetInt32(0, 1000).ToString("000", CultureInfo.InvariantCulture),
            ExpMonth = expiry.Month,
            ExpYear = expiry.Year,
            Brand = "visa",
            BillingAddress = _options.BillingAddress,
            IssuedAt = now,
            ValidUntil = now + _options.CardValidity,
            MerchantUrl = entry.MerchantUrl!,
            Amount = entry.Amount,
            Currency = entry.Currency,
        };
        entry.Card = card;
        _entriesByCardNumber.Add(number, entry);
        _issuedCards.Add(card);
    }

    private void MintTokenLocked(Entry entry, DateTimeOffset now)
    {
        string id;
        do
        {
            id = ObjectIds.New("spt_", 32);
        }
        while (_tokens.ContainsKey(id));
        var token = new SandboxSharedPaymentToken
        {
            Id = id,
            SpendRequestId = entry.Id,
            NetworkId = entry.NetworkId!,
            Amount = entry.Amount,
            Currency = entry.Currency,
            ValidUntil = now + _options.CardValidity,
        };
        entry.Token = token;
        _tokens.Add(id, token);
    }

    private void RecordTransactionLocked(Entry entry, long amount, string currency, string description, DateTimeOffset now) =>
        _transactions.Add(new Transaction
        {
            Id = ObjectIds.New("txn_", 24),
            SourceId = entry.PaymentMethodId,
            Amount = amount,
            Currency = currency.ToLowerInvariant(),
            CreatedDate = FormatTime(now),
            Description = description,
            Origin = "link",
            Category = null,
            Status = "succeeded",
        });

    private static void SetStatus(Entry entry, SpendRequestStatus status, DateTimeOffset now)
    {
        entry.Status = status;
        entry.UpdatedAt = now;
    }

    private static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string HostOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host : url;

    /// <summary>Under the lock: finds the request (as of now), lets <paramref name="change"/> check and move it, and
    /// returns what it is then.</summary>
    private SpendRequest ChangeLocked(string id, Action<Entry, DateTimeOffset> change)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var entry = FindLocked(id, now);
            change(entry, now);
            return Snapshot(entry);
        }
    }

    private static SpendRequest Snapshot(Entry entry) => new()
    {
        Id = entry.Id,
        Status = entry.Status,
        Amount = entry.Amount,
        Currency = entry.Currency,
        MerchantName = entry.MerchantName,
        MerchantUrl = entry.MerchantUrl,
        Context = entry.Context,
        // Fresh copies, as a JSON response would be: a caller cannot reach the sandbox's state through them.
        LineItems = [.. entry.LineItems],
        Totals = [.. entry.Totals],
        CreatedAt = entry.CreatedAt,
        UpdatedAt = entry.UpdatedAt,
        ExpiresAt = entry.ExpiresAt,
        ApprovalUrl = "https://link-sandbox.invalid/approve/" + entry.Id,
        CardBrand = entry.Card?.Brand,
        CardLast4 = entry.Card?.Last4,
        PaymentMethodId = entry.PaymentMethodId,
        CredentialType = entry.CredentialType,
        NetworkId = entry.NetworkId,
        Metadata = new Dictionary<string, string>(entry.Metadata, StringComparer.Ordinal),
        Test = entry.Test,
        NextAction = entry.Status == SpendRequestStatus.RequiresAction && entry.Authentication is { Confirmed: null } authentication
            ? new NextAction(NextActionTypes.ThreeDSecure, NextActionResolutions.AutoResume,
                $"Confirm the payment of {FormatAmount(authentication.Amount, entry.Currency)} at {entry.MerchantName ?? HostOf(entry.MerchantUrl ?? "")} in the Link app.",
                "https://link-sandbox.invalid/approve/" + entry.Id)
            {
                ExpiresAt = authentication.ExpiresAt,
            }
            : null,
    };

    private static string FormatAmount(long cents, string currency) => currency.Equals("usd", StringComparison.OrdinalIgnoreCase)
        ? string.Create(CultureInfo.InvariantCulture, $"${cents / 100}.{cents % 100:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{cents / 100}.{cents % 100:00} {currency.ToUpperInvariant()}");

    private static LinkException WrongState(Entry entry, string action, string allowed) =>
        new(LinkErrorCodes.InvalidState,
            $"Cannot {action} spend request {entry.Id}: it is {entry.Status.ToWire()}; allowed only from {allowed}.");

    private static string NormalizeCardNumber(string typed)
    {
        var builder = new StringBuilder(typed.Length);
        foreach (var c in typed)
        {
            if (c is not (' ' or '-'))
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    private static bool FixedTimeEquals(string typed, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(typed), Encoding.UTF8.GetBytes(expected));

    private static bool SameOrigin(string merchantUrl, string scopedUrl)
    {
        if (!Uri.TryCreate(merchantUrl, UriKind.Absolute, out var a) || !Uri.TryCreate(scopedUrl, UriKind.Absolute, out var b))
        {
            return false;
        }
        // Uri fills in the scheme's default port, so https://shop.example and https://shop.example:443 match.
        return string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
            && a.Port == b.Port;
    }

    private sealed class Entry
    {
        public required string Id { get; init; }
        public required long Sequence { get; init; }
        public required string CredentialType { get; init; }
        public required string PaymentMethodId { get; set; }
        public required long Amount { get; set; }
        public required string Currency { get; set; }
        public string? MerchantName { get; init; }
        public string? MerchantUrl { get; set; }
        public string? NetworkId { get; init; }
        public string? Context { get; init; }
        public required IReadOnlyList<LineItem> LineItems { get; set; }
        public required IReadOnlyList<Total> Totals { get; set; }
        public required Dictionary<string, string> Metadata { get; init; }
        public bool Test { get; init; }
        public DateTimeOffset? RequestedExpiry { get; init; }
        public required DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; set; }
        public DateTimeOffset ExpiresAt { get; set; }
        public SpendRequestStatus Status { get; set; }
        public SandboxIssuedCard? Card { get; set; }
        public SandboxSharedPaymentToken? Token { get; set; }
        public PendingAuthentication? Authentication { get; set; }
    }

    /// <summary>A 3-D Secure challenge: <see cref="Confirmed"/> is null while the card holder has not answered.</summary>
    private sealed class PendingAuthentication(string id, long amount, DateTimeOffset startedAt, DateTimeOffset expiresAt)
    {
        public string Id { get; } = id;
        public long Amount { get; } = amount;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public bool? Confirmed { get; set; }
    }
}
