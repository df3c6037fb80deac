using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Worker.Observability;

/// <summary>Every log line the worker writes, in one place. Properties are ids, codes and type names: never card data.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Purchase {PurchaseId} was scheduled but is not in the store")]
    public static partial void PurchaseMissing(ILogger logger, string purchaseId);

    [LoggerMessage(2, LogLevel.Information, "Purchase {PurchaseId} ended {Status} {Code}")]
    public static partial void PurchaseEnded(ILogger logger, string purchaseId, string status, string? code);

    [LoggerMessage(3, LogLevel.Warning, "Canceling spend request {SpendRequestId} failed with {Code}; its card stays valid until it expires")]
    public static partial void CancelFailed(ILogger logger, string spendRequestId, string code);

    [LoggerMessage(4, LogLevel.Error, "Purchase {PurchaseId} hit an unexpected {ExceptionType}")]
    public static partial void PurchaseCrashed(ILogger logger, string purchaseId, string exceptionType);

    [LoggerMessage(5, LogLevel.Information, "Swept {Count} card file(s) left by purchases that no longer need them")]
    public static partial void CardFilesSwept(ILogger logger, int count);

    [LoggerMessage(6, LogLevel.Information, "Purchase {PurchaseId} of agent {Agent} refused by policy ({Rule})")]
    public static partial void PolicyRefused(ILogger logger, string purchaseId, string agent, string rule);

    [LoggerMessage(7, LogLevel.Information, "Resumed {Count} unfinished purchase(s) after a restart")]
    public static partial void PurchasesResumed(ILogger logger, int count);

    [LoggerMessage(8, LogLevel.Information, "{Method} {Path} answered {StatusCode} in {Elapsed} ms for agent {Agent}")]
    public static partial void Request(ILogger logger, string method, string path, int statusCode, long elapsed, string? agent);

    [LoggerMessage(9, LogLevel.Information, "API listening on {Urls}")]
    public static partial void Listening(ILogger logger, string urls);

    [LoggerMessage(10, LogLevel.Information, "Purchase {PurchaseId} stopped at a safe point; it resumes from its timeline when the worker runs it again")]
    public static partial void PurchaseStopped(ILogger logger, string purchaseId);
}
