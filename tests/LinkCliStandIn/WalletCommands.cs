using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary>Login, wallet contents, transactions and reports.</summary>
internal static partial class WalletCommands
{
    public static Command[] All { get; } =
    [
        new("auth status", "Show whether this CLI is logged in (polls a pending login with --interval)",
            Spec(("interval", OptionKind.Value), ("max-attempts", OptionKind.Value), ("timeout", OptionKind.Value)), false, AuthStatusAsync),
        new("auth login", "Start the device login flow", Spec(("client-name", OptionKind.Value), ("scope", OptionKind.Value)), false, AuthLoginAsync),
        new("auth logout", "Revoke and forget the stored login", CommandSpec.None, false, AuthLogoutAsync),
        new("payment-methods list", "List the wallet's payment methods", CommandSpec.None, true,
            c => ListAsync(c, "/payment-details", "payment_details", "list payment methods")),
        new("shipping-address list", "List saved shipping addresses", CommandSpec.None, true,
            c => ListAsync(c, "/shipping_addresses", "shipping_addresses", "list shipping addresses")),
        new("user-info retrieve", "Show the wallet owner's name, email and phone", CommandSpec.None, true, UserInfoAsync),
        new("transactions list", "List transactions",
            Spec(("limit", OptionKind.Value), ("starting-after", OptionKind.Value), ("ending-before", OptionKind.Value), ("start-date", OptionKind.Value),
                ("end-date", OptionKind.Value), ("category", OptionKind.Value), ("origin", OptionKind.Value), ("source", OptionKind.List)), true, TransactionsAsync),
        new("report", "Report the outcome of an agent action on a domain",
            Spec(("domain", OptionKind.Value), ("outcome", OptionKind.Value), ("spend-request-id", OptionKind.Value), ("tag", OptionKind.List),
                ("step", OptionKind.Value), ("freeform-context", OptionKind.Value)), false, ReportAsync),
    ];

    internal static CommandSpec Spec(params (string Name, OptionKind Kind)[] options) =>
        new(options.ToDictionary(o => o.Name, o => o.Kind, StringComparer.Ordinal));

    private static async Task<JsonNode> AuthStatusAsync(CommandContext c)
    {
        var interval = Numbers.Parse(c.Args, "interval", 0);
        var maxAttempts = Numbers.Parse(c.Args, "max-attempts", 0);
        var timeout = Numbers.Parse(c.Args, "timeout", 300);
        var states = new JsonArray();
        var started = DateTimeOffset.UtcNow;
        var attempts = 0;
        while (true)
        {
            if (!c.Auth.IsAuthenticated && c.Auth.PendingDeviceAuth is { } pending)
            {
                await TryCompleteDeviceLoginAsync(c, pending);
            }
            Yield(states, StatusOf(c.Auth));
            if (c.Auth.IsAuthenticated || c.Auth.PendingDeviceAuth is null || interval <= 0)
            {
                return states;
            }
            attempts++;
            // Running out of attempts is not an error for auth status: the last state says authenticated:false.
            if ((maxAttempts > 0 && attempts >= maxAttempts) || DateTimeOffset.UtcNow >= started.AddSeconds(timeout))
            {
                return states;
            }
            await Task.Delay(TimeSpan.FromSeconds(interval), c.CancellationToken);
        }
    }

    private static JsonObject StatusOf(AuthStore auth)
    {
        if (auth.Auth is { } tokens)
        {
            var access = tokens["access_token"]?.GetValue<string>() ?? "";
            var status = new JsonObject
            {
                ["authenticated"] = true,
                ["access_token"] = (access.Length > 20 ? access[..20] : access) + "...",
                ["token_type"] = tokens["token_type"]?.DeepClone() ?? "Bearer",
                ["credentials_path"] = auth.UsesEnvironmentToken ? null : auth.FilePath,
            };
            if (tokens["scope"] is not null)
            {
                status["scope"] = tokens["scope"]!.DeepClone();
            }
            if (tokens["authorization_details"] is not null)
            {
                status["authorization_details"] = tokens["authorization_details"]!.DeepClone();
            }
            return status;
        }
        var unauthenticated = new JsonObject { ["authenticated"] = false, ["credentials_path"] = auth.FilePath };
        if (auth.PendingDeviceAuth is { } pending)
        {
            unauthenticated["pending"] = true;
            unauthenticated["verification_url"] = pending["verification_url"]?.DeepClone();
            unauthenticated["phrase"] = pending["phrase"]?.DeepClone();
        }
        return unauthenticated;
    }

