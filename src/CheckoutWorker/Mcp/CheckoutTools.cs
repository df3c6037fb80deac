using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CheckoutAgent.Worker.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// Tool argument names are the protocol surface an agent sees; they match the HTTP API's snake_case fields.
#pragma warning disable CA1707

namespace CheckoutAgent.Worker.Mcp;

/// <summary>One item of <c>queue_purchase</c>.</summary>
public sealed record PurchaseItemArgument
{
    [JsonPropertyName("name"), Description("The product's name as the shop shows it.")]
    public required string Name { get; init; }

    [JsonPropertyName("quantity"), Description("Units (default 1).")]
    public int? Quantity { get; init; }

    [JsonPropertyName("unit_amount"), Description("Price of one unit in cents (minor units), e.g. 2400 for $24.00.")]
    public long? UnitAmount { get; init; }

    [JsonPropertyName("product_url"), Description("The product page, when the recipe needs it.")]
    public string? ProductUrl { get; init; }
}

/// <summary>
/// The MCP tools: each calls the running server's HTTP API through <see cref="CheckoutApiClient"/> and returns the API's
/// JSON; API errors come back as tool errors with code, field and message (never a stack trace).
/// </summary>
[McpServerToolType]
public sealed class CheckoutTools(CheckoutApiClient api)
{
    /// <summary>Prefix of idempotency keys derived from the arguments.</summary>
    public const string DerivedKeyPrefix = "mcp-";

