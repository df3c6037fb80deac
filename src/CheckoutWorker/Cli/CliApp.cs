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
        return parse.InvokeAsync(configuration);
    }

    /// <summary>Whether the command line runs <c>checkout-agent serve</c> (not <c>link-sandbox serve</c>).</summary>
    private static bool IsServe(ParseResult parse) =>
        parse.CommandResult.Command is { Name: ServeCommand.Name } serve && serve.Parents.Contains(parse.RootCommandResult.Command);
}
