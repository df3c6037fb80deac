using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Link.Sandbox;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Worker.Cli;

/// <summary>
/// <c>checkout-agent link-sandbox serve|approve|deny|approve-action|deny-action</c>: the Link emulator over Link's HTTP API, for developing
/// against <c>link-cli</c> (ours or the real one) offline, and the person's side of approval from a terminal.
/// </summary>
internal static class LinkSandboxCommand
{
    public static Command Create() => new("link-sandbox",
        "A local Link emulator speaking Link's HTTP API, so link-cli (pointed at it with LINK_API_BASE_URL and " +
        "LINK_AUTH_BASE_URL) and the worker can run whole purchase flows offline. Not Link: see README for the differences.")
    {
        Serve(),
        Decide("approve", "Approve a pending spend request as the person would in the Link app (issues its one-time card)."),
        Decide("deny", "Deny a pending spend request as the person would in the Link app."),
        Decide("approve-action", "Confirm the payment a merchant asked the card holder to confirm (3-D Secure) for a spend request in requires_action: the merchant's page then carries on by itself."),
        Decide("deny-action", "Refuse the payment a merchant asked the card holder to confirm (3-D Secure): the payment fails."),
    };

    private static Command Serve()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen (default http://127.0.0.1:8377; use port 0 for any free port). Loopback only unless you mean it.",
            DefaultValueFactory = _ => "http://127.0.0.1:8377",
        };
        urls.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>() ?? "";
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
            {
                result.AddError($"--urls must be an http URL with a host and port and no path, e.g. http://127.0.0.1:8377; got '{text}'.");
            }
        });
        var approval = new Option<string>("--approval")
        {
            Description = "How spend requests are answered: manual (a person approves on the approval page or with 'link-sandbox approve'), auto, deny, or expire:SECONDS (nobody answers; the request expires after SECONDS).",
            DefaultValueFactory = _ => "manual",
        };
        approval.Validators.Add(result =>
        {
            try
            {
                LinkEmulatorOptions.ParseApproval(result.GetValueOrDefault<string>() ?? "", out _);
            }
            catch (ArgumentException ex)
            {
                result.AddError("--approval: " + ex.Message);
            }
        });
        var maxAmount = new Option<long>("--max-amount")
        {
            Description = "Largest amount one spend request may ask for, in cents (default 50000 = $500.00, Link's cap).",
            DefaultValueFactory = _ => SpendRequestValidator.LinkMaxAmount,
        };
        maxAmount.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() < 1)
            {
                r.AddError("--max-amount must be at least 1 cent.");
            }
        });
        var window = new Option<int>("--approval-window")
        {
            Description = "Seconds a request may wait for an answer before it expires (default 1800, as on Link).",
            DefaultValueFactory = _ => 1800,
        };
        var validity = new Option<int>("--card-validity")
        {
            Description = "Seconds an issued card stays usable after approval (default 43200 = 12 hours, as Link documents now).",
            DefaultValueFactory = _ => 43_200,
        };
        var authentication = new Option<string>("--authentication")
        {
            Description = "How a merchant's 3-D Secure confirmation is answered: manual (the card holder confirms on the approval page or with 'link-sandbox approve-action'), auto (confirm after 1 s) or deny (refuse after 1 s).",
            DefaultValueFactory = _ => "manual",
        };
        authentication.AcceptOnlyFromAmong("manual", "auto", "deny");
        var dailyLimit = new Option<long>("--daily-limit")
        {
            Description = "Most cents approved per rolling 24 hours (default 50000 = $500, Link's documented limit; 0 = none).",
            DefaultValueFactory = _ => 50_000,
        };
        var hourlyLimit = new Option<int>("--hourly-limit")
        {
            Description = "Most spend requests created per hour; more get HTTP 429 (default 50, Link's; 0 = none).",
            DefaultValueFactory = _ => 50,
        };
        var openApprovedLimit = new Option<int>("--open-approved-limit")
        {
            Description = "Most approved, unused spend requests open at once (default 10, Link's; 0 = none).",
            DefaultValueFactory = _ => 10,
        };
        dailyLimit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() < 0)
            {
                r.AddError("--daily-limit must be 0 (none) or a positive number of cents.");
            }
        });
        hourlyLimit.InRange(0, 1_000_000, "--hourly-limit must be from 0 (none) to 1000000.");
        openApprovedLimit.InRange(0, 1_000_000, "--open-approved-limit must be from 0 (none) to 1000000.");
        foreach (var seconds in new[] { window, validity })
        {
            seconds.InRange(1, 604_800, $"{seconds.Name} must be from 1 to 604800 seconds.");
        }
        var authFile = new Option<string>("--auth-file")
        {
            Description = "Where to write a link-cli auth file that is logged in to this emulator (default ./.link-sandbox/auth.json).",
            DefaultValueFactory = _ => Path.Combine(".link-sandbox", "auth.json"),
        };

        var command = new Command("serve", "Serve the Link emulator until Ctrl+C, printing the settings that point link-cli at it.")
        {
            urls, approval, maxAmount, window, validity, authentication, dailyLimit, hourlyLimit, openApprovedLimit, authFile,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var mode = LinkEmulatorOptions.ParseApproval(parse.GetValue(approval)!, out var expireAfter);
            var options = new LinkEmulatorOptions
            {
                Urls = parse.GetValue(urls)!,
                Approval = mode,
                ExpireAfter = expireAfter,
                Sandbox = new LinkSandboxOptions
                {
                    MaxAmount = parse.GetValue(maxAmount),
                    ApprovalWindow = TimeSpan.FromSeconds(parse.GetValue(window)),
                    CardValidity = TimeSpan.FromSeconds(parse.GetValue(validity)),
                    Authentication = parse.GetValue(authentication) switch
                    {
                        "auto" => SandboxAuthenticationMode.Auto,
                        "deny" => SandboxAuthenticationMode.Deny,
                        _ => SandboxAuthenticationMode.Manual,
                    },
                    RejectDuplicates = true,
                    DailyAmountLimit = parse.GetValue(dailyLimit) is > 0 and var daily ? daily : null,
                    HourlyCreateLimit = parse.GetValue(hourlyLimit) is > 0 and var hourly ? hourly : null,
                    OpenApprovedLimit = parse.GetValue(openApprovedLimit) is > 0 and var open ? open : null,
                },
            };
            // One line per request on stdout (method, path, status, ms): the emulator never logs a body or a header.
            using var logging = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => o.SingleLine = true)
                .SetMinimumLevel(LogLevel.Warning)
                .AddFilter("CheckoutAgent.Link.Emulator", LogLevel.Information));
            LinkEmulatorServer server;
            try
            {
                server = await LinkEmulatorServer.StartAsync(options, logging, cancellationToken);
            }
            catch (IOException ex)
            {
                await Console.Error.WriteLineAsync($"checkout-agent link-sandbox serve: cannot listen on {options.Urls}: {ex.Message} Pick another port with --urls.");
                return 2;
            }
            await using (server)
            {
                var requested = Path.GetFullPath(parse.GetValue(authFile)!);
                Directory.CreateDirectory(Path.GetDirectoryName(requested)!);
                // As link-cli does, a path without .json gets it appended: print the file actually written.
                var auth = server.WriteAuthFile(requested);
                var api = server.ApiBaseUrl.ToString().TrimEnd('/');
                Console.WriteLine($"Link emulator listening on {api} (approval: {parse.GetValue(approval)}, cap {Money(options.Sandbox.MaxAmount)})");
                Console.WriteLine();
                Console.WriteLine("Point link-cli at it:");
                Console.WriteLine($"  export LINK_API_BASE_URL={api}");
                Console.WriteLine($"  export LINK_AUTH_BASE_URL={server.AuthBaseUrl.ToString().TrimEnd('/')}");
                Console.WriteLine($"  export LINK_AUTH_FILE={auth}");
                Console.WriteLine();
                Console.WriteLine("Or the worker: Link__Transport=cli Link__Cli__ApiBaseUrl=… Link__Cli__AuthBaseUrl=… Link__Cli__AuthFile=…");
                if (mode == EmulatorApprovalMode.Manual)
                {
                    var page = server.ApprovalPageUrl("ID").ToString();
                    Console.WriteLine($"Approve at {page[..^2]}<spend request id>, or: checkout-agent link-sandbox approve <id> --url {api}");
                }
                Console.WriteLine("Press Ctrl+C to stop.");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Console.WriteLine("Stopping the Link emulator.");
                }
            }
            return 0;
        });
        return command;
    }

    private static Command Decide(string verb, string description)
    {
        var id = new Argument<string>("spend-request-id") { Description = "The spend request (lsrq_…)." };
        var url = new Option<string>("--url")
        {
            Description = "The emulator's URL, as printed by 'link-sandbox serve' (default: $LINK_API_BASE_URL, else http://127.0.0.1:8377/v1).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LINK_API_BASE_URL") is { Length: > 0 } configured ? configured : "http://127.0.0.1:8377/v1",
        };
        var json = new Option<bool>("--json") { Description = "Print the spend request as JSON." };
        var command = new Command(verb, description) { id, url, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (code, output, error) = await DecideAsync(verb, parse.GetValue(url)!, parse.GetValue(id)!, parse.GetValue(json), cancellationToken);
            if (output.Length > 0)
            {
                await Console.Out.WriteLineAsync(output);
            }
            if (error.Length > 0)
            {
                await Console.Error.WriteLineAsync(error);
            }
            return code;
        });
        return command;
    }

    /// <summary>Calls the emulator's approve/deny endpoint. Returns exit code and what to print.</summary>
    internal static async Task<(int ExitCode, string Output, string Error)> DecideAsync(string verb, string baseUrl, string id, bool asJson, CancellationToken cancellationToken)
    {
        var prefix = $"checkout-agent link-sandbox {verb}";
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var root) || (root.Scheme != Uri.UriSchemeHttp && root.Scheme != Uri.UriSchemeHttps))
        {
            return (2, "", $"{prefix}: --url must be the emulator's http URL (e.g. http://127.0.0.1:8377); got '{baseUrl}'.");
        }
        if (!id.StartsWith("lsrq_", StringComparison.Ordinal) || id.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_'))
        {
            return (2, "", $"{prefix}: '{id}' is not a spend request id (lsrq_…).");
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        HttpResponseMessage response;
        try
        {
            // The emulator's own controls sit at its root, whether --url names the root or the API base (…/v1).
            response = await http.PostAsync(new Uri(root, $"/_sandbox/spend_requests/{id}/{verb.Replace('-', '_')}"), null, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return (1, "", $"{prefix}: no Link emulator answers at {baseUrl} ({ex.Message}). Start one with 'checkout-agent link-sandbox serve', or pass --url.");
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var document = TryParse(body);
            var root2 = document?.RootElement;
            if (!response.IsSuccessStatusCode)
            {
                var message = root2 is { } e && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.Object
                    && err.TryGetProperty("message", out var m) ? m.GetString() : body;
                return (1, "", $"{prefix}: {message} (HTTP {(int)response.StatusCode})");
            }
            if (asJson)
            {
                return (0, body, "");
            }
            var status = root2 is { } ok && ok.ValueKind == JsonValueKind.Object && ok.TryGetProperty("status", out var s) ? s.GetString() : "?";
            return (0, $"{id}: {status}", "");
        }
    }

    private static JsonDocument? TryParse(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Money(long cents) => "$" + (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);
}
