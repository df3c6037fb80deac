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

    // 8 was the request line; requests are logged by RequestLogging (Serilog.AspNetCore) now.

    [LoggerMessage(9, LogLevel.Information, "API listening on {Urls}")]
    public static partial void Listening(ILogger logger, string urls);

    [LoggerMessage(10, LogLevel.Information, "Purchase {PurchaseId} stopped at a safe point (canceled or shutting down); its timeline says where it stands")]
    public static partial void PurchaseStopped(ILogger logger, string purchaseId);

    [LoggerMessage(11, LogLevel.Information, "Step {Step}/{StepCount} ({StepKind}) done in {Elapsed} ms")]
    public static partial void StepCompleted(ILogger logger, int step, int stepCount, string stepKind, long elapsed);

    [LoggerMessage(12, LogLevel.Warning, "Could not put {Count} accepted purchase(s) on Quartz ({ExceptionType}); retrying, and a restart would queue them too")]
    public static partial void DispatchFailed(ILogger logger, int count, string exceptionType);

    // Webhooks (20-29): event and purchase ids, types, status codes and attempt numbers; never URLs, bodies or answers.

    [LoggerMessage(20, LogLevel.Information, "Webhook {WebhookEventId} {EventType} of purchase {PurchaseId} delivered ({StatusCode}) on attempt {Attempt}")]
    public static partial void WebhookDelivered(ILogger logger, string webhookEventId, string eventType, string purchaseId, int statusCode, int attempt);

    [LoggerMessage(21, LogLevel.Warning, "Webhook {WebhookEventId} {EventType} of purchase {PurchaseId}: attempt {Attempt} {Result}; next attempt in {Delay}")]
    public static partial void WebhookRetrying(ILogger logger, string webhookEventId, string eventType, string purchaseId, int attempt, string result, string delay);

    [LoggerMessage(22, LogLevel.Warning, "Webhook {WebhookEventId} {EventType} of purchase {PurchaseId} given up after {Attempts} attempt(s): {Result}")]
    public static partial void WebhookGaveUp(ILogger logger, string webhookEventId, string eventType, string purchaseId, int attempts, string result);

    [LoggerMessage(23, LogLevel.Warning, "Webhook {WebhookEventId} {EventType} of purchase {PurchaseId} not sent: {Reason}")]
    public static partial void WebhookNotSent(ILogger logger, string webhookEventId, string eventType, string purchaseId, string reason);

    [LoggerMessage(24, LogLevel.Warning, "Webhook {WebhookEventId}: the lease expired during attempt {Attempt}; another sender took the delivery over")]
    public static partial void WebhookLeaseLost(ILogger logger, string webhookEventId, int attempt);

    [LoggerMessage(25, LogLevel.Error, "Webhook dispatcher hit an unexpected {ExceptionType} ({Where}); it carries on")]
    public static partial void WebhookDispatcherError(ILogger logger, string exceptionType, string where);

    // Schedules: 40-49.
    [LoggerMessage(40, LogLevel.Information, "Schedule {ScheduleId} created for agent {Agent}: {Cron} in {TimeZone}")]
    public static partial void ScheduleCreated(ILogger logger, string scheduleId, string agent, string cron, string timeZone);

    [LoggerMessage(41, LogLevel.Information, "Schedule {ScheduleId} deleted")]
    public static partial void ScheduleDeleted(ILogger logger, string scheduleId);

    [LoggerMessage(42, LogLevel.Information, "Schedule {ScheduleId} fire of {ScheduledAt:O} gave purchase {PurchaseId} (replayed: {Replayed})")]
    public static partial void ScheduleFired(ILogger logger, string scheduleId, DateTime scheduledAt, string purchaseId, bool replayed);

    [LoggerMessage(43, LogLevel.Information, "Schedule {ScheduleId} fire skipped: {Reason}")]
    public static partial void ScheduleFireSkipped(ILogger logger, string scheduleId, string reason);

    [LoggerMessage(44, LogLevel.Warning, "Schedule {ScheduleId} fire refused with {StatusCode}: {Problems}")]
    public static partial void ScheduleFireRefused(ILogger logger, string scheduleId, int statusCode, string problems);

    [LoggerMessage(45, LogLevel.Error, "Schedule {ScheduleId} fire hit an unexpected {ExceptionType}")]
    public static partial void ScheduleFireFailed(ILogger logger, string scheduleId, string exceptionType);

    [LoggerMessage(46, LogLevel.Warning, "Schedule {ScheduleId} could not be put back on Quartz ({ExceptionType})")]
    public static partial void ScheduleReconcileFailed(ILogger logger, string scheduleId, string exceptionType);

    [LoggerMessage(48, LogLevel.Information, "Sealed the webhook secrets of {Count} agent(s) that an earlier version stored in clear")]
    public static partial void WebhookSecretsSealed(ILogger logger, int count);

    [LoggerMessage(47, LogLevel.Information, "Schedules reconciled at start-up: {Created} job(s) created, {Deleted} orphan job(s) deleted")]
    public static partial void SchedulesReconciled(ILogger logger, int created, int deleted);

    [LoggerMessage(70, LogLevel.Warning, "Chromium is gone ({Reason}); starting a new browser")]
    public static partial void BrowserRestarting(ILogger logger, string reason);

    [LoggerMessage(71, LogLevel.Warning, "Chromium could not be started early ({ExceptionType}); the first checkout tries again")]
    public static partial void BrowserWarmUpFailed(ILogger logger, string exceptionType);

    [LoggerMessage(72, LogLevel.Warning, "The shop's session could not be kept ({ExceptionType}); the next purchase signs in again")]
    public static partial void AccountSessionNotKept(ILogger logger, string exceptionType);

    // 150-159: several workers on one database.
    [LoggerMessage(150, LogLevel.Warning, "Purchase {PurchaseId} was taken over by another node while this one was stalled; this run's result ({Status} {Code}) is kept in the timeline only")]
    public static partial void RunFencedOff(ILogger logger, string purchaseId, string status, string? code);

    [LoggerMessage(151, LogLevel.Warning, "The checkout slot at {Host} could not be renewed or given back ({ExceptionType}); its lease frees it")]
    public static partial void MerchantSlotTrouble(ILogger logger, string host, string exceptionType);

    [LoggerMessage(152, LogLevel.Information, "Stopping: purchase {PurchaseId} is left to the other nodes")]
    public static partial void PurchaseHandedOver(ILogger logger, string purchaseId);

    // 90-99: hardening (issue 20): rate limits.
    [LoggerMessage(90, LogLevel.Information, "Agent {Agent} reached its {Limit} purchases per hour; creation refused with 429")]
    public static partial void PurchaseRateLimited(ILogger logger, string agent, int limit);

    // 160-179: the operator console and reconcile (issue 18).
    [LoggerMessage(160, LogLevel.Information, "Purchase {PurchaseId} reconciled as {Decision} by {By}")]
    public static partial void PurchaseReconciled(ILogger logger, string purchaseId, string decision, string by);

    [LoggerMessage(161, LogLevel.Information, "Console: agent {Agent} signed in")]
    public static partial void ConsoleSignedIn(ILogger logger, string agent);

    [LoggerMessage(162, LogLevel.Warning, "Console: a sign-in was refused ({Reason})")]
    public static partial void ConsoleSignInRefused(ILogger logger, string reason);

    [LoggerMessage(163, LogLevel.Information, "Console: agent {Agent} signed out")]
    public static partial void ConsoleSignedOut(ILogger logger, string agent);

    [LoggerMessage(164, LogLevel.Warning, "Console: a form post to {Path} without a valid anti-forgery token was refused")]
    public static partial void ConsoleForgeryRefused(ILogger logger, string path);

    [LoggerMessage(165, LogLevel.Information, "Console: {Actor} {Action}")]
    public static partial void ConsoleAction(ILogger logger, string actor, string action);

    // 180–199: recipe record (recipes/README.md). Locators and placeholders only: a typed value never reaches these.
    [LoggerMessage(180, LogLevel.Information, "Recording started at {Host} (CDP port {CdpPort})")]
    public static partial void RecordingStarted(ILogger logger, string host, int? cdpPort);

    [LoggerMessage(181, LogLevel.Debug, "Recorded {Kind} on {Locator}")]
    public static partial void RecordedAction(ILogger logger, string kind, string locator);

    [LoggerMessage(182, LogLevel.Warning, "An event from the recording page could not be read ({ExceptionType}); it is left out")]
    public static partial void RecordingEventUnreadable(ILogger logger, string exceptionType);

    [LoggerMessage(183, LogLevel.Warning, "The iframe of a recorded action could not be described ({ExceptionType}); its steps have no frame scope")]
    public static partial void RecordedFrameUnknown(ILogger logger, string exceptionType);

    [LoggerMessage(184, LogLevel.Information, "Recording ended ({Reason}) with {Actions} action(s)")]
    public static partial void RecordingEnded(ILogger logger, string reason, int actions);

    [LoggerMessage(185, LogLevel.Information, "Recipe drafted at {Path}: {Steps} step(s), {Notes} note(s) to review")]
    public static partial void RecipeDrafted(ILogger logger, string path, int steps, int notes);

    // 200–209: recipe health checks.
    [LoggerMessage(200, LogLevel.Information, "Recipe {Recipe} health check passed in {DurationMs} ms")]
    public static partial void RecipeCheckPassed(ILogger logger, string recipe, long durationMs);

    [LoggerMessage(201, LogLevel.Warning, "Recipe {Recipe} health check failed: {Code} at step {Step}")]
    public static partial void RecipeCheckFailed(ILogger logger, string recipe, string code, int? step);

    [LoggerMessage(202, LogLevel.Error, "Recipe {Recipe} health check hit an unexpected {ExceptionType}")]
    public static partial void RecipeCheckCrashed(ILogger logger, string recipe, string exceptionType);

    [LoggerMessage(203, LogLevel.Information, "Recipe health checks done: {Count} checked, {Failed} failed")]
    public static partial void RecipeChecksDone(ILogger logger, int count, int failed);

    [LoggerMessage(204, LogLevel.Information, "Recipe health checks scheduled ({Cron}); next at {Next}")]
    public static partial void RecipeChecksScheduled(ILogger logger, string cron, string next);

    [LoggerMessage(205, LogLevel.Information, "recipe.broken alert for {Recipe} delivered ({Status}) on attempt {Attempt}")]
    public static partial void RecipeAlertSent(ILogger logger, string recipe, int status, int attempt);

    [LoggerMessage(206, LogLevel.Warning, "recipe.broken alert for {Recipe} not delivered: {Reason}")]
    public static partial void RecipeAlertFailed(ILogger logger, string recipe, string reason);
}

