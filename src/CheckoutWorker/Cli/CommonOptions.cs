using System.CommandLine;

namespace CheckoutAgent.Worker.Cli;

internal static class CommonOptions
{
    public static Option<string> DataDirectory() => new("--data-dir")
    {
        Description = "Folder for the database, logs and receipt screenshots (default ./.checkout-agent).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Worker__DataDirectory") is { Length: > 0 } configured ? configured : ".checkout-agent",
    };
}
