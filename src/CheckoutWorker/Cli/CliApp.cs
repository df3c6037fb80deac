using System.CommandLine;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Hosting;

namespace CheckoutAgent.Worker.Cli;

/// <summary>The <c>checkout-agent</c> command line: one verb per thing a user does; every verb has <c>--help</c>.</summary>
public static class CliApp
{
    public static RootCommand Create() => new(
        "checkout-agent: buys from ordinary web shops on a person's behalf with one-time Stripe Link cards, " +
        "approved per purchase, typed by headless Chromium, never logged.")
    {
        DemoCommand.Create(),
        LinkSandboxCommand.Create(),
        RecipeCommand.Create(),
        ServeCommand.Create(),
        AgentCommand.Create(),
        AccountCommand.Create(),
        DbCommand.Create(),
        AgentCommand.Pause(paused: true),
        AgentCommand.Pause(paused: false),
        PurchaseCommand.Create(),
        ScheduleCommand.Create(),
        McpCommand.Create(),
        BenchCommand.Create(),
    };

    public static Task<int> RunAsync(string[] args)
    {
        var parse = Create().Parse(args);
        var configuration = new InvocationConfiguration();
        if (IsServe(parse))
        {
            // On SIGTERM or Ctrl+C System.CommandLine cancels the verb's token and, after this long, gives up on it and
            // exits 143 or 130 (2 s by default). serve's graceful stop may take the host's whole shutdown timeout.
            configuration.ProcessTerminationTimeout = ServiceHost.ShutdownTimeout + TimeSpan.FromSeconds(15);
        }
        // Our own errors that a restart cannot fix (a database newer than this version) are one line on stderr and
        // exit 78 (EX_CONFIG: systemd's RestartPreventExitStatus=78 stops a crash loop), never a stack trace.
        configuration.EnableDefaultExceptionHandler = false;
        return InvokeAsync(parse, configuration);
    }

    /// <summary>The exit code of a configuration problem no retry can fix (sysexits' EX_CONFIG).</summary>
    public const int ConfigurationError = 78;

    /// <summary>The exit code of a service this needs that is not there now (sysexits' EX_UNAVAILABLE): a retry may work.</summary>
    public const int ServiceUnavailable = 69;

    private static async Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration configuration)
    {
        try
        {
            return await parse.InvokeAsync(configuration);
        }
        catch (Exception ex) when (FindConfigurationError(ex) is { } schema)
        {
            await Console.Error.WriteLineAsync($"error: {schema.Message}");
            return ConfigurationError;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"Unhandled exception: {ex}");
            return 1;
        }
    }

    /// <summary>A database newer than this build, storage settings that cannot work, or a key that does not open the database's secrets, wherever it is wrapped.</summary>
    private static Exception? FindConfigurationError(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is DatabaseSchemaException or StorageConfigurationException or Accounts.AccountKeyException)
            {
                return ex;
            }
        }
        return null;
    }

    /// <summary>Whether the command line runs <c>checkout-agent serve</c> (not <c>link-sandbox serve</c>).</summary>
    private static bool IsServe(ParseResult parse) =>
        parse.CommandResult.Command is { Name: ServeCommand.Name } serve && serve.Parents.Contains(parse.RootCommandResult.Command);
}
