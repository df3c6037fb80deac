using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Configuration;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Cli;

/// <summary>
/// <c>checkout-agent account add|list|remove|rotate</c>: the owner's logins at shops that have no guest checkout. Like the
/// agent verbs they work on the data directory directly. Secrets come only from standard input (never an argument,
/// which <c>ps</c> and shell history would show), and nothing secret is ever printed.
/// </summary>
internal static class AccountCommand
{
    /// <summary>Where secrets are read from; tests set it, the command line uses standard input.</summary>
    internal static TextReader? InputOverride { get; set; }

    public static Command Create() => new("account",
        "The owner's logins at shops that require an account (password, and optionally an authenticator-app secret for one-time codes). " +
        "Stored encrypted in the data directory under a key kept outside the database (Accounts__Key, or the 0600 file account.key); " +
        "used by purchases at the same host; never shown to agents.")
    {
        Add(), List(), Remove(), Rotate(),
    };

    private static Argument<string> HostArgument() => new("HOST") { Description = "The shop's host, e.g. shop.example.com (as in the purchase's merchant_url)." };

    private static Option<bool> TotpOption() => new("--totp-secret-stdin")
    {
        Description = "Also read the authenticator-app secret from standard input, on the line after the password: the base32 text the shop shows, or its otpauth://totp/ URI.",
    };

    private static Command Add()
    {
        var host = HostArgument();
        var username = new Option<string>("--username") { Description = "The login name at the shop (often an email address).", Required = true };
        var totp = TotpOption();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("add",
            "Store the owner's login at HOST. The password is read from standard input (first line; prompted without echo on a terminal), " +
            "e.g.: printf '%s\\n' \"$PASSWORD\" | checkout-agent account add shop.example.com --username me@example.com")
        {
            host, username, totp, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var hostName = parse.GetValue(host)!;
            if (!ValidHost(hostName, out var hostError))
            {
                return Fail(parse, hostError);
            }
            if (!ReadSecrets(parse, hostName, parse.GetValue(totp), out var password, out var totpKey, out var error))
            {
                return Fail(parse, error);
            }
            return await RunAsync(parse, dataDir, async service =>
            {
                var added = await service.AddAsync(hostName, parse.GetValue(username)!, password, totpKey, cancellationToken);
                parse.InvocationConfiguration.Output.WriteLine(
                    $"account for {added.Host} stored encrypted ({added.Username}{(added.HasTotp ? ", one-time codes" : "")}); purchases at {added.Host} sign in with it");
                return 0;
            });
        });
        return command;
    }

    private static Command Rotate()
    {
        var host = HostArgument();
        var totp = TotpOption();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("rotate",
            "Replace the password of HOST's account (read from standard input like add; with --totp-secret-stdin also the one-time-code secret). " +
            "The kept shop session is dropped, so the next purchase signs in afresh.")
        {
            host, totp, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var hostName = parse.GetValue(host)!;
            if (!ReadSecrets(parse, hostName, parse.GetValue(totp), out var password, out var totpKey, out var error))
            {
                return Fail(parse, error);
            }
            return await RunAsync(parse, dataDir, async service =>
            {
                var rotated = await service.RotateAsync(hostName, password, totpKey, cancellationToken);
                parse.InvocationConfiguration.Output.WriteLine($"account for {rotated.Host} rotated; its kept session was dropped");
                return 0;
            });
        });
        return command;
    }

    private static Command Remove()
    {
        var host = HostArgument();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("remove", "Delete HOST's account and its kept session.") { host, dataDir };
        command.SetAction(async (parse, cancellationToken) => await RunAsync(parse, dataDir, async service =>
        {
            var hostName = parse.GetValue(host)!;
            if (!await service.RemoveAsync(hostName, cancellationToken))
            {
                return Fail(parse, $"{AccountStore.NormalizeHost(hostName)} has no account (see: checkout-agent account list)");
            }
            parse.InvocationConfiguration.Output.WriteLine($"account for {AccountStore.NormalizeHost(hostName)} removed, with its kept session");
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("list", "List the stored accounts: host, masked username, whether one-time codes are set up, created, last used.") { json, dataDir };
        command.SetAction(async (parse, cancellationToken) => await RunAsync(parse, dataDir, async service =>
        {
            var accounts = await service.ListAsync(cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(accounts.Select(a => new
                {
                    host = a.Host, username = a.Username, has_totp = a.HasTotp, has_session = a.HasSession,
                    created_at = a.CreatedAt, last_used_at = a.LastUsedAt,
                })));
                return 0;
            }
            if (accounts.Count == 0)
            {
                output.WriteLine("no accounts (add one with: checkout-agent account add HOST --username USER)");
            }
            foreach (var a in accounts)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{a.Host,-32} {a.Username,-28} totp: {(a.HasTotp ? "yes" : "no"),-3}  created {a.CreatedAt:yyyy-MM-dd}  last used {(a.LastUsedAt is { } used ? used.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "never")}"));
            }
            return 0;
        }));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Option<string> dataDir, Func<AccountService, Task<int>> action)
    {
        try
        {
            var worker = new WorkerOptions { DataDirectory = parse.GetValue(dataDir)! };
            var database = StorageOptions.OpenDatabase(worker.DatabasePath);
            database.Initialize();
            var options = AccountOptions.FromEnvironment();
            return await action(new AccountService(new AccountStore(database, TimeProvider.System), Options.Create(options), Options.Create(worker)));
        }
        catch (AccountKeyException ex)
        {
            return Fail(parse, ex.Message);
        }
    }

    private static bool ValidHost(string host, out string error)
    {
        error = "";
        if (Uri.CheckHostName(host.Trim()) is UriHostNameType.Unknown || host.Contains('/', StringComparison.Ordinal))
        {
            error = $"HOST '{host}' is not a host name: give just the host, e.g. shop.example.com (no scheme, no path)";
            return false;
        }
        return true;
    }

    /// <summary>The password (line 1) and, when asked for, the TOTP secret (line 2), from standard input.</summary>
    private static bool ReadSecrets(ParseResult parse, string host, bool withTotp, out string password, out byte[]? totpKey, out string error)
    {
        totpKey = null;
        error = "";
        var input = InputOverride ?? Console.In;
        var interactive = InputOverride is null && !Console.IsInputRedirected;
        password = ReadLine(input, interactive, $"Password for {host}: ", parse) ?? "";
        if (password.Length == 0)
        {
            error = "no password on standard input: pipe it in (printf '%s\\n' \"$PASSWORD\" | checkout-agent account ...); it is never taken as an argument";
            return false;
        }
        if (!withTotp)
        {
            return true;
        }
        var secret = ReadLine(input, interactive, "Authenticator secret (base32 or otpauth:// URI): ", parse);
        if (string.IsNullOrWhiteSpace(secret))
        {
            error = "--totp-secret-stdin: no one-time-code secret on the line after the password";
            return false;
        }
        try
        {
            totpKey = TotpSecret.Parse(secret);
            return true;
        }
        catch (FormatException ex)
        {
            error = $"--totp-secret-stdin: {ex.Message}";
            return false;
        }
    }

    private static string? ReadLine(TextReader input, bool interactive, string prompt, ParseResult parse)
    {
        if (!interactive)
        {
            return input.ReadLine()?.TrimEnd('\r');
        }
        parse.InvocationConfiguration.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                parse.InvocationConfiguration.Error.WriteLine();
                return text.ToString();
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                text.Length = Math.Max(0, text.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }

    private static int Fail(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine($"error: {message}");
        return 2;
    }
}
