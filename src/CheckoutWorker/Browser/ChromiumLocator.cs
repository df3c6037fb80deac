namespace CheckoutAgent.Worker.Browser;

/// <summary>No usable Chromium: the message says how to install one.</summary>
public sealed class BrowserNotFoundException : Exception
{
    public BrowserNotFoundException(string message) : base(message) { }
    public BrowserNotFoundException() { }
    public BrowserNotFoundException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Finds the system Chromium: Playwright's own browser download is never used.</summary>
public static class ChromiumLocator
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"];

    public static string Find(string? configuredPath)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return File.Exists(configuredPath)
                ? configuredPath
                : throw new BrowserNotFoundException(
                    $"Browser:ExecutablePath is set to '{configuredPath}', but no file is there. Fix the path or unset it to use the system Chromium.");
        }
        foreach (var candidate in Candidates)
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
            "No Chromium found (looked for /usr/bin/chromium, chromium-browser and google-chrome on PATH). " +
            "Install Debian's package with 'sudo apt-get install chromium' (or run 'make demo', which does it), " +
            "or set Browser:ExecutablePath (environment: Browser__ExecutablePath) to a Chromium binary.");
    }
}
