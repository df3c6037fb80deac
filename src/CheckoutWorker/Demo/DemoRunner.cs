using System.Diagnostics;
using System.Globalization;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Hosting;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serilog.Events;

namespace CheckoutAgent.Worker.Demo;

/// <summary>How to run the demo.</summary>
public sealed record DemoSettings
{
    public string DataDirectory { get; init; } = ".checkout-agent";
    public SandboxApprovalMode Approval { get; init; } = SandboxApprovalMode.Auto;
    /// <value>How the card holder answers a 3-D Secure confirmation (the three-ds variant); <see cref="SandboxAuthenticationMode.Manual"/>
    /// with nobody at the page is "never". Default auto.</value>
    public SandboxAuthenticationMode Authentication { get; init; } = SandboxAuthenticationMode.Auto;
    /// <value>Which checkout shape the demo shop serves. Default <c>single-page</c>.</value>
    public DemoVariant Variant { get; init; } = DemoVariant.SinglePage;
    /// <value>Recipe name; null: the shipped recipe of <see cref="Variant"/> (see <see cref="DemoRunner.RecipeFor"/>).</value>
    public string? Recipe { get; init; }
    public string Sku { get; init; } = "pour-over-dripper";
    public int Quantity { get; init; } = 1;
    /// <value>Overrides the amount asked of Link (default: the shop's price × quantity). For trying a total mismatch.</value>
    public long? Amount { get; init; }
    public LogEventLevel ConsoleLogLevel { get; init; } = LogEventLevel.Warning;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(3);
    /// <value>Extra configuration (e.g. <c>Link:ApprovalTimeout</c>).</value>
    public IReadOnlyDictionary<string, string?> Configuration { get; init; } = new Dictionary<string, string?>();
    /// <value>When set, the worker reaches Link through this <c>link-cli</c> (the real one, or the tests' stand-in),
    /// talking to a local Link emulator over HTTP, instead of the in-process sandbox.</value>
    public DemoLinkCli? LinkCli { get; init; }
}

/// <summary>How to run <c>link-cli</c> for the demo.</summary>
/// <param name="ExecutablePath">The executable (a name on PATH or a path).</param>
/// <param name="LeadingArguments">Arguments before every command (e.g. a .dll for <c>dotnet</c>).</param>
/// <param name="Environment">Extra environment for the child process (e.g. <c>DOTNET_ROOT</c>).</param>
public sealed record DemoLinkCli(string ExecutablePath, IReadOnlyList<string> LeadingArguments, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>Just an executable.</summary>
    public DemoLinkCli(string executablePath) : this(executablePath, [], new Dictionary<string, string>()) { }
}

/// <summary>What the demo did: the outcome, plus the parts a test inspects.</summary>
/// <param name="PaymentAttempts">How many times the shop asked the issuer to authorize (approved or not).</param>
/// <param name="CardTokenRequests">How many times a card iframe was asked to tokenize a card.</param>
public sealed record DemoResult(PurchaseOutcome Outcome, IReadOnlyList<PurchaseEvent> Timeline, LinkSandbox Sandbox, IReadOnlyList<DemoOrder> Orders,
    int PaymentAttempts = 0, int CardTokenRequests = 0);

/// <summary>
/// Starts the Link sandbox, the demo shop and the worker in one process, queues one purchase, reports each step
/// as it happens, and returns the outcome. No network beyond 127.0.0.1.
/// </summary>
public static class DemoRunner
{
    /// <summary>The host the demo recipes name for the shop's card processor; the demo maps it to the real local origin.</summary>
    public const string CardProcessorHost = "pay.demo.test";

    /// <summary>Who buys in the demo and in <c>recipe test</c>.</summary>
    public static Buyer SampleBuyer { get; } = new("jane.doe@example.com", "Jane Doe");

    /// <summary>Where the demo and <c>recipe test</c> ship to.</summary>
    public static ShippingAddress SampleShipping { get; } = new("Jane Doe", "510 Townsend St", null, "San Francisco", "CA", "94103", "US");

