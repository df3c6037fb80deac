using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CheckoutAgent.Link.Sandbox;

/// <summary>
/// An in-process stand-in for Link's servers and card issuer, for development and tests where Link cannot be reached.
/// It keeps spend requests and one-time cards in memory only (never on disk), answers approval requests according to
/// <see cref="LinkSandboxOptions.Approval"/>, and authorizes card payments for a demo shop with the same rules a
/// real issued card follows. Thread-safe.
/// </summary>
public sealed class LinkSandbox
{
    private const string OpenStatuses = "created, pending_approval, approved";

    private readonly LinkSandboxOptions _options;
    private readonly TimeProvider _time;
    private readonly PaymentMethod _defaultPaymentMethod;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _entriesByCardNumber = new(StringComparer.Ordinal);
    private readonly List<SandboxIssuedCard> _issuedCards = [];
    private int _authorizationCount;
    private int _authorizationAttemptCount;

    /// <summary>Creates an empty sandbox.</summary>
    /// <param name="options">Approval behaviour, limits and wallet contents.</param>
    /// <param name="time">Clock for expiry and card validity; the system clock when null.</param>
    public LinkSandbox(LinkSandboxOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ApprovalWindow, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CardValidity, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAmount, 1, nameof(options));
        ArgumentNullException.ThrowIfNull(options.BillingAddress, nameof(options));
        if (options.PaymentMethods is null || options.PaymentMethods.Count == 0)
        {
            throw new ArgumentException("The sandbox wallet needs at least one payment method.", nameof(options));
        }

