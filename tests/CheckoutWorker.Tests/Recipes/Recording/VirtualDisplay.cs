using System.Diagnostics;

namespace CheckoutAgent.Tests.Recipes.Recording;

/// <summary>
/// An X display for headed Chromium: the session's own when <c>DISPLAY</c> is set, otherwise a private Xvfb (Debian's
/// <c>xvfb</c>, which <c>make test</c> installs) started on a free display number and stopped with the fixture.
/// </summary>
internal sealed class VirtualDisplay : IDisposable
{
    private readonly Process? _xvfb;

    private VirtualDisplay(string name, Process? xvfb) => (Name, _xvfb) = (name, xvfb);

    /// <value>The display to pass as <c>DISPLAY</c>, e.g. <c>:97</c>.</value>
    public string Name { get; }

    public static VirtualDisplay Start()
    {
        if (Environment.GetEnvironmentVariable("DISPLAY") is { Length: > 0 } existing)
        {
            return new VirtualDisplay(existing, null);
        }
        const string xvfb = "/usr/bin/Xvfb";
        if (!File.Exists(xvfb))
        {
            throw new InvalidOperationException("The recording tests need a display: install Debian's xvfb ('sudo apt-get install xvfb'; make test does it) or set DISPLAY.");
        }
        for (var number = 90; number < 140; number++)
        {
            if (File.Exists($"/tmp/.X{number}-lock") || File.Exists($"/tmp/.X11-unix/X{number}"))
            {
                continue;
            }
            var process = Process.Start(new ProcessStartInfo(xvfb, [$":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var started = Stopwatch.StartNew();
            while (started.Elapsed < TimeSpan.FromSeconds(10) && !process.HasExited)
            {
                if (File.Exists($"/tmp/.X11-unix/X{number}"))
                {
                    return new VirtualDisplay($":{number}", process);
                }
                Thread.Sleep(50);
            }
            if (!process.HasExited)
            {
                process.Kill();
            }
            process.Dispose(); // another Xvfb took the number meanwhile: try the next
        }
        throw new InvalidOperationException("Xvfb did not start on any display from :90 to :139.");
    }

    public void Dispose()
    {
        if (_xvfb is { HasExited: false })
        {
            _xvfb.Kill();
            _xvfb.WaitForExit(5000);
        }
        _xvfb?.Dispose();
    }
}
