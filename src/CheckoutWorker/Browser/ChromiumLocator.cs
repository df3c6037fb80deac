namespace CheckoutAgent.Worker.Browser;

/// <summary>No usable Chromium: the message says how to install one.</summary>
public sealed class BrowserNotFoundException : Exception
{
    public BrowserNotFoundException(string message) : base(message) { }
    public BrowserNotFoundException() { }
    public BrowserNotFoundException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Finds the system Chromium: Playwright's own browser download is never used. Headless runs prefer Debian's
/// <c>chromium-headless-shell</c> (the old headless mode, no browser UI to drive: about half the CPU per checkout of the
/// full browser, see docs/performance.md), as Playwright itself does; headed runs need the full <c>chromium</c>.
/// </summary>
public static class ChromiumLocator
{
    /// <summary>Where Debian's <c>chromium-headless-shell</c> package puts its binary.</summary>
    public const string HeadlessShellPath = "/usr/bin/chromium-headless-shell";

    private static readonly string[] HeadlessShellCandidates = [HeadlessShellPath, "chromium-headless-shell"];
    private static readonly string[] FullCandidates = ["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"];

    /// <summary>
    /// The Chromium to launch: <paramref name="configuredPath"/> when set (it must exist), else the environment's
    /// <c>Browser__ExecutablePath</c> (so one variable forces a binary for every verb and test), otherwise the headless
    /// shell for a <paramref name="headless"/> run when installed, otherwise the first full Chromium found.
    /// </summary>
    public static string Find(string? configuredPath, bool headless = true)
    {
        if (string.IsNullOrWhiteSpace(configuredPath))
        {
            configuredPath = Environment.GetEnvironmentVariable("Browser__ExecutablePath");
        }
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return File.Exists(configuredPath)
                ? configuredPath
                : throw new BrowserNotFoundException(
                    $"Browser:ExecutablePath is set to '{configuredPath}', but no file is there. Fix the path or unset it to use the system Chromium.");
        }
        var candidates = headless ? HeadlessShellCandidates.Concat(FullCandidates) : FullCandidates;
        foreach (var candidate in candidates)
        {
            if (Path.IsPathRooted(candidate))
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
                continue;
            }
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, candidate))
                .FirstOrDefault(File.Exists);
            if (onPath is not null)
            {
                return onPath;
            }
        }
        throw new BrowserNotFoundException(
            (headless
                ? "No Chromium found (looked for chromium-headless-shell, /usr/bin/chromium, chromium-browser and google-chrome on PATH). "
                : "No full Chromium found for a headed run (looked for /usr/bin/chromium, chromium-browser and google-chrome on PATH; the headless shell cannot show a window). ") +
            "Install Debian's packages with 'sudo apt-get install chromium chromium-headless-shell' (or run 'make demo', which does it), " +
            "or set Browser:ExecutablePath (environment: Browser__ExecutablePath) to a Chromium binary.");
    }

    /// <summary>True for the headless shell (by its file name): no browser UI, headless only.</summary>
    public static bool IsHeadlessShell(string executable) =>
        Path.GetFileName(executable).Contains("headless-shell", StringComparison.Ordinal)
        || Path.GetFileName(executable).Equals("headless_shell", StringComparison.Ordinal);

    /// <summary>"/usr/bin/chromium-headless-shell (headless shell)" or "/usr/bin/chromium (full Chromium)": for start-up lines and reports.</summary>
    public static string Describe(string executable) =>
        $"{executable} ({(IsHeadlessShell(executable) ? "headless shell" : "full Chromium")})";

    /// <summary>The start-up line's browser part: what <see cref="Find"/> would launch, or that none was found.</summary>
    public static string DescribeChoice(string? configuredPath, bool headless)
    {
        try
        {
            return Describe(Find(configuredPath, headless)) + (headless ? ", headless" : ", headed");
        }
        catch (BrowserNotFoundException)
        {
            return "none found (checkouts fail until Chromium is installed: make chromium)";
        }
    }
}
