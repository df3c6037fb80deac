using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Purchases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace CheckoutAgent.Tests;

/// <summary>The real worker host (SQLite, Quartz, Serilog) on a fresh temp data directory, with a Link sandbox.</summary>
internal sealed class TestWorker : IAsyncDisposable
{
    private readonly IHost _host;

    private TestWorker(IHost host, LinkSandbox sandbox, string dataDirectory)
    {
        _host = host;
        Sandbox = sandbox;
        DataDirectory = dataDirectory;
    }

    public LinkSandbox Sandbox { get; }
    public string DataDirectory { get; }
    public PurchaseStore Store => _host.Services.GetRequiredService<PurchaseStore>();
    public PurchasePipeline Pipeline => _host.Services.GetRequiredService<PurchasePipeline>();
    public CardVault Vault => _host.Services.GetRequiredService<CardVault>();
    public IServiceProvider Services => _host.Services;

    public static async Task<TestWorker> StartAsync(LinkSandbox sandbox, IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var dataDirectory = DataDirectoryTest.NewDataDirectory();
        var settings = new WorkerHostSettings { Sandbox = sandbox, ConsoleLogLevel = LogEventLevel.Warning };
        settings.Configuration["Worker:DataDirectory"] = dataDirectory;
        settings.Configuration["Link:ApprovalPollInterval"] = "00:00:00.050";
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
        {
            settings.Configuration[key] = value;
        }
        await TestStorage.ConfigureAsync(settings.Configuration);
        var host = WorkerHost.Build(settings);
        await host.StartAsync();
        return new TestWorker(host, sandbox, dataDirectory);
    }

    public Task<PurchaseRecord> EnqueueAsync(PurchaseRequest request) =>
        _host.Services.GetRequiredService<PurchaseQueue>().EnqueueAsync(request, CancellationToken.None);

    /// <summary>Waits until the purchase reaches a terminal status (the test fails after the timeout).</summary>
    public async Task<PurchaseRecord> WaitForEndAsync(string purchaseId, TimeSpan? timeout = null)
    {
        var (ended, purchase) = await Poll.TryUntilAsync(
            () => Store.GetAsync(purchaseId, CancellationToken.None),
            purchase => purchase is not null && PurchaseStatus.IsTerminal(purchase.Status),
            timeout ?? TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50));
        return ended ? purchase! : throw new TimeoutException($"Purchase {purchaseId} did not end in time.");
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        try
        {
            DataDirectoryTest.Delete(DataDirectory);
        }
        catch (IOException)
        {
            // A log file still closing; the temp folder is cleaned by the OS later.
        }
    }
}
