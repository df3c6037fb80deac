using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CheckoutAgent.Link.Emulator;

// Link's resource API (link-api.md §3.2–3.4): what link-cli calls with a bearer token.
public sealed partial class LinkEmulatorServer
{
    private static readonly string[] _createFields =
    [
        "payment_details", "credential_type", "network_id", "execution_method", "merchant_account_id", "amount", "currency",
        "merchant_name", "merchant_url", "context", "line_items", "totals", "request_approval", "test", "approval_details",
        "metadata", "expires_at",
    ];

    private static readonly string[] _updateFields =
        ["payment_details", "amount", "merchant_url", "profile_id", "merchant_id", "currency", "line_items", "totals"];

    private static readonly string[] _observationFields =
        ["domain", "outcome", "spend_request_id", "tags", "step", "freeform_context"];

    private static readonly string[] _includeValues = ["card", "shared_payment_token", "link_pay_token"];

    private void MapApi(RouteGroupBuilder api)
    {
        api.MapGet("/payment-details", Authorized(_ => Task.FromResult<JsonNode>(new JsonObject
        {
            ["payment_details"] = new JsonArray([.. Sandbox.ListPaymentMethods().Select(LinkJson.PaymentMethod)]),
        })));
        api.MapGet("/shipping_addresses", Authorized(_ => Task.FromResult<JsonNode>(new JsonObject
        {
            ["shipping_addresses"] = new JsonArray([.. Sandbox.ListShippingAddresses().Select(LinkJson.ShippingAddress)]),
        })));
        api.MapGet("/userinfo", Authorized(_ => Task.FromResult<JsonNode>(LinkJson.UserInfo(Sandbox.GetUserInfo()))));
        api.MapGet("/spend_requests", Authorized(ListSpendRequests));
        api.MapPost("/spend_requests", Authorized(context => CreateSpendRequestAsync(context, delegated: false)));
        api.MapPost("/spend_requests/create_delegated", Authorized(context => CreateSpendRequestAsync(context, delegated: true)));
        api.MapGet("/spend_requests/{id}", Authorized(RetrieveSpendRequest));
        api.MapPost("/spend_requests/{id}", Authorized(UpdateSpendRequestAsync));
        api.MapPost("/spend_requests/{id}/cancel", Authorized(context =>
        {
            var request = Sandbox.Cancel(RouteId(context));
            Log.StatusChanged(_logger, request.Id, request.Status);
            return Task.FromResult<JsonNode>(SpendRequestJson(request, includeCard: false, includeToken: false));
        }));
        api.MapPost("/spend_requests/{id}/request_approval", Authorized(context =>
        {
            var request = Sandbox.RequestApproval(RouteId(context));
            Log.StatusChanged(_logger, request.Id, request.Status);
            return Task.FromResult<JsonNode>(new JsonObject
            {
                ["id"] = request.Id,
                ["approval_link"] = ApprovalPageUrl(request.Id).AbsoluteUri,
            });
        }));
        api.MapGet("/transactions", Authorized(ListTransactions));
        // Beta (link-cli's Financial Insights): the wallet's funding sources and what each has spent through Link.
        api.MapGet("/sources", Authorized(_ => Task.FromResult<JsonNode>(new JsonObject
        {
            ["data"] = new JsonArray([.. Sandbox.ListPaymentMethods().Select(LinkJson.Source)]),
            ["has_more"] = false,
        })));
        api.MapGet("/balances", Authorized(ListBalances));
        api.MapPost("/agent_observations", Authorized(ReportAsync));
    }

