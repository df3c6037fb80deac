using System.Text.Json.Serialization;

namespace CheckoutAgent.Core.Intake;

/// <summary>One problem with a request: a stable code a program branches on, the field it is about, and what to do.</summary>
public sealed record ApiError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("field")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field = null);

/// <summary>The body of every error response: the first problem, and all of them when there are several.</summary>
public sealed record ApiErrorBody(
    [property: JsonPropertyName("error")] ApiError Error,
    [property: JsonPropertyName("errors")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ApiError>? Errors = null)
{
    public static ApiErrorBody Of(IReadOnlyList<ApiError> errors) => new(errors[0], errors.Count > 1 ? errors : null);
}

/// <summary>The error codes of the API.</summary>
public static class ApiErrorCodes
{
    public const string Unauthenticated = "unauthenticated";
    public const string InsufficientScope = "insufficient_scope";
    public const string InvalidJson = "invalid_json";
    public const string InvalidField = "invalid_field";
    public const string MissingField = "missing_field";
    public const string UnknownField = "unknown_field";
    public const string BodyTooLarge = "body_too_large";
    public const string BodyIncomplete = "body_incomplete";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string IdempotencyKeyMissing = "idempotency_key_missing";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    public const string NotFound = "not_found";
    public const string PurchaseSubmitting = "purchase_submitting";
    public const string PurchaseEnded = "purchase_ended";
    public const string UnknownRecipe = "unknown_recipe";
    public const string InvalidQuery = "invalid_query";
    public const string ScheduleNameTaken = "schedule_name_taken";
    public const string CallbackNotAllowed = "callback_not_allowed";
    public const string RateLimited = "rate_limited";
    /// <summary>Reconcile of a purchase that did not end <c>outcome_unknown</c>.</summary>
    public const string NotOutcomeUnknown = "not_outcome_unknown";
    /// <summary>Reconcile of a purchase already reconciled with another decision or order number.</summary>
    public const string ReconcileConflict = "reconcile_conflict";
    /// <summary>Reconcile of a purchase a run is still working on.</summary>
    public const string PurchaseRunning = "purchase_running";
}

/// <summary>Caller input fit to echo in an error message: at most 60 characters, anything shaped like a card number masked.</summary>
public static class InputEcho
{
    public static string Quote(string text) => JsonFields.Quote(text);
}
