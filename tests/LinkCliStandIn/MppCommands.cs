using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary><c>mpp decode</c> and <c>mpp pay</c>: HTTP 402 resources paid with a Shared Payment Token (link-api.md §10).</summary>
internal static class MppCommands
{
    public static Command[] All { get; } =
    [
        new("mpp decode", "Decode a WWW-Authenticate: Payment challenge", WalletCommands.Spec(("challenge", OptionKind.Value)), false, DecodeAsync),
        new("mpp pay", "Pay an HTTP 402 resource with an approved shared payment token",
            new CommandSpec(new Dictionary<string, OptionKind>(StringComparer.Ordinal)
            {
                ["spend-request-id"] = OptionKind.Value, ["approved-challenge"] = OptionKind.Value, ["method"] = OptionKind.Value,
                ["data"] = OptionKind.Value, ["header"] = OptionKind.List, ["context"] = OptionKind.Value, ["amount"] = OptionKind.Value,
                ["payment-method-id"] = OptionKind.Value, ["test"] = OptionKind.Flag,
            }, new Dictionary<char, string> { ['X'] = "method", ['d'] = "data", ['H'] = "header" }), true, PayAsync),
    ];

    private static Task<JsonNode> DecodeAsync(CommandContext c)
    {
        var header = c.Args.Value("challenge") ?? throw new CliError("VALIDATION_ERROR", "Invalid options: challenge: Required")
        {
            FieldErrors = [WalletCommands.FieldError("challenge", "Required")],
        };
        var challenge = Challenge.Parse(header);
        var result = new JsonObject
        {
            ["id"] = challenge.Parameters["id"],
            ["realm"] = challenge.Parameters["realm"],
            ["method"] = challenge.Parameters["method"],
            ["intent"] = challenge.Parameters["intent"],
        };
        foreach (var optional in new[] { "description", "digest", "expires" })
        {
            if (challenge.Parameters.TryGetValue(optional, out var value))
            {
                result[optional] = value;
            }
        }
        result["network_id"] = challenge.NetworkId;
        result["request_json"] = challenge.Request.DeepClone();
        return Task.FromResult<JsonNode>(result);
    }

    private static async Task<JsonNode> PayAsync(CommandContext c)
    {
        var url = c.Args.Positionals.Count > 0 ? c.Args.Positionals[0] : throw new CliError("VALIDATION_ERROR", "Missing required argument: url")
        {
            FieldErrors = [WalletCommands.FieldError("url", "Required")],
        };
        var data = c.Args.Value("data");
        var method = c.Args.Value("method") ?? (data is null ? "GET" : "POST");
        var headers = c.Args.List("header").Select(ParseHeader).ToList();

        var probe = await c.Api.FetchAsync(method, url, headers, data, null, c.CancellationToken);
        if (probe.Status != 402 || probe.WwwAuthenticate is null)
        {
            return new JsonArray(Reply(probe.Status, probe.Headers, probe.Body));
        }
        var challenge = Challenge.Parse(probe.WwwAuthenticate);

        if (c.Args.Value("spend-request-id") is not { } spendRequestId)
        {
            return await StartFullFlowAsync(c, url, method, data, challenge);
        }

        var response = await c.Api.CallAsync(HttpMethod.Get,
            $"/spend_requests/{Uri.EscapeDataString(spendRequestId)}?include=shared_payment_token", null, c.CancellationToken);
        if (response.Status == 404)
        {
            throw new CliError("NOT_FOUND", $"Spend request {spendRequestId} not found");
        }
        if (!response.IsSuccess)
        {
            throw SpendRequestCommands.SpendRequestFailure("retrieve spend request", response);
        }
        var spendRequest = SpendRequestCommands.Normalize(response.Json);
        var status = spendRequest["status"]?.GetValue<string>();
        if (status != "approved")
        {
            throw CliError.Unknown($"Spend request {spendRequestId} is not approved (status: {status}).");
        }
        if (spendRequest["shared_payment_token"]?["id"] is not JsonValue tokenValue || !tokenValue.TryGetValue<string>(out var token))
        {
            throw CliError.Unknown($"Spend request {spendRequestId} has no shared payment token; create it with --credential-type shared_payment_token.");
        }
        var paid = await c.Api.FetchAsync(method, url, headers, data, challenge.Credential(token), c.CancellationToken);
        return new JsonArray(Reply(paid.Status, paid.Headers, paid.Body));
    }

