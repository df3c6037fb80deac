using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Options;
using Serilog.Events;

namespace CheckoutAgent.Worker.Cli;

/// <summary><c>checkout-agent demo</c>: one real purchase, end to end, offline.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print only the outcome, as one JSON object on stdout (progress goes to stderr)." };
        var dataDir = CommonOptions.DataDirectory();
        var approval = new Option<string>("--approval")
        {
            Description = "How the Link sandbox answers the spend request: auto (approve at once), deny, or never (nobody answers).",
            DefaultValueFactory = _ => "auto",
        };
        approval.AcceptOnlyFromAmong("auto", "deny", "never");
        var approvalTimeout = new Option<int>("--approval-timeout")
        {
            Description = "Seconds to wait for approval before giving up (default 1800, Link's approval window).",
            DefaultValueFactory = _ => 1800,
        };
        approvalTimeout.InRange(1, 86_400, "--approval-timeout must be from 1 to 86400 seconds.");
        var authentication = new Option<string>("--authentication")
        {
            Description = "How the card holder answers the bank's 3-D Secure confirmation (the three-ds variant): auto (confirm after 1 s), deny (refuse), or never (nobody answers).",
            DefaultValueFactory = _ => "auto",
        };
        authentication.AcceptOnlyFromAmong("auto", "deny", "never");
        var authenticationTimeout = new Option<int>("--authentication-timeout")
        {
            Description = "Seconds to wait, with the page open, for that confirmation before ending authentication_timeout (default 300).",
            DefaultValueFactory = _ => 300,
        };
        authenticationTimeout.InRange(1, 3600, "--authentication-timeout must be from 1 to 3600 seconds.");
        var verbose = new Option<bool>("--verbose") { Description = "Also show the worker's information logs (on stderr)." };
        var linkCli = new Option<string?>("--link-cli")
        {
            Description = "Reach Link through this link-cli executable (the real one, or tests/LinkCliStandIn's), pointed at a " +
                          "local Link emulator over HTTP, instead of the in-process sandbox.",
        };
        var variant = new Option<string>("--variant")
        {
            Description = "Which checkout the demo shop serves, each with its shipped recipe and expected outcome: " +
                          string.Join(", ", DemoVariants.All) + " (default single-page).",
            DefaultValueFactory = _ => DemoVariant.SinglePage.Name(),
        };
        variant.AcceptOnlyFromAmong([.. DemoVariants.All]);

        var command = new Command("demo",
            "Run one purchase end to end, offline: Link sandbox approval, a one-time card in a 0600 file, headless Chromium " +
            "checking out at a local demo shop, and the confirmed order. Needs Chromium (make demo installs it).")
        {
            json, dataDir, approval, approvalTimeout, authentication, authenticationTimeout, verbose, variant, linkCli,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new DemoSettings
            {
                DataDirectory = parse.GetValue(dataDir)!,
                Variant = DemoVariants.TryParse(parse.GetValue(variant), out var chosen) ? chosen : DemoVariant.SinglePage,
                Approval = parse.GetValue(approval) switch
                {
                    "deny" => SandboxApprovalMode.Deny,
                    "never" => SandboxApprovalMode.Never,
                    _ => SandboxApprovalMode.Auto,
                },
                // Long enough for the whole 3-D Secure wait plus the checkout around it.
                Timeout = TimeSpan.FromSeconds(Math.Max(180, parse.GetValue(authenticationTimeout) + 120)),
                Authentication = parse.GetValue(authentication) switch
                {
                    "deny" => SandboxAuthenticationMode.Deny,
                    "never" => SandboxAuthenticationMode.Manual,
                    _ => SandboxAuthenticationMode.Auto,
                },
                ConsoleLogLevel = parse.GetValue(verbose) ? LogEventLevel.Information : LogEventLevel.Warning,
                LinkCli = parse.GetValue(linkCli) is { Length: > 0 } cli ? new DemoLinkCli(cli) : null,
                Configuration = new Dictionary<string, string?>
                {
                    ["Link:ApprovalTimeout"] = TimeSpan.FromSeconds(parse.GetValue(approvalTimeout)).ToString("c", CultureInfo.InvariantCulture),
                    ["Browser:AuthenticationTimeout"] = TimeSpan.FromSeconds(parse.GetValue(authenticationTimeout)).ToString("c", CultureInfo.InvariantCulture),
                },
            };
            var (exitCode, _) = await ExecuteAsync(settings, parse.GetValue(json), Console.Out, Console.Error, cancellationToken);
            return exitCode;
        });
        return command;
    }

    /// <summary>Runs the demo and writes what the user sees: progress, then the summary or one JSON object on stdout.</summary>
    internal static async Task<(int ExitCode, DemoResult? Result)> ExecuteAsync(DemoSettings settings, bool asJson, TextWriter stdout,
        TextWriter stderr, CancellationToken cancellationToken)
    {
        try
        {
            ChromiumLocator.Find(Environment.GetEnvironmentVariable("Browser__ExecutablePath"));
            var result = await DemoRunner.RunAsync(settings, asJson ? stderr : stdout, cancellationToken);
            if (asJson)
            {
                await stdout.WriteLineAsync(OutcomeJson(result.Outcome));
            }
            else
            {
                PrintSummary(stdout, result.Outcome);
            }
            return (result.Outcome.Status == PurchaseStatus.Succeeded ? 0 : 1, result);
        }
        catch (Exception ex) when (ex is BrowserNotFoundException or OptionsValidationException or TimeoutException)
        {
            await stderr.WriteLineAsync($"checkout-agent demo: {ex.Message}");
            return (2, null);
        }
    }

    /// <summary>
    /// The outcome as JSON, with <c>status</c> the outcome code (<c>succeeded</c>, <c>captcha_required</c>,
    /// <c>origin_violation</c>, ...) and the purchase's own status kept as <c>purchase_status</c>.
    /// </summary>
    internal static string OutcomeJson(PurchaseOutcome outcome)
    {
        var json = JsonSerializer.SerializeToNode(outcome, PurchaseJson.Options)!.AsObject();
        json["purchase_status"] = outcome.Status;
        json["status"] = outcome.Status == PurchaseStatus.Succeeded ? OutcomeCodes.Succeeded : outcome.Code ?? outcome.Status;
        return json.ToJsonString(PurchaseJson.Options);
    }

    private static void PrintSummary(TextWriter output, PurchaseOutcome outcome)
    {
        output.WriteLine();
        output.WriteLine($"Status:      {outcome.Status}{(outcome.Code is null ? "" : $" ({outcome.Code})")}");
        if (outcome.Message is not null)
        {
            output.WriteLine($"Reason:      {outcome.Message}");
        }
        output.WriteLine($"Order:       {outcome.OrderNumber ?? "-"}");
        output.WriteLine($"Amount:      {Money.Format(outcome.Amount, outcome.Currency)}");
        output.WriteLine($"Card:        {(outcome.CardLast4 is null ? "-" : $"{outcome.CardBrand} •••• {outcome.CardLast4} (one-time, file deleted)")}");
        output.WriteLine($"Receipt:     {outcome.ScreenshotPath ?? "-"}");
        output.WriteLine($"Timings:     {string.Join(", ", outcome.Timings.Where(t => !t.Name.StartsWith("step ", StringComparison.Ordinal)).Select(t => $"{t.Name} {t.Milliseconds} ms"))}");
    }
}
