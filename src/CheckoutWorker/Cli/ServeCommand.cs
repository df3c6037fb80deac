using System.CommandLine;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Cli;

/// <summary><c>checkout-agent serve</c>: the worker and its HTTP API, until Ctrl+C (or SIGTERM) stops it gracefully.</summary>
internal static class ServeCommand
{
    public const string Name = "serve";

    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = $"Where the API listens (default {ServiceHost.DefaultUrl}, loopback only; port 0 picks a free port). " +
                          "Several URLs are separated by ';'. Anything but loopback exposes the API to the network: put TLS in front.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CHECKOUT_AGENT_URLS") is { Length: > 0 } configured ? configured : ServiceHost.DefaultUrl,
        };
        urls.Validators.Add(result =>
        {
            foreach (var text in (result.GetValueOrDefault<string>() ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
                {
                    result.AddError($"--urls must be http(s) URLs with a host and port and no path, e.g. {ServiceHost.DefaultUrl}; got '{text}'.");
                }
            }
        });
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command(Name,
            "Run the worker with its HTTP API (/v1, described at /openapi/v1.json): agents queue purchases with their tokens " +
            "(checkout-agent agent add), schedules fire, webhooks report outcomes. Ctrl+C stops it after running checkouts " +
            "finish their current step; unfinished purchases resume on the next start.")
        {
            urls, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new WorkerHostSettings();
            settings.Configuration["Worker:DataDirectory"] = parse.GetValue(dataDir);
            await using var app = ServiceHost.Build(settings, parse.GetValue(urls)!);
            if (await UnreachableDatabaseAsync(app.Services.GetRequiredService<CheckoutDatabase>(), cancellationToken) is { } problem)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(problem);
                return CliApp.ServiceUnavailable;
            }
            await app.StartAsync(cancellationToken);
            var link = app.Services.GetRequiredService<IOptions<LinkOptions>>().Value;
            var worker = app.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
            var addresses = string.Join(", ", app.Urls);
            Console.Out.WriteLine($"checkout-agent serving on {addresses} (OpenAPI at {app.Urls.First().TrimEnd('/')}/openapi/v1.json)");
            Console.Out.WriteLine($"data: {worker.DataDirectoryFullPath}");
            var browser = app.Services.GetRequiredService<IOptions<BrowserOptions>>().Value;
            Console.Out.WriteLine($"browser: {ChromiumLocator.DescribeChoice(browser.ExecutablePath, browser.Headless)}");
            Console.Out.WriteLine(link.Transport == "cli"
                ? $"Link: link-cli ({app.Services.GetRequiredService<IConfiguration>()["Link:Cli:ExecutablePath"] ?? "link-cli"})"
                : "Link: the in-process sandbox, which approves at once and moves no money (set Link__Transport=cli for real Link)");
            Console.Out.WriteLine("agents: checkout-agent agent add NAME --scopes purchases:write,purchases:read   ·   stop: Ctrl+C");
            Console.Out.Flush();
            // SIGTERM or Ctrl+C reaches us as System.CommandLine's token (CliApp gives serve the time a graceful stop
            // needs): it stops the host, which lets running checkouts finish their current step, and serve exits 0.
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// A shared database that cannot be reached at start-up is one line that says so, not the host's stack trace: the
    /// database's description (never its password), what the driver said, and what to check.
    /// </summary>
    internal static async Task<string?> UnreachableDatabaseAsync(CheckoutDatabase database, CancellationToken cancellationToken)
    {
        if (!database.IsShared)
        {
            return null;
        }
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException or System.Net.Sockets.SocketException)
        {
            var cause = ex.InnerException is { } inner && inner.Message != ex.Message ? $"{ex.Message} ({inner.Message})" : ex.Message;
            return $"error: the database {database.Description} could not be reached: {cause}. Check that PostgreSQL is running " +
                   "and that Storage:ConnectionString names the right host, port, database, user and password; serve exits " +
                   $"{CliApp.ServiceUnavailable} so a supervisor can try again later.";
        }
    }
}