    /// <summary>The shipped recipe of a variant: <c>demo-shop</c> for single-page, else <c>demo-NAME</c>.</summary>
    public static string RecipeFor(DemoVariant variant) => variant == DemoVariant.SinglePage ? "demo-shop" : "demo-" + variant.Name();

    /// <summary>The worker configuration that lets recipes reach a running demo shop's card processor.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ShopConfiguration(DemoShop shop) =>
        [new($"{RecipeOptions.SectionName}:OriginAliases:{CardProcessorHost}", shop.CardProcessorOrigin)];

    /// <summary>
    /// The demo's purchase at a running demo shop: <paramref name="quantity"/> of one product for Jane Doe, through
    /// <paramref name="recipe"/>, asking Link for <paramref name="amount"/> (default: the shop's price × quantity).
    /// </summary>
    public static PurchaseRequest Request(DemoShop shop, DemoShopOptions shopOptions, string sku, int quantity, string recipe, long? amount = null)
    {
        var product = shopOptions.Products.FirstOrDefault(p => p.Sku == sku)
            ?? throw new ArgumentException($"The demo shop has no product '{sku}'.", nameof(sku));
        var total = amount ?? product.Price * quantity;
        return new PurchaseRequest
        {
            Recipe = recipe,
            MerchantUrl = shop.BaseUrl.GetLeftPart(UriPartial.Authority),
            Items = [new PurchaseItem(product.Name, quantity, product.Price, shop.ProductUrl(product.Sku).ToString())],
            Amount = total,
            Currency = "usd",
            Context = $"Buying {quantity} x {product.Name} ({Money.Format(total, "usd")}) from the local {shopOptions.ShopName} shop " +
                      "for the CheckoutAgent demo: a one-time sandbox purchase, shipped to Jane Doe in San Francisco. No real money moves.",
            Buyer = SampleBuyer,
            Shipping = SampleShipping,
        };
    }

