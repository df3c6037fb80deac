using CheckoutAgent.Worker.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Browser;

/// <summary>
/// One Chromium per worker, started on first use and restarted if it dies; each purchase gets a fresh context
/// (no shared cookies, storage or cache). Tracing, HAR and video are never turned on: they record typed values.
/// </summary>
public sealed class BrowserPool(IOptions<BrowserOptions> options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>A new isolated context on the shared browser.</summary>
    public async Task<IBrowserContext> NewContextAsync(CancellationToken cancellationToken)
    {
        var browser = await GetBrowserAsync(cancellationToken);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1024, Height = 900 },
            Locale = "en-US",
            TimezoneId = "UTC",
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });
        context.SetDefaultTimeout((float)options.Value.StepTimeout.TotalMilliseconds);
        return context;
    }

    private async Task<IBrowser> GetBrowserAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_browser is { IsConnected: true })
            {
                return _browser;
            }
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
                _browser = null;
            }
            var executable = ChromiumLocator.Find(options.Value.ExecutablePath);
            if (_playwright is null)
            {
                // The driver inherits our environment; DEBUG=pw:api / pw:protocol would print every typed value.
                Environment.SetEnvironmentVariable("DEBUG", null);
                Environment.SetEnvironmentVariable("PWDEBUG", null);
                Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
                _playwright = await Playwright.CreateAsync();
            }
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = options.Value.Headless,
                Args =
                [
                    // Root in containers has no user namespace sandbox; the closed network makes these chatty.
                    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--metrics-recording-only",
                    "--password-store=basic", "--disable-features=AutofillServerCommunication,Translate,OptimizationHints",
                ],
            });
            return _browser;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        _gate.Dispose();
    }
}
