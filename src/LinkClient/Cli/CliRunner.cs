using System.ComponentModel;
using System.Diagnostics;

namespace CheckoutAgent.Link.Cli;

/// <summary>What one CLI run produced.</summary>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="Stdout">Everything written to stdout.</param>
/// <param name="Stderr">Everything written to stderr.</param>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the CLI once; a seam so the polling logic can be tested without a process.</summary>
internal interface ICliRunner
{
    Task<CliRun> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>
/// Starts <c>link-cli</c> as a child process: arguments through <see cref="ProcessStartInfo.ArgumentList"/> (no shell,
/// no quoting), stdin closed at once, stdout and stderr captured, the whole process tree killed on timeout or
/// cancellation.
/// </summary>
internal sealed class ProcessCliRunner(LinkCliOptions options) : ICliRunner
{
    // Inherited variables that would make link-cli ignore the configured auth file.
    private static readonly string[] TokenVariables = ["LINK_ACCESS_TOKEN", "LINK_REFRESH_TOKEN", "LINK_AUTH_FILE"];

    public async Task<CliRun> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var argument in options.LeadingArguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        if (options.AuthFile is not null)
        {
            foreach (var name in TokenVariables)
            {
                start.Environment.Remove(name);
            }
        }
        if (options.ApiBaseUrl is not null)
        {
            start.Environment["LINK_API_BASE_URL"] = options.ApiBaseUrl.ToString().TrimEnd('/');
        }
        if (options.AuthBaseUrl is not null)
        {
            start.Environment["LINK_AUTH_BASE_URL"] = options.AuthBaseUrl.ToString().TrimEnd('/');
        }
        foreach (var (name, value) in options.Environment)
        {
            start.Environment[name] = value;
        }
        start.Environment["NO_UPDATE_NOTIFIER"] = "1";

        using var process = new Process { StartInfo = start };
        try
        {
            if (!process.Start())
            {
                throw Unavailable($"'{options.ExecutablePath}' did not start.");
            }
        }
        catch (Win32Exception ex)
        {
            throw Unavailable($"'{options.ExecutablePath}' could not be started ({ex.Message}).", ex);
        }

        // Nothing is ever typed into the CLI: a prompt must fail rather than hang.
        process.StandardInput.Close();

        using var timeoutSource = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new LinkException(LinkErrorCodes.CliUnavailable, FormattableString.Invariant(
                $"link-cli did not answer within {timeout.TotalSeconds:0.#} s and was stopped ({arguments[0]} {(arguments.Count > 1 ? arguments[1] : "")})."));
        }
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static LinkException Unavailable(string detail, Exception? inner = null) =>
        new(LinkErrorCodes.CliUnavailable,
            $"link-cli is not available: {detail} Install it with `npm install -g @stripe/link-cli` (then `link-cli auth login`), "
            + $"or set {LinkCliOptions.SectionName}:{nameof(LinkCliOptions.ExecutablePath)} to its full path.", null, inner);
}
