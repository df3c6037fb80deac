using System.CommandLine;

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
        AgentCommand.Pause(paused: true),
        AgentCommand.Pause(paused: false),
        PurchaseCommand.Create(),
        ScheduleCommand.Create(),
        McpCommand.Create(),
    };

    public static Task<int> RunAsync(string[] args) => Create().Parse(args).InvokeAsync();
}
