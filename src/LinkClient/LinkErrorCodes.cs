namespace CheckoutAgent.Link;

/// <summary>Stable <see cref="LinkException.Code"/> values for spend request operations.</summary>
public static class LinkErrorCodes
{
    /// <summary>The request broke a validation rule; <see cref="LinkException.Field"/> names the field.</summary>
    public const string InvalidRequest = "INVALID_REQUEST";

    /// <summary>No spend request with that id.</summary>
    public const string NotFound = "NOT_FOUND";

    /// <summary>The operation is not allowed in the spend request's current status (e.g. cancel after success).</summary>
    public const string InvalidState = "INVALID_STATE";

    /// <summary>Polling hit its deadline while the request was still pending; it is alive, poll it again.</summary>
    public const string PollingTimeout = "POLLING_TIMEOUT";
}
