using CheckoutAgent.Worker.Cli;
using CheckoutAgent.Worker.Demo;

namespace CheckoutAgent.Tests.EndToEnd;

/// <summary>The demo command run in-process with the console captured, for the end-to-end tests that scan what it wrote.</summary>
internal static class DemoRun
{
    /// <summary>
    /// Runs <c>checkout-agent demo</c> with <paramref name="settings"/>, Console.Out and Console.Error redirected for the
    /// length of the run (process-wide: callers are [NonParallelizable]); returns its result and what it wrote to each.
    /// </summary>
    public static async Task<((int ExitCode, DemoResult? Result) Run, string Stdout, string Stderr)> CaptureAsync(DemoSettings settings, bool asJson)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var run = await DemoCommand.ExecuteAsync(settings, asJson, Console.Out, Console.Error, CancellationToken.None);
            return (run, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