    private static async Task TryCompleteDeviceLoginAsync(CommandContext c, JsonObject pending)
    {
        var response = await c.Api.PostFormAsync("/device/token",
        [
            new("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            new("device_code", pending["device_code"]?.GetValue<string>() ?? ""),
            new("client_id", LinkApi.ClientId),
        ], c.CancellationToken);
        if (response.IsSuccess && response.Json is JsonObject tokens)
        {
            c.Auth.SaveAuth(LinkApi.StoredTokens(tokens));
            c.Auth.SavePendingDeviceAuth(null);
            return;
        }
        var error = (response.Json as JsonObject)?["error"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        switch (error)
        {
            case "authorization_pending" or "slow_down":
                return;
            case "expired_token":
                c.Auth.SavePendingDeviceAuth(null);
                throw CliError.Unknown("Device code expired. Please restart the login flow.");
            case "access_denied":
                c.Auth.SavePendingDeviceAuth(null);
                throw CliError.Unknown("Authorization denied by user.");
            default:
                throw CliError.Unknown(FormattableString.Invariant($"Token poll failed ({response.Status}): {LinkApi.ExtractMessage(response, ErrorStyle.Auth)}"));
        }
    }

    private static async Task<JsonNode> AuthLoginAsync(CommandContext c)
    {
        var clientName = c.Args.Value("client-name") ?? "Link CLI";
        var response = await c.Api.PostFormAsync("/device/code",
        [
            new("client_id", LinkApi.ClientId),
            new("scope", c.Args.Value("scope") ?? "userinfo:read payment_methods.agentic"),
            new("connection_label", $"{clientName} on {Environment.MachineName}"),
            new("client_hint", clientName),
        ], c.CancellationToken);
        if (!response.IsSuccess || response.Json is not JsonObject code)
        {
            throw CliError.Unknown(FormattableString.Invariant($"Device auth initiation failed ({response.Status}): {LinkApi.ExtractMessage(response, ErrorStyle.Auth)}"));
        }
        var interval = code["interval"]?.GetValue<double>() ?? 5;
        var expiresIn = code["expires_in"]?.GetValue<double>() ?? 600;
        var pending = new JsonObject
        {
            ["device_code"] = code["device_code"]?.DeepClone(),
            ["interval"] = interval,
            ["expires_at"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)(expiresIn * 1000),
            ["verification_url"] = code["verification_uri_complete"]?.DeepClone(),
            ["phrase"] = code["user_code"]?.DeepClone(),
        };
        c.Auth.SaveAuth(null);
        c.Auth.SavePendingDeviceAuth(pending);
        return new JsonArray(new JsonObject
        {
            ["verification_url"] = pending["verification_url"]?.DeepClone(),
            ["phrase"] = pending["phrase"]?.DeepClone(),
            ["instruction"] = "Open the verification_url, sign in to Link and confirm the phrase; then poll auth status.",
            ["_next"] = new JsonObject
            {
                ["command"] = "auth status --interval 5 --max-attempts 60",
                ["poll_interval_seconds"] = interval,
                ["until"] = "authenticated is true",
            },
        });
    }

    private static async Task<JsonNode> AuthLogoutAsync(CommandContext c)
    {
        if (c.Auth.Auth?["refresh_token"] is JsonValue v && v.TryGetValue<string>(out var refresh))
        {
            try
            {
                await c.Api.PostFormAsync("/device/revoke", [new("client_id", LinkApi.ClientId), new("token", refresh)], c.CancellationToken);
            }
            catch (CliError)
            {
                // Best effort, as in link-cli.
            }
        }
        c.Auth.Delete();
        return new JsonObject { ["authenticated"] = false, ["message"] = "Logged out." };
    }

    private static async Task<JsonNode> ListAsync(CommandContext c, string path, string key, string operation)
    {
        var response = await c.Api.CallAsync(HttpMethod.Get, path, null, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw LinkApi.Failure(operation, response, ErrorStyle.Other);
        }
        return (response.Json as JsonObject)?[key]?.DeepClone() as JsonArray ?? [];
    }

    private static async Task<JsonNode> UserInfoAsync(CommandContext c)
    {
        var response = await c.Api.CallAsync(HttpMethod.Get, "/userinfo", null, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw LinkApi.Failure("retrieve user info", response, ErrorStyle.Other);
        }
        var json = response.Json as JsonObject;
        var result = new JsonObject();
        foreach (var field in new[] { "email", "name", "first_name", "last_name", "phone" })
        {
            result[field] = json?[field]?.DeepClone();
        }
        return result;
    }

    private static async Task<JsonNode> TransactionsAsync(CommandContext c)
    {
        var errors = new JsonArray();
        var query = new List<string>();
        if (c.Args.Value("limit") is { } limit)
        {
            if (!int.TryParse(limit, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 100)
            {
                errors.Add(FieldError("limit", "Number must be an integer from 1 to 100"));
            }
            query.Add("limit=" + Uri.EscapeDataString(limit));
        }
        Add(query, "starting_after", c.Args.Value("starting-after"));
        Add(query, "ending_before", c.Args.Value("ending-before"));
        foreach (var (flag, param) in new[] { ("start-date", "date_start"), ("end-date", "date_end") })
        {
            if (c.Args.Value(flag) is { } date && !IsoDate().IsMatch(date))
            {
                errors.Add(FieldError(flag, "Date must be in YYYY-MM-DD format."));
            }
            Add(query, param, c.Args.Value(flag));
        }
        Add(query, "category", c.Args.Value("category"));
        if (c.Args.Value("origin") is { } origin && origin is not ("link" or "external_connection"))
        {
            errors.Add(FieldError("origin", "Invalid enum value. Expected 'link' | 'external_connection'"));
        }
        Add(query, "origin", c.Args.Value("origin"));
        foreach (var source in c.Args.List("source"))
        {
            query.Add("sources[]=" + Uri.EscapeDataString(source));
        }
        Numbers.ThrowIfAny(errors);

        var response = await c.Api.CallAsync(HttpMethod.Get, "/transactions" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), null, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw LinkApi.Failure("list transactions", response, ErrorStyle.Other);
        }
        var page = response.Json switch
        {
            JsonArray array => new JsonObject { ["data"] = array.DeepClone() },
            JsonObject obj when obj["data"] is JsonArray => (JsonObject)obj.DeepClone(),
            _ => throw CliError.Unknown("TypeError: Invalid transactions response: expected {data: Transaction[]}"),
        };
        return page;
    }

    private static async Task<JsonNode> ReportAsync(CommandContext c)
    {
        var errors = new JsonArray();
        var domain = c.Args.Value("domain");
        var outcome = c.Args.Value("outcome");
        var spendRequestId = c.Args.Value("spend-request-id");
        if (domain is null)
        {
            errors.Add(FieldError("domain", "Required"));
        }
        if (outcome is not ("success" or "blocked" or "abandoned"))
        {
            errors.Add(FieldError("outcome", outcome is null ? "Required" : "Invalid enum value. Expected 'success' | 'blocked' | 'abandoned'"));
        }
        if (spendRequestId is null)
        {
            errors.Add(FieldError("spendRequestId", "Required"));
        }
        foreach (var (flag, value) in new[] { ("step", c.Args.Value("step")), ("freeformContext", c.Args.Value("freeform-context")) })
        {
            if (value is { Length: > 500 })
            {
                errors.Add(FieldError(flag, "String must contain at most 500 character(s)"));
            }
        }
        Numbers.ThrowIfAny(errors);
        if (!c.Auth.IsAuthenticated)
        {
            throw CliError.Unknown("Not authenticated. Run \"link-cli auth login\" first.");
        }

        var body = new JsonObject { ["domain"] = domain, ["outcome"] = outcome, ["spend_request_id"] = spendRequestId };
        if (c.Args.List("tag").Count > 0)
        {
            body["tags"] = new JsonArray(c.Args.List("tag").Select(t => (JsonNode)JsonValue.Create(t)).ToArray());
        }
        if (c.Args.Value("step") is { } step)
        {
            body["step"] = step;
        }
        if (c.Args.Value("freeform-context") is { } freeform)
        {
            body["freeform_context"] = freeform;
        }
        var response = await c.Api.CallAsync(HttpMethod.Post, "/agent_observations", body, c.CancellationToken);
        if (!response.IsSuccess)
        {
            throw LinkApi.Failure("create report", response, ErrorStyle.Other);
        }
        return response.Json ?? new JsonObject();
    }

    internal static JsonObject FieldError(string path, string message) => new() { ["path"] = path, ["message"] = message };

    private static void Add(List<string> query, string name, string? value)
    {
        if (value is not null)
        {
            query.Add(name + "=" + Uri.EscapeDataString(value));
        }
    }

    /// <summary>Generators yield a state only when it differs from the last one.</summary>
    internal static void Yield(JsonArray states, JsonNode value)
    {
        if (states.Count == 0 || !JsonNode.DeepEquals(states[^1], value))
        {
            states.Add(value);
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex IsoDate();
}

/// <summary>zod's <c>z.coerce.number()</c> for option values, and the <c>VALIDATION_ERROR</c> it leads to.</summary>
internal static class Numbers
{
    public static double Parse(CommandLine args, string name, double defaultValue)
    {
        var raw = args.Value(name);
        if (raw is null)
        {
            return defaultValue;
        }
        if (TryCoerce(raw, out var value))
        {
            return value;
        }
        ThrowIfAny([WalletCommands.FieldError(name, "Expected number, received nan")]);
        return 0;
    }

    /// <summary>JavaScript <c>Number(text)</c>: blank is 0, otherwise a decimal literal or NaN.</summary>
    public static bool TryCoerce(string raw, out double value)
    {
        if (raw.Trim().Length == 0)
        {
            value = 0;
            return true;
        }
        return double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    public static void ThrowIfAny(JsonArray errors)
    {
        if (errors.Count == 0)
        {
            return;
        }
        var summary = string.Join("; ", errors.Select(e => $"{e!["path"]}: {e["message"]}"));
        throw new CliError("VALIDATION_ERROR", "Invalid options: " + summary) { FieldErrors = errors };
    }
}
