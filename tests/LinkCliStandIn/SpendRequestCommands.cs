using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary><c>spend-request create|retrieve|update|cancel|request-approval|list</c> (link-api.md §3.3, §6, §8, §9).</summary>
internal static class SpendRequestCommands
{
    // "submitted" (newer Link: the credential is in use) returns at once as newer link-cli does; 0.13.1 has no such status.
    private static readonly string[] TerminalStatuses = ["approved", "denied", "expired", "succeeded", "failed", "canceled", "submitted"];

    public static Command[] All { get; } =
    [
        new("spend-request create", "Create a spend request (returns at once in agent mode; poll with retrieve)",
            WalletCommands.Spec(("payment-method-id", OptionKind.Value), ("credential-type", OptionKind.Value), ("network-id", OptionKind.Value),
                ("execution-method", OptionKind.Value), ("merchant-account-id", OptionKind.Value), ("amount", OptionKind.Value),
                ("currency", OptionKind.Value), ("merchant-name", OptionKind.Value), ("merchant-url", OptionKind.Value), ("context", OptionKind.Value),
                ("line-item", OptionKind.List), ("total", OptionKind.List), ("request-approval", OptionKind.Flag), ("test", OptionKind.Flag),
                ("approve", OptionKind.Flag), ("output-file", OptionKind.Value), ("force", OptionKind.Flag), ("approval-detail", OptionKind.Value),
                ("metadata", OptionKind.List), ("expires-at", OptionKind.Value)), false, CreateAsync),
        new("spend-request retrieve", "Retrieve a spend request; with --interval, poll until it is terminal",
            WalletCommands.Spec(("timeout", OptionKind.Value), ("interval", OptionKind.Value), ("max-attempts", OptionKind.Value),
                ("include", OptionKind.List), ("output-file", OptionKind.Value), ("force", OptionKind.Flag)), false, RetrieveAsync),
        new("spend-request update", "Update a spend request that is not yet approved",
            WalletCommands.Spec(("payment-method-id", OptionKind.Value), ("amount", OptionKind.Value), ("merchant-url", OptionKind.Value),
                ("profile-id", OptionKind.Value), ("merchant-id", OptionKind.Value), ("currency", OptionKind.Value),
                ("line-item", OptionKind.List), ("total", OptionKind.List)), true, UpdateAsync),
        new("spend-request cancel", "Cancel a spend request", CommandSpec.None, true,
            c => PostAsync(c, "cancel", "cancel spend request")),
        new("spend-request request-approval", "Ask the person to approve a spend request", CommandSpec.None, false, RequestApprovalAsync),
        new("spend-request list", "List spend requests", WalletCommands.Spec(("include-history", OptionKind.Flag)), true, ListAsync),
    ];