    public static async Task<DemoResult> RunAsync(DemoSettings settings, TextWriter progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var linkConfiguration = new Dictionary<string, string?>();
        LinkEmulatorServer? emulator = null;
        LinkSandbox sandbox;
        if (settings.LinkCli is { } cli)
        {
            emulator = await LinkEmulatorServer.StartAsync(new LinkEmulatorOptions
            {
                // "never" is a person who does not answer: the emulator's manual mode, with nobody at the approval page.
                Approval = settings.Approval switch
                {
                    SandboxApprovalMode.Deny => EmulatorApprovalMode.Deny,
                    SandboxApprovalMode.Never => EmulatorApprovalMode.Manual,
                    _ => EmulatorApprovalMode.Auto,
                },
                Sandbox = new LinkSandboxOptions { Authentication = settings.Authentication },
            }, cancellationToken: cancellationToken);
            sandbox = emulator.Sandbox;
            var authDirectory = CardFile.EnsurePrivateDirectory(Path.Combine(Path.GetFullPath(settings.DataDirectory), "link-cli"));
            var authFile = Path.Combine(authDirectory, "auth.json");
            File.Delete(authFile);
            emulator.WriteAuthFile(authFile);
            linkConfiguration["Link:Transport"] = "cli";
            linkConfiguration["Link:Cli:ExecutablePath"] = cli.ExecutablePath;
            for (var i = 0; i < cli.LeadingArguments.Count; i++)
            {
                linkConfiguration[string.Create(CultureInfo.InvariantCulture, $"Link:Cli:LeadingArguments:{i}")] = cli.LeadingArguments[i];
            }
            foreach (var (name, value) in cli.Environment)
            {
                linkConfiguration["Link:Cli:Environment:" + name] = value;
            }
            linkConfiguration["Link:Cli:AuthFile"] = authFile;
            linkConfiguration["Link:Cli:ApiBaseUrl"] = emulator.ApiBaseUrl.ToString();
            linkConfiguration["Link:Cli:AuthBaseUrl"] = emulator.AuthBaseUrl.ToString();
            progress.WriteLine($"Link emulator at {emulator.ApiBaseUrl} (approval: {settings.Approval.ToString().ToLowerInvariant()}), reached through {cli.ExecutablePath}");
        }
        else
        {
            sandbox = new LinkSandbox(new LinkSandboxOptions { Approval = settings.Approval, Authentication = settings.Authentication });
            progress.WriteLine($"Link sandbox ready (approval: {settings.Approval.ToString().ToLowerInvariant()})");
        }
        await using var emulatorScope = emulator;
        var shopOptions = new DemoShopOptions { Variant = settings.Variant };
        await using var shop = await DemoShop.StartAsync(shopOptions, new SandboxIssuer(sandbox), ct: cancellationToken);
        var request = Request(shop, shopOptions, settings.Sku, settings.Quantity, settings.Recipe ?? RecipeFor(settings.Variant), settings.Amount);
        progress.WriteLine($"Demo shop \"{shopOptions.ShopName}\" ({settings.Variant.Name()}) listening on {shop.BaseUrl}, card processor on {shop.CardProcessorOrigin}");

        var hostSettings = new WorkerHostSettings { ConsoleLogLevel = settings.ConsoleLogLevel, Sandbox = sandbox };
        foreach (var (key, value) in settings.Configuration)
        {
            hostSettings.Configuration[key] = value;
        }
        foreach (var (key, value) in linkConfiguration)
        {
            hostSettings.Configuration[key] = value;
        }
        hostSettings.Configuration["Worker:DataDirectory"] = settings.DataDirectory;
        foreach (var (key, value) in ShopConfiguration(shop))
        {
            hostSettings.Configuration[key] = value;
        }
        // The sandbox answers at once; poll it often so the demo does not sit idle.
        hostSettings.Configuration.TryAdd("Link:ApprovalPollInterval", "00:00:00.100");
        // Chromium starts while the purchase is queued and approved, not after.
        hostSettings.Configuration.TryAdd("Browser:StartEarly", "true");
        using var host = WorkerHost.Build(hostSettings);
        await host.StartAsync(cancellationToken);
        var browser = host.Services.GetRequiredService<IOptions<BrowserOptions>>().Value;
        progress.WriteLine($"Browser: {ChromiumLocator.DescribeChoice(browser.ExecutablePath, browser.Headless)}");

        if (settings.Variant == DemoVariant.Account)
        {
            // The shop has no guest checkout: store the demo shop's own login (password and authenticator secret) the
            // way an owner would with 'checkout-agent account add', encrypted in this data directory.
            var accounts = host.Services.GetRequiredService<AccountService>();
            var accountHost = AccountService.HostOf(request.MerchantUrl!);
            await accounts.RemoveAsync(accountHost, cancellationToken);
            var added = await accounts.AddAsync(accountHost, shopOptions.AccountEmail, shopOptions.AccountPassword,
                TotpSecret.Parse(shopOptions.AccountTotpSecret), cancellationToken);
            progress.WriteLine($"Demo account for {added.Host} stored encrypted ({added.Username}, one-time codes from an authenticator secret)");
        }

        var store = host.Services.GetRequiredService<PurchaseStore>();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnEvent(PurchaseEvent e)
        {
            var duration = e.DurationMs is { } ms ? $" ({ms} ms)" : "";
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{started.Elapsed.TotalSeconds,6:0.00}s] {e.Kind,-17} {e.Message}{duration}"));
            if (PurchaseStatus.IsTerminal(e.Kind))
            {
                finished.TrySetResult();
            }
        }
        store.EventAppended += OnEvent;
        try
        {
            var purchase = await host.Services.GetRequiredService<PurchaseQueue>().EnqueueAsync(request, cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.Timeout);
            try
            {
                await finished.Task.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The demo purchase did not finish within {settings.Timeout.TotalSeconds:0}s.");
            }
            var record = await store.GetAsync(purchase.Id, cancellationToken);
            var timeline = await store.GetTimelineAsync(purchase.Id, cancellationToken);
            return new DemoResult(record!.Outcome!, timeline, sandbox, shop.Orders, shop.PaymentAttempts, shop.CardTokenRequests);
        }
        finally
        {
            store.EventAppended -= OnEvent;
            await host.StopAsync(CancellationToken.None);
        }
    }
}