    private static async Task<JsonNode> StartFullFlowAsync(CommandContext c, string url, string method, string? data, Challenge challenge)
    {
        var context = c.Args.Value("context");
        if (context is null || context.Length < 100)
        {
            throw new CliError("VALIDATION_ERROR", "Invalid options: context: --context (at least 100 characters) is required when --spend-request-id is not provided")
            {
                FieldErrors = [WalletCommands.FieldError("context", "String must contain at least 100 character(s)")],
            };
        }
        var paymentMethod = c.Args.Value("payment-method-id");
        if (paymentMethod is null)
        {
            var methods = await c.Api.CallAsync(HttpMethod.Get, "/payment-details", null, c.CancellationToken);
            if (!methods.IsSuccess)
            {
                throw LinkApi.Failure("list payment methods", methods, ErrorStyle.Other);
            }
            paymentMethod = ((methods.Json as JsonObject)?["payment_details"] as JsonArray)?.FirstOrDefault()?["id"]?.GetValue<string>()
                ?? throw CliError.Unknown("No payment methods in the Link wallet. Add one at https://app.link.com/wallet.");
        }
        var amount = c.Args.Value("amount") ?? challenge.Request["amount"]?.GetValue<string>();
        var body = new JsonObject
        {
            ["payment_details"] = paymentMethod,
            ["credential_type"] = "shared_payment_token",
            ["network_id"] = challenge.NetworkId,
            ["amount"] = long.TryParse(amount, out var cents) ? cents : throw CliError.Unknown("The challenge has no amount; pass --amount."),
            ["currency"] = challenge.Request["currency"]?.GetValue<string>() ?? "usd",
            ["context"] = context,
            ["request_approval"] = true,
        };
        if (c.Args.Flag("test"))
        {
            body["test"] = true;
        }
        var created = await c.Api.CallAsync(HttpMethod.Post, "/spend_requests", body, c.CancellationToken);
        if (!created.IsSuccess)
        {
            throw SpendRequestCommands.SpendRequestFailure("create spend request", created);
        }
        var spendRequest = SpendRequestCommands.Normalize(created.Json);
        var id = spendRequest["id"]?.GetValue<string>();
        var pay = new StringBuilder($"mpp pay {url} --spend-request-id {id}");
        if (c.Args.Value("method") is not null)
        {
            pay.Append($" -X {method}");
        }
        if (data is not null)
        {
            pay.Append($" -d '{data}'");
        }
        foreach (var header in c.Args.List("header"))
        {
            pay.Append($" -H '{header}'");
        }
        spendRequest["instruction"] = "Present the approval_url to the user; once the spend request is approved, run the pay_command.";
        spendRequest["_next"] = new JsonObject
        {
            ["poll_command"] = SpendRequestCommands.PollCommand(id),
            ["pay_command"] = pay.ToString(),
            ["until"] = "status is approved",
        };
        return new JsonArray(spendRequest);
    }

    private static JsonObject Reply(int status, JsonObject headers, string body) =>
        new() { ["status"] = status, ["headers"] = headers, ["body"] = body };

    private static KeyValuePair<string, string> ParseHeader(string raw)
    {
        var colon = raw.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw CliError.Unknown($"Invalid header \"{raw}\": expected \"Name: Value\".");
        }
        return new(raw[..colon].Trim(), raw[(colon + 1)..].Trim());
    }

    /// <summary>A <c>Payment</c> challenge: its auth-params and the decoded <c>request</c> JSON.</summary>
    private sealed record Challenge(Dictionary<string, string> Parameters, JsonObject Request, string NetworkId)
    {
        public static Challenge Parse(string header)
        {
            var text = header.Trim();
            if (!text.StartsWith("Payment ", StringComparison.OrdinalIgnoreCase))
            {
                throw CliError.Unknown("No Payment challenge found in the WWW-Authenticate header.");
            }
            var parameters = ParseParameters(text[8..]);
            foreach (var required in new[] { "id", "realm", "method", "intent", "request" })
            {
                if (!parameters.ContainsKey(required))
                {
                    throw CliError.Unknown($"Invalid Payment challenge: missing \"{required}\".");
                }
            }
            JsonObject request;
            try
            {
                var padded = parameters["request"].Replace('-', '+').Replace('_', '/');
                padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
                request = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(padded))) as JsonObject
                    ?? throw CliError.Unknown("Invalid Payment challenge: request is not a JSON object.");
            }
            catch (Exception ex) when (ex is FormatException or JsonException)
            {
                throw CliError.Unknown("Invalid Payment challenge: request is not base64url JSON.");
            }
            if (request["amount"] is not JsonValue amount || !amount.TryGetValue<string>(out _)
                || request["currency"] is not JsonValue currency || !currency.TryGetValue<string>(out _))
            {
                throw CliError.Unknown("Invalid Payment challenge: request must have string amount and currency.");
            }
            var network = (request["methodDetails"]?["networkId"] ?? request["networkId"]) is JsonValue n && n.TryGetValue<string>(out var id) ? id : null;
            return new Challenge(parameters, request, network ?? throw CliError.Unknown("Invalid Payment challenge: request has no methodDetails.networkId."));
        }

        public string Credential(string sharedPaymentToken)
        {
            var challenge = new JsonObject();
            foreach (var name in new[] { "id", "realm", "method", "intent", "request", "description", "expires", "digest", "opaque" })
            {
                if (Parameters.TryGetValue(name, out var value))
                {
                    challenge[name] = value;
                }
            }
            var payload = Parameters["intent"] == "session"
                ? new JsonObject { ["action"] = "open", ["grantedToken"] = sharedPaymentToken }
                : new JsonObject { ["spt"] = sharedPaymentToken };
            var json = new JsonObject { ["challenge"] = challenge, ["payload"] = payload }.ToJsonString(Output.Compact);
            return "Payment " + Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }

        private static Dictionary<string, string> ParseParameters(string text)
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var i = 0;
            while (i < text.Length)
            {
                while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
                {
                    i++;
                }
                var eq = text.IndexOf('=', i);
                if (eq < 0)
                {
                    break;
                }
                var name = text[i..eq].Trim();
                i = eq + 1;
                var value = new StringBuilder();
                if (i < text.Length && text[i] == '"')
                {
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                        }
                        value.Append(text[i]);
                    }
                    i++;
                }
                else
                {
                    for (; i < text.Length && text[i] != ','; i++)
                    {
                        value.Append(text[i]);
                    }
                }
                result[name] = value.ToString().Trim();
            }
            return result;
        }
    }
}
