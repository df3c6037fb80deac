namespace CheckoutAgent.Link.Sandbox;

/// <summary>
/// A Shared Payment Token the sandbox minted on approval of a <c>shared_payment_token</c> spend request: bound to one
/// payment network, amount and currency, usable once, until <see cref="ValidUntil"/>. Internal, like issued cards.
/// </summary>
internal sealed class SandboxSharedPaymentToken
{
    public required string Id { get; init; }
    public required string SpendRequestId { get; init; }
    public required string NetworkId { get; init; }
    public required long Amount { get; init; }
    public required string Currency { get; init; }
    public required DateTimeOffset ValidUntil { get; init; }
    public bool Used { get; set; }

    public override string ToString() => $"shared payment token for {SpendRequestId}";
}

/// <summary>Why the sandbox refused a Shared Payment Token presented by a merchant.</summary>
public static class SharedPaymentTokenDeclineCodes
{
    /// <summary>No token with that id was minted.</summary>
    public const string UnknownToken = "spt_unknown";

    /// <summary>The token was presented before (it is single use, whatever became of the first attempt).</summary>
    public const string AlreadyUsed = "spt_already_used";

    /// <summary>Past the token's <c>valid_until</c>.</summary>
    public const string Expired = "spt_expired";

    /// <summary>The spend request was canceled before the token was used.</summary>
    public const string Canceled = "spt_canceled";

    /// <summary>The merchant's network is not the one the token was minted for.</summary>
    public const string NetworkMismatch = "spt_network_mismatch";

    /// <summary>More than the approved amount, another currency, or not a positive amount.</summary>
    public const string AmountExceeded = "spt_amount_exceeded";
}

/// <summary>The sandbox's answer to a merchant redeeming a Shared Payment Token.</summary>
public sealed record SharedPaymentTokenRedemption
{
    /// <value>True when the payment went through.</value>
    public required bool Accepted { get; init; }

    /// <value>One of <see cref="SharedPaymentTokenDeclineCodes"/> when refused.</value>
    public string? DeclineCode { get; init; }

    /// <value>Human-readable explanation.</value>
    public required string Message { get; init; }

    /// <value>The spend request the token belongs to, when known.</value>
    public string? SpendRequestId { get; init; }

    /// <value><c>pay_…</c> for an accepted payment.</value>
    public string? PaymentId { get; init; }
}