    private static async Task<JsonNode> CreateAsync(CommandContext c)
    {
        var a = c.Args;
        // 1. Schema (zod): every failure at once, VALIDATION_ERROR.
        var errors = new JsonArray();
        double amount = 0;
        if (a.Value("amount") is not { } rawAmount || !Numbers.TryCoerce(rawAmount, out amount))
        {
            errors.Add(WalletCommands.FieldError("amount", a.Has("amount") ? "Expected number, received nan" : "Required"));
        }
        else if (amount != Math.Floor(amount))
        {
            errors.Add(WalletCommands.FieldError("amount", "Expected integer, received float"));
        }
        else if (amount <= 0)
        {
            errors.Add(WalletCommands.FieldError("amount", "Number must be greater than 0"));
        }
        else if (amount > 500000)
        {
            errors.Add(WalletCommands.FieldError("amount", "Number must be less than or equal to 500000"));
        }
        var currency = a.Value("currency") ?? "usd";
        if (currency.Length != 3)
        {
            errors.Add(WalletCommands.FieldError("currency", "String must contain exactly 3 character(s)"));
        }
        var context = a.Value("context");
        if (context is null)
        {
            errors.Add(WalletCommands.FieldError("context", "Required"));
        }
        else if (context.Length < 100)
        {
            errors.Add(WalletCommands.FieldError("context", "String must contain at least 100 character(s)"));
        }
        var credentialType = a.Value("credential-type") ?? "card";
        if (credentialType is not ("card" or "shared_payment_token"))
        {
            errors.Add(WalletCommands.FieldError("credentialType", "Invalid enum value. Expected 'shared_payment_token' | 'card'"));
        }
        var executionMethod = a.Value("execution-method");
        if (executionMethod is not (null or "link_pay_token"))
        {
            errors.Add(WalletCommands.FieldError("executionMethod", "Invalid enum value. Expected 'link_pay_token'"));
        }
        double expiresAt = 0;
        if (a.Value("expires-at") is { } rawExpires && (!Numbers.TryCoerce(rawExpires, out expiresAt) || expiresAt != Math.Floor(expiresAt)))
        {
            errors.Add(WalletCommands.FieldError("expiresAt", "Expected integer"));
        }
        Numbers.ThrowIfAny(errors);

        // 2. Cross-field rules, in link-cli's order: INVALID_INPUT.
        var networkId = a.Value("network-id");
        var merchantAccountId = a.Value("merchant-account-id")?.Trim();
        if (executionMethod is not null || a.Value("merchant-account-id") is not null)
        {
            if (executionMethod != "link_pay_token")
            {
                throw Invalid("--merchant-account-id requires --execution-method link_pay_token.");
            }
            if (string.IsNullOrEmpty(merchantAccountId))
            {
                throw Invalid("--merchant-account-id is required with --execution-method link_pay_token.");
            }
            if (credentialType != "card" || networkId is not null || a.Flag("test") || a.Flag("approve")
                || a.Value("merchant-name") is not null || a.Value("merchant-url") is not null)
            {
                throw Invalid("link_pay_token requests take only card credentials and no --network-id, --test, --approve, --merchant-name or --merchant-url.");
            }
        }
        if (credentialType == "shared_payment_token" && networkId is null)
        {
            throw Invalid("--network-id is required when --credential-type is shared_payment_token.");
        }
        if (credentialType != "shared_payment_token" && networkId is not null)
        {
            throw Invalid("--network-id is only allowed when --credential-type is shared_payment_token.");
        }
        if (credentialType == "card" && executionMethod is null)
        {
            if (a.Value("merchant-name") is null)
            {
                throw Invalid("--merchant-name is required for card spend requests.");
            }
            if (a.Value("merchant-url") is null)
            {
                throw Invalid("--merchant-url is required for card spend requests.");
            }
        }

        // 3. Parsing of the k:v flags: UNKNOWN on failure.
        var lineItems = a.List("line-item").Select(KeyValueList.LineItem).ToList();
        var totals = a.List("total").Select(KeyValueList.Total).ToList();
        var metadata = new JsonObject();
        foreach (var raw in a.List("metadata"))
        {
            KeyValueList.MergeMetadata(metadata, raw);
        }
        JsonNode? approvalDetails = null;
        if (a.Value("approval-detail") is { } detail)
        {
            try
            {
                approvalDetails = JsonNode.Parse(detail);
            }
            catch (JsonException ex)
            {
                throw CliError.Unknown("SyntaxError: " + ex.Message);
            }
        }

        var body = new JsonObject();
        if (a.Value("payment-method-id") is { } paymentMethod)
        {
            body["payment_details"] = paymentMethod;
        }
        body["credential_type"] = credentialType;
        if (networkId is not null)
        {
            body["network_id"] = networkId;
        }
        if (executionMethod is not null)
        {
            body["execution_method"] = executionMethod;
        }
        if (merchantAccountId is not null)
        {
            body["merchant_account_id"] = merchantAccountId;
        }
        body["amount"] = (long)amount;
        body["currency"] = currency;
        if (a.Value("merchant-name") is { } merchantName)
        {
            body["merchant_name"] = merchantName;
        }
        if (a.Value("merchant-url") is { } merchantUrl)
        {
            body["merchant_url"] = merchantUrl;
        }
        body["context"] = context;
        if (lineItems.Count > 0)
        {
            body["line_items"] = new JsonArray(lineItems.ToArray<JsonNode>());
        }
        if (totals.Count > 0)
        {
            body["totals"] = new JsonArray(totals.ToArray<JsonNode>());
        }
        var requestApproval = a.Flag("request-approval", defaultValue: true);
        if (requestApproval)
        {
            body["request_approval"] = true;
        }
        if (a.Flag("test"))
        {
            body["test"] = true;
        }
        if (approvalDetails is not null)
        {
            body["approval_details"] = approvalDetails;
        }
        if (metadata.Count > 0)
        {
            body["metadata"] = metadata;
        }
        if (a.Value("expires-at") is not null)
        {
            body["expires_at"] = (long)expiresAt;
        }

        var path = a.Flag("approve") ? "/spend_requests/create_delegated" : "/spend_requests";
        var response = await c.Api.CallAsync(HttpMethod.Post, path, body, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw SpendRequestFailure("create spend request", response);
        }
        var created = Normalize(response.Json);
        var id = created["id"]?.GetValue<string>();
        var status = created["status"]?.GetValue<string>();
        if (status == "requires_action")
        {
            var withAction = (JsonObject)created.DeepClone();
            var nextAction = NextAction(created);
            withAction["instruction"] = nextAction?["display_message"]?.DeepClone() ?? "Link needs an action before this spend request can continue.";
            if (nextAction?["resolution"]?.GetValue<string>() == "auto_resume")
            {
                withAction["_next"] = new JsonObject { ["command"] = PollCommand(id), ["until"] = "status changes from requires_action" };
            }
            return new JsonArray(withAction);
        }
        if (requestApproval && status is "pending_approval" or "created")
        {
            // Agent mode does not poll inside create and writes no output file (link-api.md §8).
            var pending = (JsonObject)created.DeepClone();
            pending["instruction"] = $"Present the approval_url to the user so they can approve this spend request in the Link app, then call `{PollCommand(id)}` to wait for the decision.";
            pending["_next"] = new JsonObject { ["command"] = PollCommand(id), ["until"] = "status changes from pending_approval" };
            return new JsonArray(pending);
        }
        return new JsonArray(OutputFile.Apply(created, a.Value("output-file"), a.Flag("force")));
    }

