using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using CheckoutAgent.Link.Cli;

namespace CheckoutAgent.Tests.LinkClient.Cli;

/// <summary>
/// The stand-in <c>link-cli</c> (tests/LinkCliStandIn) as the tests run it. The test project references it with
/// <c>ReferenceOutputAssembly=false</c>, so building the tests builds it; its output folder is baked into this
/// assembly as metadata (<c>LinkCliStandInDirectory</c>). It runs through its apphost, with <c>DOTNET_ROOT</c> set to
/// the runtime running the tests so the apphost finds .NET wherever it is installed; without an apphost it falls back
/// to <c>dotnet link-cli.dll</c>.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class StandInCli
{
    public static string Directory { get; } = Path.GetFullPath(typeof(StandInCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "LinkCliStandInDirectory").Value!);

    // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>
    public static string DotnetRoot { get; } =
        Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static string AppHost => Path.Combine(Directory, "link-cli");

    /// <summary>Options for <see cref="LinkCliClient"/> that run the stand-in.</summary>
    public static LinkCliOptions Options(string? authFile = null, Uri? apiBaseUrl = null, Uri? authBaseUrl = null)
    {
        var options = new LinkCliOptions { AuthFile = authFile, ApiBaseUrl = apiBaseUrl, AuthBaseUrl = authBaseUrl, CallTimeout = TimeSpan.FromSeconds(30) };
        if (File.Exists(AppHost))
        {
            options.ExecutablePath = AppHost;
            options.Environment["DOTNET_ROOT"] = DotnetRoot;
        }
        else
        {
            options.ExecutablePath = Path.Combine(DotnetRoot, "dotnet");
            options.LeadingArguments.Add(Path.Combine(Directory, "link-cli.dll"));
        }
        return options;
    }

    /// <summary>Runs the stand-in directly, as an agent would type it.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
    {
        var options = Options();
        var start = new ProcessStartInfo(options.ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in options.LeadingArguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in options.Environment)
        {
            start.Environment[name] = value;
        }
        foreach (var name in new[] { "LINK_ACCESS_TOKEN", "LINK_REFRESH_TOKEN", "LINK_AUTH_FILE", "LINK_API_BASE_URL", "LINK_AUTH_BASE_URL", "LINK_NO_REFRESH" })
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Writes a logged-in auth file (link-api.md §5) and returns its path.</summary>
    public static string WriteAuthFile(string directory, string accessToken = "test_access_token", string refreshToken = "test_refresh_token", long? expiresAtMs = 4102444800000)
    {
        var path = Path.Combine(directory, "auth-" + Guid.NewGuid().ToString("N") + ".json");
        var expires = expiresAtMs is { } ms ? FormattableString.Invariant($",\"expires_at\":{ms}") : "";
        File.WriteAllText(path, $"{{\"auth\":{{\"access_token\":\"{accessToken}\",\"refresh_token\":\"{refreshToken}\",\"expires_in\":3600,\"token_type\":\"Bearer\"{expires}}},\"pendingDeviceAuth\":null}}");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