        _options = options;
        _time = time ?? TimeProvider.System;
        _defaultPaymentMethod = options.PaymentMethods.FirstOrDefault(m => m.IsDefault) ?? options.PaymentMethods[0];
    }

    /// <value>The options the sandbox was created with.</value>
    public LinkSandboxOptions Options => _options;

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

    /// <value>How many authorizations were approved, i.e. how many payments went through.</value>
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

    /// <value>The clock the sandbox judges expiry by; the sandbox client polls with the same one.</value>
    internal TimeProvider Time => _time;

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

    /// <summary>
    /// Creates a spend request in <c>created</c>, or asks for approval right away when
    /// <see cref="SpendRequestCreateOptions.RequestApproval"/> is set (then the approval mode answers).
    /// </summary>
    /// <exception cref="LinkException"><c>INVALID_REQUEST</c> naming the field; nothing is created.</exception>
    public SpendRequest Create(SpendRequestCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SpendRequestValidator.Validate(options, _options.MaxAmount);
        var paymentMethod = ResolvePaymentMethod(options.PaymentMethodId);

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            string id;
            do
            {
                id = "lsrq_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
            }
            while (_entries.ContainsKey(id));

            var entry = new Entry
            {
                Id = id,
                CredentialType = options.CredentialType,
                PaymentMethodId = paymentMethod.Id,
                Amount = options.Amount,
                Currency = options.Currency.ToLowerInvariant(),
                MerchantName = options.MerchantName,
                MerchantUrl = options.MerchantUrl,
                Context = options.Context,
                // Copied so a caller mutating its lists afterwards cannot change what the person approved.
                LineItems = [.. options.LineItems],
                Totals = [.. options.Totals],
                CreatedAt = now,
                ExpiresAt = now + _options.ApprovalWindow,
                Status = SpendRequestStatus.Created,
            };
            _entries.Add(id, entry);
            if (options.RequestApproval)
            {
                RequestApprovalLocked(entry, now);
            }
            return Snapshot(entry);
        }
    }

    /// <summary>Reads a spend request; a request left unanswered past its window is reported (and kept) as expired.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c> for an unknown id.</exception>
    public SpendRequest Get(string id)
    {
        lock (_gate)
        {
            return Snapshot(FindLocked(id, _time.GetUtcNow()));
        }
    }

    /// <summary>Asks the person to approve a <c>created</c> request; a request already pending is left as it is.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> once the request is terminal.</exception>
    public SpendRequest RequestApproval(string id)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var entry = FindLocked(id, now);
            if (entry.Status == SpendRequestStatus.Created)
            {
                RequestApprovalLocked(entry, now);
            }
            else if (entry.Status != SpendRequestStatus.PendingApproval)
            {
                throw WrongState(entry, "request approval for", "created");
            }
            return Snapshot(entry);
        }
    }

    /// <summary>Approves a pending request as the person would in the Link app, issuing the card for card credentials.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> unless it is <c>pending_approval</c>.</exception>
    public SpendRequest Approve(string id)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var entry = FindLocked(id, now);
            if (entry.Status != SpendRequestStatus.PendingApproval)
            {
                throw WrongState(entry, "approve", "pending_approval");
            }
            ApproveLocked(entry, now);
            return Snapshot(entry);
        }
    }

    /// <summary>Denies a pending request as the person would in the Link app.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> unless it is <c>pending_approval</c>.</exception>
    public SpendRequest Deny(string id)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var entry = FindLocked(id, now);
            if (entry.Status != SpendRequestStatus.PendingApproval)
            {
                throw WrongState(entry, "deny", "pending_approval");
            }
            entry.Status = SpendRequestStatus.Denied;
            return Snapshot(entry);
        }
    }

    /// <summary>Cancels a request from <c>created</c>, <c>pending_approval</c> or <c>approved</c>; an issued card dies.</summary>
    /// <exception cref="LinkException"><c>NOT_FOUND</c>, or <c>INVALID_STATE</c> from any other status.</exception>
    public SpendRequest Cancel(string id)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var entry = FindLocked(id, now);
            if (entry.Status is not (SpendRequestStatus.Created or SpendRequestStatus.PendingApproval or SpendRequestStatus.Approved))
            {
                throw WrongState(entry, "cancel", OpenStatuses);
            }
            entry.Status = SpendRequestStatus.Canceled;
            return Snapshot(entry);
        }
    }

    /// <summary>
    /// The issuer's side of a card payment, as a merchant's payment processor would ask it: approves one payment per
    /// card, at the merchant and up to the amount and currency the person approved, until <c>valid_until</c>.
    /// A declined attempt does not use the card up; an approved one moves the spend request to <c>succeeded</c>.
    /// </summary>
    /// <param name="cardNumber">Card number as typed; spaces and dashes are ignored.</param>
    /// <param name="cvc">CVC as typed.</param>
    /// <param name="expMonth">Expiry month as typed.</param>
    /// <param name="expYear">Expiry year as typed, two or four digits.</param>
    /// <param name="merchantUrl">Any URL of the merchant charging; only its origin is compared.</param>
    /// <param name="amount">Amount to charge, in cents.</param>
    /// <param name="currency">Currency of the charge.</param>
    public PaymentAuthorizationResult Authorize(string cardNumber, string cvc, int expMonth, int expYear, string merchantUrl, long amount, string currency)
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

            entry.Status = SpendRequestStatus.Succeeded;
            _authorizationCount++;
            return PaymentAuthorizationResult.Approve("auth_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
        }
    }

    /// <summary>The card issued for a spend request, if any; for the sandbox client writing the card file.</summary>
    internal SandboxIssuedCard? FindIssuedCard(string spendRequestId)
    {
        lock (_gate)
        {
            return FindLocked(spendRequestId, _time.GetUtcNow()).Card;
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
            entry.Status = SpendRequestStatus.Expired;
        }
        return entry;
    }

    private void RequestApprovalLocked(Entry entry, DateTimeOffset now)
    {
        entry.Status = SpendRequestStatus.PendingApproval;
        // The person gets the whole window from the moment they are asked, not from creation.
        entry.ExpiresAt = now + _options.ApprovalWindow;
        switch (_options.Approval)
        {
            case SandboxApprovalMode.Auto:
                ApproveLocked(entry, now);
                break;
            case SandboxApprovalMode.Deny:
                entry.Status = SpendRequestStatus.Denied;
                break;
            case SandboxApprovalMode.Never:
                break;
            default:
                throw new InvalidOperationException($"Unknown approval mode {_options.Approval}.");
        }
    }

    private void ApproveLocked(Entry entry, DateTimeOffset now)
    {
        entry.Status = SpendRequestStatus.Approved;
        if (entry.CredentialType == SpendRequestValidator.CardCredential)
        {
            IssueCardLocked(entry, now);
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
        ExpiresAt = entry.ExpiresAt,
        ApprovalUrl = "https://link-sandbox.invalid/approve/" + entry.Id,
        CardBrand = entry.Card?.Brand,
        CardLast4 = entry.Card?.Last4,
    };

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
        public required string CredentialType { get; init; }
        public required string PaymentMethodId { get; init; }
        public required long Amount { get; init; }
        public required string Currency { get; init; }
        public string? MerchantName { get; init; }
        public string? MerchantUrl { get; init; }
        public string? Context { get; init; }
        public required IReadOnlyList<LineItem> LineItems { get; init; }
        public required IReadOnlyList<Total> Totals { get; init; }
        public required DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset ExpiresAt { get; set; }
        public SpendRequestStatus Status { get; set; }
        public SandboxIssuedCard? Card { get; set; }
    }
}
