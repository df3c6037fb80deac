using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Browser;

/// <summary>
/// One Chromium per worker, started on first use and restarted if it dies; each purchase gets a fresh context
/// (no shared cookies, storage or cache). Tracing, HAR and video are never turned on: they record typed values.
/// </summary>
public sealed class BrowserPool(IOptions<BrowserOptions> options, ILogger<BrowserPool>? logger = null) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>
    /// Chromium's switches, shared with the benchmark's baseline so both drive the very same browser.
    /// Root in containers has no user namespace sandbox; the closed network makes the rest chatty.
    /// </summary>
    internal static IReadOnlyList<string> LaunchArguments { get; } =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps", "--metrics-recording-only",
        "--password-store=basic", "--disable-features=AutofillServerCommunication,Translate,OptimizationHints",
    ];

    /// <summary>What every purchase's context looks like (also the benchmark baseline's).</summary>
    internal static BrowserNewContextOptions ContextOptions(string? storageState = null) => new()
    {
        ViewportSize = new ViewportSize { Width = 1024, Height = 900 },
        Locale = "en-US",
        TimezoneId = "UTC",
        ServiceWorkers = ServiceWorkerPolicy.Block,
        // A merchant account's kept session (cookies and local storage of that one shop); never another account's.
        StorageState = storageState,
    };

    /// <summary>
    /// A new isolated context on the shared browser. A browser that died (killed, crashed) is replaced: if it is
    /// already seen as disconnected, before asking it; if it dies unnoticed, when opening the context fails, once.
    /// </summary>
    public Task<IBrowserContext> NewContextAsync(CancellationToken cancellationToken) => NewContextAsync(null, cancellationToken);

    /// <summary>A new isolated context that starts with <paramref name="storageState"/> (Playwright's JSON), when given.</summary>
    public async Task<IBrowserContext> NewContextAsync(string? storageState, CancellationToken cancellationToken)
    {
        var browser = await GetBrowserAsync(null, cancellationToken);
        IBrowserContext context;
        try
        {
            context = await browser.NewContextAsync(ContextOptions(storageState));
        }
        catch (PlaywrightException ex)
        {
            // The process can be gone before Playwright reports the disconnection: start another and try once more.
            Log.BrowserRestarting(_logger, ex.GetType().Name);
            browser = await GetBrowserAsync(browser, cancellationToken);
            context = await browser.NewContextAsync(ContextOptions(storageState));
        }
        context.SetDefaultTimeout((float)options.Value.StepTimeout.TotalMilliseconds);
        return context;
    }

    /// <summary>Starts the browser now, ahead of the first checkout. A failure is left for that checkout to report.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await GetBrowserAsync(null, cancellationToken);
        }
        catch (Exception ex) when (ex is PlaywrightException or BrowserNotFoundException or OperationCanceledException)
        {
            Log.BrowserWarmUpFailed(_logger, ex.GetType().Name);
        }
    }

    /// <summary>The running browser, started now if there is none, it disconnected, or it is <paramref name="broken"/>.</summary>
    private async Task<IBrowser> GetBrowserAsync(IBrowser? broken, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_browser is { IsConnected: true } && _browser != broken)
            {
                return _browser;
            }
            if (_browser is not null)
            {
                if (broken is null)
                {
                    Log.BrowserRestarting(_logger, "disconnected");
                }
                await DisposeQuietlyAsync(_browser);
                _browser = null;
            }
            var executable = ChromiumLocator.Find(options.Value.ExecutablePath, options.Value.Headless);
            _playwright ??= await StartDriverAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = options.Value.Headless,
                Args = LaunchArguments,
            });
            return _browser;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts Playwright's driver without the debug switches that would make it print every typed value.</summary>
    internal static Task<IPlaywright> StartDriverAsync()
    {
        // The driver inherits our environment; DEBUG=pw:api / pw:protocol would print every typed value.
        Environment.SetEnvironmentVariable("DEBUG", null);
        Environment.SetEnvironmentVariable("PWDEBUG", null);
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        return Playwright.CreateAsync();
    }

    private static async Task DisposeQuietlyAsync(IBrowser browser)
    {
        try
        {
            await browser.DisposeAsync();
        }
        catch (PlaywrightException)
        {
            // Already dead: nothing left to close.
        }
    }

    public async ValueTask DisposeAsync()
    {
        // After a start in progress (an early start may still be launching), not under it.
        await _gate.WaitAsync();
        if (_browser is not null)
        {
            await DisposeQuietlyAsync(_browser);
        }
        _playwright?.Dispose();
        _gate.Dispose();
    }
}

/// <summary>With <c>Browser:StartEarly</c>, starts Chromium beside the rest of the worker's start-up instead of at the first checkout.</summary>
public sealed class BrowserWarmUp(BrowserPool browsers, IOptions<BrowserOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.StartEarly)
        {
            // Not awaited: the worker is ready at once, and the first checkout waits on the same start if it comes first.
            _ = Task.Run(() => browsers.WarmUpAsync(CancellationToken.None), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