    private static async Task<JsonNode> RetrieveAsync(CommandContext c)
    {
        var id = Id(c);
        var timeout = Numbers.Parse(c.Args, "timeout", 600);
        var interval = Numbers.Parse(c.Args, "interval", 0);
        var maxAttempts = Numbers.Parse(c.Args, "max-attempts", 0);
        var include = c.Args.List("include");
        var path = "/spend_requests/" + Uri.EscapeDataString(id)
            + (include.Count > 0 ? "?include=" + Uri.EscapeDataString(string.Join(',', include)) : "");

        // pollUntil: GET; terminal or no interval → done; else count the attempt, stop at max attempts or timeout, sleep.
        var states = new JsonArray();
        var started = DateTimeOffset.UtcNow;
        var attempts = 0;
        while (true)
        {
            var response = await c.Api.CallAsync(HttpMethod.Get, path, null, c.CancellationToken);
            if (response.Status == 404)
            {
                throw new CliError("NOT_FOUND", $"Spend request {id} not found");
            }
            if (!response.IsSuccess)
            {
                throw SpendRequestFailure("retrieve spend request", response);
            }
            var current = Normalize(response.Json);
            var status = current["status"]?.GetValue<string>() ?? "";
            if (IsTerminal(current) || interval <= 0)
            {
                WalletCommands.Yield(states, OutputFile.Apply(current, c.Args.Value("output-file"), c.Args.Flag("force")));
                return states;
            }
            WalletCommands.Yield(states, current);
            attempts++;
            string? reason = null;
            if (maxAttempts > 0 && attempts >= maxAttempts)
            {
                reason = string.Create(CultureInfo.InvariantCulture, $"max attempts ({maxAttempts}) exhausted");
            }
            else if (DateTimeOffset.UtcNow >= started.AddSeconds(timeout))
            {
                reason = string.Create(CultureInfo.InvariantCulture, $"timeout ({timeout}s) reached");
            }
            if (reason is not null)
            {
                throw new CliError("POLLING_TIMEOUT",
                    $"Polling stopped before spend request {id} reached a terminal status: {reason}; current status is {status}.")
                { Retryable = true };
            }
            await Task.Delay(TimeSpan.FromSeconds(interval), c.CancellationToken);
        }
    }

    private static async Task<JsonNode> UpdateAsync(CommandContext c)
    {
        var id = Id(c);
        var a = c.Args;
        var body = new JsonObject();
        if (a.Value("payment-method-id") is { } paymentMethod)
        {
            body["payment_details"] = paymentMethod;
        }
        if (a.Value("amount") is { } rawAmount)
        {
            if (!Numbers.TryCoerce(rawAmount, out var amount))
            {
                Numbers.ThrowIfAny([WalletCommands.FieldError("amount", "Expected number, received nan")]);
            }
            body["amount"] = amount == Math.Floor(amount) ? JsonValue.Create((long)amount) : JsonValue.Create(amount);
        }
        if (a.Value("merchant-url") is { } merchantUrl)
        {
            body["merchant_url"] = merchantUrl;
        }
        if (a.Value("profile-id") is { } profile)
        {
            body["profile_id"] = profile;
        }
        if (a.Value("merchant-id") is { } merchant)
        {
            body["merchant_id"] = merchant;
        }
        if (a.Value("currency") is { } currency)
        {
            body["currency"] = currency;
        }
        if (a.List("line-item").Count > 0)
        {
            body["line_items"] = new JsonArray(a.List("line-item").Select(KeyValueList.LineItem).ToArray<JsonNode>());
        }
        if (a.List("total").Count > 0)
        {
            body["totals"] = new JsonArray(a.List("total").Select(KeyValueList.Total).ToArray<JsonNode>());
        }
        var response = await c.Api.CallAsync(HttpMethod.Post, "/spend_requests/" + Uri.EscapeDataString(id), body, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw SpendRequestFailure("update spend request", response);
        }
        return Normalize(response.Json);
    }