    [McpServerTool(Name = "queue_purchase", Title = "Queue a purchase", Destructive = false, Idempotent = true, OpenWorld = true)]
    [Description(
        "Queue a purchase from a web shop, paid with a one-time Stripe Link card that the user approves in Link before anything is bought. " +
        "Returns the purchase (status queued); follow it with get_purchase until succeeded, failed or outcome_unknown. " +
        "Idempotency: retrying the same call never buys twice. Without idempotency_key, a key is derived from a SHA-256 hash of all the " +
        "other arguments, so an identical call returns the first purchase (marked replayed) instead of queuing another. To buy the same " +
        "thing again on purpose, pass a new idempotency_key. Reusing a key with different arguments is refused (idempotency_key_reused).")]
    public async Task<CallToolResult> QueuePurchase(
        [Description("Recipe name of the shop to buy from (see list_recipes), e.g. demo-shop.")] string recipe,
        [Description("The items: each {name, quantity, unit_amount (cents), product_url}.")] IReadOnlyList<PurchaseItemArgument> items,
        [Description("The most the user approves, in cents; must cover items, shipping and tax. Link's cap is 50000 ($500.00).")] long amount,
        [Description("Why this purchase, 100 to 2000 characters: the user reads it when approving in Link. Say what, for whom, and why.")] string context,
        [Description("The buyer: {\"email\", \"name\", \"phone\"?}, or the string \"wallet\" to use the Link wallet's details.")] JsonElement buyer,
        [Description("Where to ship: {\"name\", \"line1\", \"line2\"?, \"city\", \"state\"?, \"postal_code\", \"country\" (2 letters)}, or \"wallet\".")] JsonElement shipping,
        [Description("The shop's URL, when the recipe serves several.")] string? merchant_url = null,
        [Description("3-letter currency code (default usd).")] string? currency = null,
        [Description("Webhook URL told of the outcome (https, or http on loopback).")] string? callback_url = null,
        [Description("Your own string key/values kept with the purchase.")] IReadOnlyDictionary<string, string>? metadata = null,
        [Description("Optional. Same key + same arguments = the same purchase. Omit it to derive one from the arguments.")] string? idempotency_key = null,
        CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["recipe"] = recipe,
            ["merchant_url"] = merchant_url,
            ["items"] = JsonSerializer.SerializeToNode(items),
            ["amount"] = amount,
            ["currency"] = currency,
            ["context"] = context,
            ["buyer"] = JsonNode.Parse(buyer.GetRawText()),
            ["shipping"] = JsonNode.Parse(shipping.GetRawText()),
            ["callback_url"] = callback_url,
            ["metadata"] = metadata is null ? null : JsonSerializer.SerializeToNode(metadata),
        };
        foreach (var name in body.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            body.Remove(name);
        }
        RemoveNulls(body["items"]);
        var key = string.IsNullOrWhiteSpace(idempotency_key) ? DeriveIdempotencyKey(body) : idempotency_key;
        return await CallAsync(async () =>
        {
            var created = await api.CreatePurchaseAsync(JsonSerializer.SerializeToElement(body), key, cancellationToken);
            var note = created.Replayed
                ? $"replayed: idempotency_key {key} was already used with these arguments; this is the purchase it created, nothing new was queued"
                : $"queued with idempotency_key {key}; follow it with get_purchase";
            return (created.Purchase, note);
        });
    }

    [McpServerTool(Name = "get_purchase", Title = "Get a purchase", ReadOnly = true, OpenWorld = false)]
    [Description("One purchase with its status, outcome (order number, card brand and last 4 at most) and timeline. " +
                 "Statuses: queued, awaiting_approval, checking_out, submitting, then succeeded, failed or outcome_unknown (ended).")]
    public Task<CallToolResult> GetPurchase(
        [Description("The purchase id (pur_…).")] string id,
        CancellationToken cancellationToken = default) =>
        CallAsync(async () => (await api.GetPurchaseAsync(id, cancellationToken), (string?)null));

    [McpServerTool(Name = "list_purchases", Title = "List purchases", ReadOnly = true, OpenWorld = false)]
    [Description("This agent's purchases, newest first, without timelines: {\"object\":\"list\",\"data\":[…],\"has_more\":bool}. " +
                 "For the next page pass the last id as starting_after.")]
    public Task<CallToolResult> ListPurchases(
        [Description("Only this status: queued, awaiting_approval, checking_out, submitting, succeeded, failed, outcome_unknown.")] string? status = null,
        [Description("Only this recipe.")] string? recipe = null,
        [Description("Only purchases created by this schedule (sch_…).")] string? schedule_id = null,
        [Description("Only created at or after this ISO 8601 time.")] DateTimeOffset? created_after = null,
        [Description("Only created before this ISO 8601 time.")] DateTimeOffset? created_before = null,
        [Description("How many, 1 to 100 (default 20).")] int? limit = null,
        [Description("Paging: the last id of the previous page.")] string? starting_after = null,
        CancellationToken cancellationToken = default) =>
        CallAsync(async () => (await api.ListPurchasesAsync(new PurchaseListQuery
        {
            Status = status, Recipe = recipe, ScheduleId = schedule_id, CreatedAfter = created_after, CreatedBefore = created_before,
            Limit = limit, StartingAfter = starting_after,
        }, cancellationToken), (string?)null));

    [McpServerTool(Name = "cancel_purchase", Title = "Cancel a purchase", Destructive = true, Idempotent = false, OpenWorld = true)]
    [Description("Cancel a purchase before its final click (its Link spend request is canceled too). Refused with purchase_submitting " +
                 "once the final click is under way, or purchase_ended when it already ended.")]
    public Task<CallToolResult> CancelPurchase(
        [Description("The purchase id (pur_…).")] string id,
        CancellationToken cancellationToken = default) =>
        CallAsync(async () => (await api.CancelPurchaseAsync(id, cancellationToken), (string?)null));

    [McpServerTool(Name = "list_recipes", Title = "List recipes", ReadOnly = true, OpenWorld = false)]
    [Description("The shops this server can buy from: {\"data\":[{name, merchant_name, merchant_url, steps}]}. Use name as queue_purchase's recipe.")]
    public Task<CallToolResult> ListRecipes(CancellationToken cancellationToken = default) =>
        CallAsync(async () => (await api.ListRecipesAsync(cancellationToken), (string?)null));

    /// <summary>
    /// <c>mcp-</c> + the first 32 hex digits of SHA-256 over the body with object keys sorted (so argument order does not
    /// matter): the same arguments always give the same key.
    /// </summary>
    public static string DeriveIdempotencyKey(JsonNode body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var canonical = Canonical(body)!.ToJsonString();
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        return DerivedKeyPrefix + Convert.ToHexStringLower(hash)[..32];
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        null => null,
        _ => JsonNode.Parse(node.ToJsonString()),
    };

    private static void RemoveNulls(JsonNode? items)
    {
        foreach (var item in (items as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var name in item.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                item.Remove(name);
            }
        }
    }

    private async Task<CallToolResult> CallAsync(Func<Task<(JsonElement Json, string? Note)>> call)
    {
        try
        {
            var (json, note) = await call();
            var content = new List<ContentBlock> { new TextContentBlock { Text = json.GetRawText() } };
            if (note is not null)
            {
                content.Add(new TextContentBlock { Text = note });
            }
            return new CallToolResult { Content = content, StructuredContent = json.ValueKind == JsonValueKind.Object ? json : null };
        }
        catch (CheckoutApiException ex)
        {
            return Error(ex.StatusCode, ex.Problems, ex.RetryAfter);
        }
        catch (ArgumentException ex)
        {
            return Error(0, [new CheckoutApiProblem("invalid_argument", ex.ParamName, ex.Message.Split(" (Parameter")[0])]);
        }
    }

    private CallToolResult Error(int status, IReadOnlyList<CheckoutApiProblem> problems, TimeSpan? retryAfter = null)
    {
        static JsonObject Problem(CheckoutApiProblem p) => new() { ["code"] = p.Code, ["field"] = p.Field, ["message"] = p.Message };
        var error = Problem(problems[0]);
        error["status"] = status;
        var wait = retryAfter is { } after ? Math.Max(1, (long)Math.Ceiling(after.TotalSeconds)) : 1;
        if (status == 429)
        {
            error["retry_after_seconds"] = wait;
        }
        var structured = new JsonObject { ["error"] = error, ["errors"] = new JsonArray(problems.Select(p => (JsonNode)Problem(p)).ToArray()) };
        var text = string.Join("\n", problems.Select(p => $"error: {p}"));
        if (status == 429)
        {
            text += $"\n(rate limited: wait {wait} s before calling again; the same call with the same idempotency_key never creates a second purchase)";
        }
        else if (status is 0 or >= 500)
        {
            text += $"\n(the CheckoutAgent server at {api.ServerDisplay} could not handle the call; retrying the same call later is safe)";
        }
        return new CallToolResult
        {
            IsError = true,
            Content = [new TextContentBlock { Text = text }],
            StructuredContent = JsonSerializer.SerializeToElement(structured),
        };
    }
}
