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

    /// <summary>A merchant's <c>WWW-Authenticate: Payment</c> challenge could not be read.</summary>
    public const string InvalidChallenge = "INVALID_CHALLENGE";

    /// <summary>The client is not logged in to Link (no auth file, or it holds no token).</summary>
    public const string NotAuthenticated = "NOT_AUTHENTICATED";

    /// <summary>A card output file already exists; link-cli refuses to overwrite it.</summary>
    public const string OutputFileExists = "OUTPUT_FILE_EXISTS";

    /// <summary>A card output file could not be written (symlink, missing folder, permissions).</summary>
    public const string OutputFileWriteError = "OUTPUT_FILE_WRITE_ERROR";

    /// <summary>The link-cli executable could not be started, or died without answering.</summary>
    public const string CliUnavailable = "CLI_UNAVAILABLE";

    /// <summary>
    /// Link refused to create a spend request for a rate limit (HTTP 429): a duplicate of an open one
    /// (<see cref="LinkException.DuplicateSpendRequestId"/> names it), or too many created per hour. Retryable: wait and
    /// repeat the same create, or resume the named duplicate; never create a different second request.
    /// </summary>
    public const string RateLimited = "spend_request_rate_limited";

    /// <summary>Link's servers failed (HTTP 5xx) or could not be reached; retryable with backoff.</summary>
    public const string ServerError = "SERVER_ERROR";

    /// <summary>Anything else the CLI or Link reported (the message says what).</summary>
    public const string Unknown = "UNKNOWN";
}
