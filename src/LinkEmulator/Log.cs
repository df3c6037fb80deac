using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Link.Emulator;

// Only ids, statuses, amounts and error codes are ever logged: never a body, a card number, a CVC or a token.
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Link emulator listening: API {ApiBaseUrl}, auth {AuthBaseUrl}, approval mode {Approval}")]
    public static partial void Started(ILogger logger, Uri apiBaseUrl, Uri authBaseUrl, EmulatorApprovalMode approval);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Spend request {SpendRequestId} created ({CredentialType}, {Amount} {Currency}): {Status}")]
    public static partial void Created(ILogger logger, string spendRequestId, string credentialType, long amount, string currency, SpendRequestStatus status);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Spend request {SpendRequestId} is now {Status}")]
    public static partial void StatusChanged(ILogger logger, string spendRequestId, SpendRequestStatus status);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Method} {Path} refused: {Status} {Code}")]
    public static partial void Refused(ILogger logger, string method, PathString path, int status, string code);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "{Method} {Path} failed with {ExceptionType}")]
    public static partial void Failed(ILogger logger, string method, PathString path, Type exceptionType);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Card authorization: approved {Approved}, decline code {DeclineCode}")]
    public static partial void Authorized(ILogger logger, bool approved, string? declineCode);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Demo MPP payment of {Amount} {Currency}: accepted {Accepted}, decline code {DeclineCode}")]
    public static partial void MppPayment(ILogger logger, long amount, string currency, bool accepted, string? declineCode);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "{Method} {Path} {StatusCode} {ElapsedMs} ms")]
    public static partial void Request(ILogger logger, string method, PathString path, int statusCode, long elapsedMs);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "3-D Secure confirmation {AuthenticationId}: approved {Approved}, pending {Pending}")]
    public static partial void Authentication(ILogger logger, string authenticationId, bool approved, bool pending);
}