    private static async Task<JsonNode> PostAsync(CommandContext c, string action, string operation)
    {
        var id = Id(c);
        var response = await c.Api.CallAsync(HttpMethod.Post, $"/spend_requests/{Uri.EscapeDataString(id)}/{action}", null, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw SpendRequestFailure(operation, response);
        }
        return Normalize(response.Json);
    }

    private static async Task<JsonNode> RequestApprovalAsync(CommandContext c)
    {
        var id = Id(c);
        var response = await c.Api.CallAsync(HttpMethod.Post, $"/spend_requests/{Uri.EscapeDataString(id)}/request_approval", null, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw SpendRequestFailure("request approval", response);
        }
        var result = response.Json as JsonObject ?? new JsonObject();
        var output = (JsonObject)result.DeepClone();
        output["instruction"] = $"Present the approval_link to the user, then call `{PollCommand(id)}` to wait for the decision.";
        output["_next"] = new JsonObject { ["command"] = PollCommand(id), ["until"] = "status changes from pending_approval" };
        return new JsonArray(output);
    }

    private static async Task<JsonNode> ListAsync(CommandContext c)
    {
        var path = c.Args.Flag("include-history") ? "/spend_requests?include_history=true" : "/spend_requests";
        var response = await c.Api.CallAsync(HttpMethod.Get, path, null, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw SpendRequestFailure("list spend requests", response);
        }
        var data = (response.Json as JsonObject)?["data"] as JsonArray ?? [];
        return new JsonArray(data.Select(item => (JsonNode)Normalize(item)).ToArray());
    }

    internal static bool IsTerminal(JsonObject spendRequest)
    {
        var status = spendRequest["status"]?.GetValue<string>();
        if (status == "requires_action")
        {
            return NextAction(spendRequest)?["resolution"]?.GetValue<string>() != "auto_resume";
        }
        return TerminalStatuses.Contains(status, StringComparer.Ordinal);
    }

    /// <summary>A shared payment token sent as a plain string becomes <c>{"id": "…"}</c>.</summary>
    internal static JsonObject Normalize(JsonNode? json)
    {
        var spendRequest = json is JsonObject obj ? (JsonObject)obj.DeepClone() : throw CliError.Unknown("Link returned a spend request that is not a JSON object.");
        if (spendRequest["shared_payment_token"] is JsonValue token && token.TryGetValue<string>(out var tokenId))
        {
            spendRequest["shared_payment_token"] = new JsonObject { ["id"] = tokenId };
        }
        return spendRequest;
    }

    /// <summary><c>Failed to &lt;op&gt; (&lt;status&gt;): &lt;msg&gt;</c>, or the richer errors of §7.2 (verification / support URL,
    /// duplicate spend request).</summary>
    internal static CliError SpendRequestFailure(string operation, ApiResponse response)
    {
        var error = (response.Json as JsonObject)?["error"] as JsonObject;
        var message = LinkApi.ExtractMessage(response, ErrorStyle.SpendRequest);
        if (error?["duplicate_spend_request"] is JsonObject duplicate)
        {
            var code = error["code"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "spend_request_rate_limited";
            return new CliError(code,
                $"{message} A matching spend request already exists: {duplicate["id"]} (status: {duplicate["status"]}). Retrieve it to resume instead of creating a new one.");
        }
        if (error?["verification_url"] is JsonValue verification)
        {
            return new CliError("api_error", $"{message} Verification URL: {verification}");
        }
        if (error?["support_url"] is JsonValue support)
        {
            return new CliError("api_error", $"{message} Support URL: {support}");
        }
        return LinkApi.Failure(operation, response, ErrorStyle.SpendRequest);
    }

    internal static string PollCommand(string? id) => $"spend-request retrieve {id} --interval 2 --max-attempts 300";

    private static JsonObject? NextAction(JsonObject spendRequest) =>
        spendRequest["status_details"]?["requires_action"]?["next_action"] as JsonObject;

    private static string Id(CommandContext c) =>
        c.Args.Positionals.Count > 0 ? c.Args.Positionals[0] : throw new CliError("VALIDATION_ERROR", "Missing required argument: id")
        {
            FieldErrors = [WalletCommands.FieldError("id", "Required")],
        };

    private static CliError Invalid(string message) => new("INVALID_INPUT", message);
}
