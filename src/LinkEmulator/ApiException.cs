using CheckoutAgent.Link;
using Microsoft.AspNetCore.Http;

namespace CheckoutAgent.Link.Emulator;

/// <summary>
/// An error the API answers with <c>{"error":{"message","code"[,"field"]}}</c>. Codes are lower-case and stable
/// (<see cref="ApiErrorCodes"/>); messages never contain card data.
/// </summary>
internal sealed class ApiException(int status, string code, string message, string? field = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public string? Field { get; } = field;

    public static ApiException Invalid(string field, string message) =>
        new(StatusCodes.Status400BadRequest, ApiErrorCodes.InvalidRequest, message, field);

    /// <summary>The HTTP form of an error thrown by the sandbox.</summary>
    public static ApiException From(LinkException error) => error.Code switch
    {
        LinkErrorCodes.InvalidRequest => new(StatusCodes.Status400BadRequest, ApiErrorCodes.InvalidRequest, error.Message, error.Field),
        LinkErrorCodes.NotFound => new(StatusCodes.Status404NotFound, ApiErrorCodes.NotFound, error.Message),
        LinkErrorCodes.InvalidState => new(StatusCodes.Status409Conflict, ApiErrorCodes.InvalidState, error.Message),
        // link-cli appends "A matching spend request already exists: …" itself from duplicate_spend_request.
        LinkErrorCodes.RateLimited => new(StatusCodes.Status429TooManyRequests, ApiErrorCodes.RateLimited,
            error.DuplicateSpendRequestId is null ? error.Message : "A spend request with these details is already open."),
        _ => new(StatusCodes.Status400BadRequest, error.Code.ToLowerInvariant(), error.Message, error.Field),
    };
}

/// <summary>The <c>error.code</c> values the emulator answers with; a program can branch on them.</summary>
public static class ApiErrorCodes
{
    /// <summary>400: a field broke a rule; <c>error.field</c> names it (<c>amount</c>, <c>line_items[0].name</c>, …).</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>400: the body is not JSON, or not a JSON object.</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>401: no bearer token, or one the emulator does not know (refresh, then retry).</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>404: no such spend request, route or page.</summary>
    public const string NotFound = "not_found";

    /// <summary>409: not allowed in the spend request's current status (e.g. cancel after success).</summary>
    public const string InvalidState = "invalid_state";

    /// <summary>402 (demo MPP resource): payment needed; the <c>WWW-Authenticate: Payment</c> header holds the challenge.</summary>
    public const string PaymentRequired = "payment_required";

    /// <summary>402 (demo MPP resource): the <c>Authorization: Payment</c> credential could not be read or does not
    /// answer a challenge of this resource.</summary>
    public const string InvalidCredential = "invalid_credential";

    /// <summary>429: a duplicate of an open spend request (<c>error.duplicate_spend_request</c> holds it, as Link's
    /// does), or too many created in the last hour. Wait, or resume the duplicate; never create a different one.</summary>
    public const string RateLimited = "spend_request_rate_limited";

    /// <summary>500: a bug in the emulator; nothing was changed unless the message says so.</summary>
    public const string InternalError = "internal_error";
}