    /// <summary>Wraps a handler with the bearer check and a 200 JSON answer.</summary>
    private RequestDelegate Authorized(Func<HttpContext, Task<JsonNode>> handler) => async context =>
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var token = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
        if (!Sandbox.Auth.IsValidAccessToken(token))
        {
            // link-cli refreshes its token on a 401 and retries once: this is the answer that makes it do so.
            context.Response.Headers.WWWAuthenticate = token is null ? "Bearer" : "Bearer error=\"invalid_token\"";
            throw new ApiException(StatusCodes.Status401Unauthorized, ApiErrorCodes.Unauthorized, token is null
                ? "Missing bearer token: send Authorization: Bearer <access_token>."
                : "The access token is not valid (unknown, revoked or expired); refresh it and retry.");
        }
        var result = await handler(context);
        await WriteJsonAsync(context, StatusCodes.Status200OK, result);
    };

    private async Task<JsonNode> CreateSpendRequestAsync(HttpContext context, bool delegated)
    {
        var body = await JsonBody.ReadAsync(context.Request, _createFields, context.RequestAborted);
        foreach (var field in new[] { "execution_method", "merchant_account_id" })
        {
            if (body.Has(field))
            {
                throw ApiException.Invalid(field,
                    $"{field}: link_pay_token execution is not supported by the Link emulator; use credential_type card or shared_payment_token.");
            }
        }
        body.Object("approval_details");
        var expiresAt = body.Integer("expires_at");
        if (expiresAt is < 0 or > 253_402_300_799)
        {
            throw ApiException.Invalid("expires_at", "expires_at must be unix seconds.");
        }
        var options = new SpendRequestCreateOptions
        {
            PaymentMethodId = body.String("payment_details"),
            CredentialType = body.String("credential_type") ?? SpendRequestValidator.CardCredential,
            NetworkId = body.String("network_id"),
            Amount = body.Integer("amount") ?? throw ApiException.Invalid("amount", "amount is required: an integer number of cents."),
            Currency = body.String("currency") ?? "usd",
            MerchantName = body.String("merchant_name"),
            MerchantUrl = body.String("merchant_url"),
            Context = body.String("context") ?? "",
            LineItems = body.LineItems("line_items") ?? [],
            Totals = body.Totals("totals") ?? [],
            RequestApproval = body.Boolean("request_approval") ?? false,
            Test = body.Boolean("test") ?? false,
            Metadata = body.StringMap("metadata") ?? new Dictionary<string, string>(),
            ExpiresAt = expiresAt is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null,
        };
        var created = delegated ? Sandbox.CreateDelegated(options) : Sandbox.Create(options);
        Log.Created(_logger, created.Id, created.CredentialType, created.Amount, created.Currency, created.Status);
        return SpendRequestJson(created, includeCard: false, includeToken: false);
    }

    private Task<JsonNode> RetrieveSpendRequest(HttpContext context)
    {
        var include = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in context.Request.Query["include"])
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!_includeValues.Contains(part, StringComparer.Ordinal))
                {
                    throw ApiException.Invalid("include", $"include: unknown value '{part}'. Allowed: {string.Join(", ", _includeValues)}.");
                }
                include.Add(part);
            }
        }
        var request = Sandbox.Get(RouteId(context));
        return Task.FromResult<JsonNode>(SpendRequestJson(request, include.Contains("card"), include.Contains("shared_payment_token")));
    }

    private async Task<JsonNode> UpdateSpendRequestAsync(HttpContext context)
    {
        var id = RouteId(context);
        var body = await JsonBody.ReadAsync(context.Request, _updateFields, context.RequestAborted);
        // profile_id and merchant_id are accepted for the CLI's sake; the sandbox has no merchant profiles to point at.
        body.String("profile_id");
        body.String("merchant_id");
        var update = new SpendRequestUpdate
        {
            PaymentMethodId = body.String("payment_details"),
            Amount = body.Integer("amount"),
            MerchantUrl = body.String("merchant_url"),
            Currency = body.String("currency"),
            LineItems = body.LineItems("line_items"),
            Totals = body.Totals("totals"),
        };
        var updated = Sandbox.Update(id, update);
        return SpendRequestJson(updated, includeCard: false, includeToken: false);
    }

    private Task<JsonNode> ListSpendRequests(HttpContext context)
    {
        var includeHistory = context.Request.Query["include_history"].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            var other => throw ApiException.Invalid("include_history", $"include_history must be true or false; got '{other}'."),
        };
        return Task.FromResult<JsonNode>(new JsonObject
        {
            ["data"] = new JsonArray([.. Sandbox.List(includeHistory).Select(r => SpendRequestJson(r, includeCard: false, includeToken: false))]),
        });
    }

    private Task<JsonNode> ListTransactions(HttpContext context)
    {
        var query = context.Request.Query;
        string? Text(string name) => query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
        DateOnly? Date(string name) => Text(name) is not { } text ? null
            : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date
            : throw ApiException.Invalid(name, $"{name} must be a date YYYY-MM-DD; got '{text}'.");
        int? limit = Text("limit") is not { } limitText ? null
            : int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
            : throw ApiException.Invalid("limit", $"limit must be a whole number from 1 to 100; got '{limitText}'.");
        var sources = query["sources[]"].Concat(query["sources"]).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToList();

        var page = Sandbox.ListTransactions(new TransactionQuery
        {
            Limit = limit,
            StartingAfter = Text("starting_after"),
            EndingBefore = Text("ending_before"),
            DateStart = Date("date_start"),
            DateEnd = Date("date_end"),
            Category = Text("category"),
            Origin = Text("origin"),
        }, sources.Count == 0 ? null : sources);
        return Task.FromResult<JsonNode>(new JsonObject
        {
            ["data"] = new JsonArray([.. page.Items.Select(LinkJson.Transaction)]),
            ["has_more"] = page.HasMore,
        });
    }

    private async Task<JsonNode> ReportAsync(HttpContext context)
    {
        var body = await JsonBody.ReadAsync(context.Request, _observationFields, context.RequestAborted);
        var receipt = Sandbox.Report(new AgentObservation
        {
            Domain = body.String("domain") ?? "",
            Outcome = body.String("outcome") ?? "",
            SpendRequestId = body.String("spend_request_id") ?? "",
            Tags = body.StringArray("tags") ?? [],
            Step = body.String("step"),
            FreeformContext = body.String("freeform_context"),
        });
        return LinkJson.ObservationReceipt(receipt);
    }

    private Task<JsonNode> ListBalances(HttpContext context)
    {
        var wanted = context.Request.Query["sources[]"].Concat(context.Request.Query["sources"]).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var methods = Sandbox.ListPaymentMethods();
        foreach (var unknown in wanted.Where(w => methods.All(m => m.Id != w)))
        {
            throw ApiException.Invalid("sources", $"sources: '{unknown}' is not a source of this wallet ({string.Join(", ", methods.Select(m => m.Id))}).");
        }
        var now = Sandbox.Time.GetUtcNow();
        var spent = Sandbox.ListTransactions(new TransactionQuery { Limit = 100 }).Items;
        return Task.FromResult<JsonNode>(new JsonObject
        {
            ["data"] = new JsonArray([.. methods.Where(m => wanted.Count == 0 || wanted.Contains(m.Id))
                .Select(m => LinkJson.Balance(m.Id, spent.Where(t => t.SourceId == m.Id).Sum(t => t.Amount), now))]),
            ["has_more"] = false,
        });
    }

    private JsonObject SpendRequestJson(SpendRequest request, bool includeCard, bool includeToken)
    {
        // Credentials only for a live approved request, and only when asked for by name, as on Link.
        var live = request.Status == SpendRequestStatus.Approved;
        var card = includeCard && live ? Sandbox.FindIssuedCard(request.Id) : null;
        var token = includeToken && live ? Sandbox.FindSharedPaymentToken(request.Id) : null;
        return LinkJson.SpendRequest(request, ApprovalPageUrl(request.Id), card, token);
    }
}
