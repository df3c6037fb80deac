using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CheckoutAgent.Worker.Api;

/// <summary>The HTTP API under <c>/v1</c>: purchases, recipes, admin. Schedules are mapped by <see cref="ScheduleEndpoints"/>.</summary>
public static class ApiEndpoints
{
    /// <summary>Largest request body accepted (a purchase with 50 items and long context fits in a fraction of it).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapCheckoutApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/health", () => Results.Json(new { status = "ok" })).WithName("health").WithTags("service").AllowAnonymous();

        var v1 = app.MapGroup("/v1");
        // No id or name in a path holds a control character (and PostgreSQL refuses a NUL in text outright): 400, not 500.
        v1.AddEndpointFilter(async (context, next) =>
        {
            foreach (var (name, value) in context.HttpContext.Request.RouteValues)
            {
                if (value is string text && text.Any(char.IsControl))
                {
                    return ApiResults.Error(400, new ApiError(ApiErrorCodes.InvalidField,
                        $"the {name} in the path must not contain control characters (such as %00); got '{InputEcho.Quote(text)}'", name));
                }
            }
            return await next(context);
        });
        v1.MapPost("/purchases", CreatePurchaseAsync).RequireScope(Scopes.PurchasesWrite)
            .WithName("createPurchase").WithTags("purchases")
            .WithSummary("Queue a purchase (Idempotency-Key required: the same key and body replays the first response, a different body is 409)")
            .WithMetadata(new RequestBodyType(typeof(PurchaseCreateBody)))
            .Produces<PurchaseView>(201).Produces<PurchaseView>(200).Produces<ApiErrorBody>(400).Produces<ApiErrorBody>(401)
            .Produces<ApiErrorBody>(403).Produces<ApiErrorBody>(409).Produces<ApiErrorBody>(413).Produces<ApiErrorBody>(415).Produces<ApiErrorBody>(422)
            .Produces<ApiErrorBody>(429);
        v1.MapGet("/purchases", ListPurchasesAsync).RequireScope(Scopes.PurchasesRead)
            .WithName("listPurchases").WithTags("purchases")
            .WithSummary("This agent's purchases, newest first; filters status, recipe, schedule_id, created_after, created_before; paging limit and starting_after")
            .Produces<PurchasePage>(200).Produces<ApiErrorBody>(400);
        v1.MapGet("/purchases/{id}", GetPurchaseAsync).RequireScope(Scopes.PurchasesRead)
            .WithName("getPurchase").WithTags("purchases")
            .WithSummary("One purchase with its timeline: the agent's own, or (with the 'admin' scope) any agent's, as reconcile needs")
            .Produces<PurchaseView>(200).Produces<ApiErrorBody>(404);
        v1.MapPost("/purchases/{id}/cancel", CancelPurchaseAsync).RequireScope(Scopes.PurchasesWrite)
            .WithName("cancelPurchase").WithTags("purchases")
            .WithSummary("Cancel a purchase before its final click (its spend request is canceled at Link); 409 once submitting or ended")
            .Produces<PurchaseView>(200).Produces<ApiErrorBody>(404).Produces<ApiErrorBody>(409);
        v1.MapPost("/purchases/{id}/reconcile", ReconcilePurchaseAsync).RequireScope(Scopes.Admin)
            .WithName("reconcilePurchase").WithTags("purchases")
            .WithSummary("Settle an outcome_unknown purchase after checking with the merchant: {\"decision\": \"order_exists\", \"order_number\": \"…\"} ends it succeeded, " +
                "{\"decision\": \"no_order\"} ends it failed (reconciled_no_order); the timeline records who decided, the webhook is sent and Link is told. " +
                "The same decision again returns the purchase unchanged (Idempotent-Replayed: true); another decision, or a purchase that is not outcome_unknown or is still running, is 409")
            .WithMetadata(new RequestBodyType(typeof(ReconcileBody)))
            .Produces<PurchaseView>(200).Produces<ApiErrorBody>(400).Produces<ApiErrorBody>(401).Produces<ApiErrorBody>(403)
            .Produces<ApiErrorBody>(404).Produces<ApiErrorBody>(409).Produces<ApiErrorBody>(415).Produces<ApiErrorBody>(422);
        v1.MapGet("/recipes", (RecipeCatalog recipes) => ApiResults.Ok(new RecipeList(recipes.List()))).RequireScope(Scopes.PurchasesRead)
            .WithName("listRecipes").WithTags("recipes").WithSummary("The merchants this server can buy from")
            .Produces<RecipeList>(200);
        v1.MapGet("/admin/status", async (AgentStore agents, CancellationToken ct) =>
                ApiResults.Ok(new AdminStatus(await agents.IsPausedAsync(ct)))).RequireScope(Scopes.Admin)
            .WithName("adminStatus").WithTags("admin").Produces<AdminStatus>(200);
        v1.MapPost("/admin/pause", async (HttpContext http, AgentStore agents, CancellationToken ct) =>
            {
                await agents.SetPausedAsync(true, ct, $"agent {http.Agent().Name}");
                return ApiResults.Ok(new AdminStatus(true));
            }).RequireScope(Scopes.Admin)
            .WithName("pausePurchases").WithTags("admin").WithSummary("Global pause: new purchases are refused and queued ones stop before Link is asked")
            .Produces<AdminStatus>(200);
        v1.MapPost("/admin/resume", async (HttpContext http, AgentStore agents, CancellationToken ct) =>
            {
                await agents.SetPausedAsync(false, ct, $"agent {http.Agent().Name}");
                return ApiResults.Ok(new AdminStatus(false));
            }).RequireScope(Scopes.Admin)
            .WithName("resumePurchases").WithTags("admin").Produces<AdminStatus>(200);
        ScheduleEndpoints.Map(v1);
        RecipeHealthEndpoints.Map(v1);
        return app;
    }

    private static async Task<IResult> CreatePurchaseAsync(HttpContext http, PurchaseService purchases, CancellationToken cancellationToken)
    {
        var key = http.Request.Headers[IdempotencyKeyHeader].ToString();
        if (key.Length is 0 or > 255 || key.Any(c => c is < '!' or > '~'))
        {
            return ApiResults.Error(400, new ApiError(ApiErrorCodes.IdempotencyKeyMissing,
                "send an Idempotency-Key header of 1 to 255 visible ASCII characters (a UUID is ideal); retry with the same key to get the same purchase",
                IdempotencyKeyHeader));
        }
        var (body, error) = await ReadJsonAsync(http, cancellationToken);
        if (error is not null)
        {
            return error;
        }
        using (body)
        {
            var result = await purchases.SubmitAsync(http.Agent(), key, body!.RootElement, null, cancellationToken);
            if (result.Errors.Count > 0)
            {
                if (result.RetryAfter is { } retryAfter)
                {
                    http.Response.Headers.RetryAfter = ((long)retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }
                return ApiResults.Errors(result.StatusCode, result.Errors);
            }
            if (result.Replayed)
            {
                http.Response.Headers["Idempotent-Replayed"] = "true";
            }
            http.Response.Headers.Location = $"/v1/purchases/{result.PurchaseId}";
            return ApiResults.Raw(result.ResponseJson!, result.StatusCode);
        }
    }

    private static async Task<IResult> GetPurchaseAsync(string id, HttpContext http, PurchaseService purchases, CancellationToken cancellationToken)
    {
        // An admin (the operator's agent) reads any agent's purchase: it is who reconciles them, and reconcile answers with the purchase too.
        var agent = http.Agent();
        return await purchases.GetAsync(id, agent.Scopes.Contains(Scopes.Admin) ? null : agent.Id, cancellationToken) is { } view
            ? ApiResults.Ok(view)
            : NotFound(id);
    }

    private static async Task<IResult> CancelPurchaseAsync(string id, HttpContext http, PurchaseService purchases, CancellationToken cancellationToken)
    {
        var result = await purchases.CancelAsync(id, http.Agent().Id, cancellationToken);
        return result.Disposition switch
        {
            CancelDisposition.NotFound => NotFound(id),
            CancelDisposition.Submitting => ApiResults.Error(409, new ApiError(ApiErrorCodes.PurchaseSubmitting,
                $"purchase {InputEcho.Quote(id)} is submitting: the final click is under way and can no longer be canceled; wait for its outcome")),
            CancelDisposition.AlreadyEnded => ApiResults.Error(409, new ApiError(ApiErrorCodes.PurchaseEnded,
                $"purchase {InputEcho.Quote(id)} already ended {result.Purchase!.Status}; there is nothing to cancel")),
            _ => ApiResults.Ok(await purchases.GetAsync(id, http.Agent().Id, cancellationToken)),
        };
    }

    private static async Task<IResult> ReconcilePurchaseAsync(string id, HttpContext http, PurchaseReconciler reconciler, PurchaseService purchases,
        CancellationToken cancellationToken)
    {
        var (body, error) = await ReadJsonAsync(http, cancellationToken);
        if (error is not null)
        {
            return error;
        }
        using (body)
        {
            var root = body!.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ApiResults.Error(422, new ApiError(ApiErrorCodes.InvalidField, "the body must be a JSON object such as {\"decision\": \"no_order\"}"));
            }
            var errors = new List<ApiError>();
            foreach (var property in root.EnumerateObject().Where(p => p.Name is not ("decision" or "order_number")))
            {
                errors.Add(new ApiError(ApiErrorCodes.UnknownField, $"'{InputEcho.Quote(property.Name)}' is not a known field; known fields: decision, order_number", InputEcho.Quote(property.Name)));
            }
            string? Field(string name)
            {
                if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    return null;
                }
                if (value.ValueKind != JsonValueKind.String)
                {
                    errors.Add(new ApiError(ApiErrorCodes.InvalidField, $"{name} must be a string", name));
                    return null;
                }
                return value.GetString();
            }
            var decision = Field("decision");
            var orderNumber = Field("order_number");
            if (errors.Count == 0 && PurchaseReconcile.Validate(decision, orderNumber) is { } problem)
            {
                errors.Add(new ApiError(decision is null ? ApiErrorCodes.MissingField : ApiErrorCodes.InvalidField, problem,
                    problem.StartsWith("decision", StringComparison.Ordinal) ? "decision" : "order_number"));
            }
            if (errors.Count > 0)
            {
                return ApiResults.Errors(422, errors);
            }
            var agent = http.Agent();
            var result = await reconciler.ReconcileAsync(id, decision!, orderNumber, agent.ToString(), cancellationToken);
            return await ReconcileAnswerAsync(http, id, result, purchases, cancellationToken);
        }
    }

    /// <summary>The API's answer to a reconcile (shared with nothing else: the console renders its own).</summary>
    private static async Task<IResult> ReconcileAnswerAsync(HttpContext http, string id, ReconcileResult result, PurchaseService purchases, CancellationToken cancellationToken)
    {
        var quoted = InputEcho.Quote(id);
        switch (result.Disposition)
        {
            case ReconcileDisposition.NotFound:
                return ApiResults.Error(404, new ApiError(ApiErrorCodes.NotFound, $"no purchase '{quoted}'"));
            case ReconcileDisposition.Running:
                return ApiResults.Error(409, new ApiError(ApiErrorCodes.PurchaseRunning,
                    $"purchase {quoted} is {result.Purchase?.Status ?? "running"} and a run of it is still working on it; only an outcome_unknown purchase that no run holds can be reconciled: wait for it to end"));
            case ReconcileDisposition.NotUnknown:
                return ApiResults.Error(409, new ApiError(ApiErrorCodes.NotOutcomeUnknown,
                    $"purchase {quoted} ended {result.Purchase!.Status} by itself, not outcome_unknown; there is nothing to reconcile"));
            case ReconcileDisposition.ConflictingDecision:
                var earlier = result.Purchase!.Outcome!.Reconciliation!;
                return ApiResults.Error(409, new ApiError(ApiErrorCodes.ReconcileConflict,
                    $"purchase {quoted} was already reconciled as {earlier.Decision}{(earlier.OrderNumber is null ? "" : $" (order {earlier.OrderNumber})")} by {earlier.By} at {earlier.At:u}; a reconcile is final"));
            case ReconcileDisposition.AlreadyReconciled:
                http.Response.Headers["Idempotent-Replayed"] = "true";
                break;
        }
        return ApiResults.Ok(await purchases.GetAsync(id, null, cancellationToken));
    }

    private static readonly string[] Statuses =
    [
        PurchaseStatus.Queued, PurchaseStatus.AwaitingApproval, PurchaseStatus.CheckingOut, PurchaseStatus.Submitting,
        PurchaseStatus.AwaitingAuthentication, PurchaseStatus.Succeeded, PurchaseStatus.Failed, PurchaseStatus.OutcomeUnknown,
    ];

    private static readonly string[] ListParameters = ["status", "recipe", "schedule_id", "created_after", "created_before", "limit", "starting_after"];

    private static async Task<IResult> ListPurchasesAsync(HttpContext http, PurchaseService purchases, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        var errors = new List<ApiError>();
        foreach (var name in query.Keys.Where(k => !ListParameters.Contains(k, StringComparer.Ordinal)))
        {
            errors.Add(new ApiError(ApiErrorCodes.InvalidQuery, $"unknown query parameter '{InputEcho.Quote(name)}'; known: {string.Join(", ", ListParameters)}", InputEcho.Quote(name)));
        }
        foreach (var name in ListParameters.Where(n => query.TryGetValue(n, out var v) && v.ToString().Any(char.IsControl)))
        {
            // No id, recipe or time holds a control character, and PostgreSQL refuses a NUL in text outright.
            errors.Add(new ApiError(ApiErrorCodes.InvalidQuery, $"{name} must not contain control characters (such as %00); got '{InputEcho.Quote(query[name].ToString())}'", name));
        }
        string? Text(string name) => query.TryGetValue(name, out var value) && value.ToString().Length > 0 && !value.ToString().Any(char.IsControl)
            ? value.ToString() : null;
        DateTimeOffset? Time(string name)
        {
            if (Text(name) is not { } text)
            {
                return null;
            }
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return at;
            }
            errors.Add(new ApiError(ApiErrorCodes.InvalidQuery, $"{name} must be an ISO 8601 time such as 2026-11-21T09:00:00Z; got '{InputEcho.Quote(text)}'", name));
            return null;
        }
        var status = Text("status");
        if (status is not null && !Statuses.Contains(status, StringComparer.Ordinal))
        {
            errors.Add(new ApiError(ApiErrorCodes.InvalidQuery, $"status must be one of {string.Join(", ", Statuses)}; got '{InputEcho.Quote(status)}'", "status"));
        }
        var limit = 20;
        if (Text("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            errors.Add(new ApiError(ApiErrorCodes.InvalidQuery, $"limit must be a whole number from 1 to 100; got '{InputEcho.Quote(limitText)}'", "limit"));
        }
        var after = Time("created_after");
        var before = Time("created_before");
        if (errors.Count > 0)
        {
            return ApiResults.Errors(400, errors);
        }
        var agent = http.Agent();
        if (Text("starting_after") is { } cursor && await purchases.GetAsync(cursor, agent.Id, cancellationToken) is null)
        {
            return ApiResults.Error(400, new ApiError(ApiErrorCodes.InvalidQuery, $"starting_after must be the id of one of your purchases; '{InputEcho.Quote(cursor)}' is not", "starting_after"));
        }
        return ApiResults.Ok(await purchases.ListAsync(new PurchaseQuery
        {
            AgentId = agent.Id, Status = status, Recipe = Text("recipe"), ScheduleId = Text("schedule_id"),
            CreatedAfter = after, CreatedBefore = before, Limit = limit, StartingAfter = Text("starting_after"),
        }, cancellationToken));
    }

    private static IResult NotFound(string id) =>
        ApiResults.Error(404, new ApiError(ApiErrorCodes.NotFound, $"no purchase '{InputEcho.Quote(id)}' among this agent's purchases"));

    /// <summary>
    /// Reads a JSON body: <c>application/json</c> only, at most <see cref="MaxBodyBytes"/>, well formed. Errors say
    /// where the JSON broke. Kestrel's minimum data rate drops clients that trickle a body.
    /// </summary>
    /// <summary>The path of the first string (or property name) holding a NUL, e.g. <c>items[0].name</c>; null when none does.</summary>
    internal static string? FindNul(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return element.GetString()!.Contains('\0', StringComparison.Ordinal) ? path : null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindNul(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name.Contains('\0', StringComparison.Ordinal))
                    {
                        return path;
                    }
                    if (FindNul(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    internal static async Task<(JsonDocument? Body, IResult? Error)> ReadJsonAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var contentType = http.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiResults.Error(415, new ApiError(ApiErrorCodes.UnsupportedMediaType,
                $"send the body as JSON with 'Content-Type: application/json'; got '{(contentType.Length == 0 ? "none" : InputEcho.Quote(contentType))}'")));
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    return (null, TooLarge());
                }
                buffer.Write(chunk, 0, read);
            }
            if (buffer.Length == 0)
            {
                return (null, ApiResults.Error(400, new ApiError(ApiErrorCodes.InvalidJson, "the request body is empty; send a JSON object")));
            }
            var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            if (FindNul(document.RootElement, "") is { } field)
            {
                document.Dispose();
                // No field of ours means anything with a NUL in it, and PostgreSQL refuses one in text outright.
                return (null, ApiResults.Error(400, new ApiError(ApiErrorCodes.InvalidField,
                    $"{(field.Length == 0 ? "the body" : $"'{InputEcho.Quote(field)}'")} holds a NUL character (\\u0000): remove it and retry",
                    field.Length == 0 ? null : InputEcho.Quote(field))));
            }
            return (document, null);
        }
        catch (JsonException ex)
        {
            return (null, ApiResults.Error(400, new ApiError(ApiErrorCodes.InvalidJson,
                $"the body is not valid JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: fix the syntax and retry")));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == 413)
        {
            return (null, TooLarge());
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's minimum data rate (a client trickling its body) or a broken body: the client is told, others carry on.
            return (null, ApiResults.Error(ex.StatusCode, new ApiError(ApiErrorCodes.BodyIncomplete,
                $"the request body did not arrive in full ({ex.StatusCode}): send it at once, at more than 1 KiB/s")));
        }
    }

    private static IResult TooLarge() => ApiResults.Error(413, new ApiError(ApiErrorCodes.BodyTooLarge,
        $"the body is larger than {MaxBodyBytes / 1024} KiB; a purchase needs far less: trim context, items or metadata"));
}

/// <summary>
/// The body type an endpoint reads itself (for the OpenAPI document only). Unlike <c>Accepts</c>, it takes no part in
/// routing, so a wrong Content-Type reaches the endpoint and gets a clear 415 instead of a 404.
/// </summary>
public sealed record RequestBodyType(Type Type);

/// <summary>The body of <c>POST /v1/purchases/{id}/reconcile</c>.</summary>
/// <param name="Decision"><c>order_exists</c> or <c>no_order</c>.</param>
/// <param name="OrderNumber">The merchant's order number; required for <c>order_exists</c>, absent for <c>no_order</c>.</param>
public sealed record ReconcileBody(
    [property: System.Text.Json.Serialization.JsonPropertyName("decision")] string Decision,
    [property: System.Text.Json.Serialization.JsonPropertyName("order_number")] string? OrderNumber);

/// <summary><c>{"paused": bool}</c>.</summary>
public sealed record AdminStatus([property: System.Text.Json.Serialization.JsonPropertyName("paused")] bool Paused);

/// <summary><c>{"data": [...]}</c>.</summary>
public sealed record RecipeList([property: System.Text.Json.Serialization.JsonPropertyName("data")] IReadOnlyList<RecipeSummary> Data);
