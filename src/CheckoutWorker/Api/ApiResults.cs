using System.Text.Json;
using CheckoutAgent.Worker.Purchases;
using Microsoft.AspNetCore.Http;

namespace CheckoutAgent.Worker.Api;

/// <summary>How the API answers: JSON in snake_case, errors as <c>{"error": {code, message, field}}</c>.</summary>
internal static class ApiResults
{
    public static JsonSerializerOptions Json => PurchaseJson.Options;

    public static IResult Ok<T>(T value, int status = 200) => Results.Json(value, Json, statusCode: status);

    /// <summary>JSON already serialized (a stored response replayed byte for byte).</summary>
    public static IResult Raw(string json, int status) => Results.Content(json, "application/json", System.Text.Encoding.UTF8, status);

    public static IResult Error(int status, ApiError error) => Results.Json(ApiErrorBody.Of([error]), Json, statusCode: status);

    public static IResult Errors(int status, IReadOnlyList<ApiError> errors) => Results.Json(ApiErrorBody.Of(errors), Json, statusCode: status);
}
