using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using CheckoutAgent.Worker.Cli;
using ModelContextProtocol.Client;

namespace CheckoutAgent.Tests.Clients;

/// <summary>What a run of the CLI printed and returned.</summary>
internal sealed record CliRun(int Code, string Out, string Err)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Out);
        return document.RootElement.Clone();
    }

    public override string ToString() => $"exit {Code}\nstdout:\n{Out}\nstderr:\n{Err}";
}

/// <summary>Runs <c>checkout-agent</c> verbs in-process (output captured through System.CommandLine) or as a child process.</summary>
internal static class ClientCli
{
    public static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "checkout-agent.dll");

    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs <c>dotnet checkout-agent.dll ARGS</c> with the client variables removed, then <paramref name="environment"/> set.</summary>
    public static async Task<CliRun> RunProcessAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(WorkerDll);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var name in new[] { "CHECKOUT_AGENT_URL", "CHECKOUT_AGENT_TOKEN", "Mcp__Token", "Mcp__ServerUrl" })
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The stdio transport that starts <c>checkout-agent mcp</c> as a child process forwarding to <paramref name="service"/> with an agent's token.</summary>
    public static StdioClientTransport McpTransport(Uri service, string token, Action<string> standardErrorLine) =>
        new(new StdioClientTransportOptions
        {
            Name = "checkout-agent",
            Command = "dotnet",
            Arguments = [WorkerDll, "mcp"],
            WorkingDirectory = AppContext.BaseDirectory,
            EnvironmentVariables = new Dictionary<string, string?>
            {
                ["CHECKOUT_AGENT_URL"] = service.ToString(),
                ["CHECKOUT_AGENT_TOKEN"] = token,
            },
            StandardErrorLines = standardErrorLine,
        });
}
