using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace CheckoutAgent.DemoMerchant.Tests;

/// <summary>
/// Drives the system Chromium with Playwright directly against real demo shops: one browser per fixture, a fresh
/// context (own cookies) per buyer, shops and contexts closed after each test.
/// </summary>
[Category("Browser")]
public abstract class BrowserTestBase
{
    /// <summary>Test card number; the recording issuer approves anything unless a test says otherwise.</summary>
    protected const string CardNumber = "4242424242424242";
    protected const string CardCvc = "739";

    /// <summary>Short: every wait in these tests is for something the page does within a second or two.</summary>
    protected const float ShortTimeout = 1000;

    private readonly List<IAsyncDisposable> _cleanup = [];
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    private protected CapturingLoggerProvider Logs { get; private set; } = null!;

    private ILoggerFactory _loggerFactory = null!;

    [OneTimeSetUp]
    public async Task LaunchBrowserAsync()
    {
        // The driver inherits our environment: debug switches would print every typed value; never download browsers.
        Environment.SetEnvironmentVariable("DEBUG", null);
        Environment.SetEnvironmentVariable("PWDEBUG", null);
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            // As the worker chooses: Browser__ExecutablePath when set (to run these once with each binary), else the
            // headless shell when installed, else the full browser.
            ExecutablePath = Environment.GetEnvironmentVariable("Browser__ExecutablePath") is { Length: > 0 } forced ? forced
                : File.Exists("/usr/bin/chromium-headless-shell") ? "/usr/bin/chromium-headless-shell" : "/usr/bin/chromium",
            Headless = true,
            // Root in containers has no user namespace sandbox.
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
        });
    }

    [OneTimeTearDown]
    public async Task CloseBrowserAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    [SetUp]
    public void StartLogs()
    {
        Logs = new CapturingLoggerProvider();
        _loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
    }

    [TearDown]
    public async Task CleanUpAsync()
    {
        // Newest first: contexts close before the shops they talk to.
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            await _cleanup[i].DisposeAsync();
        }
        _cleanup.Clear();
        _loggerFactory.Dispose();
        Logs.Dispose();
    }

    protected async Task<DemoShop> StartShopAsync(DemoShopOptions options, IPaymentAuthorizer? authorizer = null)
    {
        var shop = await DemoShop.StartAsync(options, authorizer ?? RecordingAuthorizer.Approving(), _loggerFactory);
        _cleanup.Add(shop);
        return shop;
    }

    /// <summary>A page in a fresh browser context: its own cookies, like another buyer (or the same one later).</summary>
    protected async Task<IPage> NewPageAsync(BrowserNewContextOptions? options = null)
    {
        var context = await _browser.NewContextAsync(options ?? new BrowserNewContextOptions());
        _cleanup.Add(context);
        return await context.NewPageAsync();
    }

    /// <summary>Product page → one item in the cart → the checkout link, as a buyer clicks through.</summary>
    protected static async Task GoToCheckoutAsync(IPage page, DemoShop shop)
    {
        await page.GotoAsync(shop.ProductUrl("pour-over-dripper").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
        // Page scripts run at the end of the document: a click returns once the navigation commits, before they ran;
        // they have run by DOMContentLoaded ("load" also waits for every subresource, which a loaded machine can stall).
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }

    protected static ILocator Field(IPage page, string label) => page.GetByLabel(label, new() { Exact = true });

    protected static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    /// <summary>The contact and shipping fields of the one-form checkout.</summary>
    protected static async Task FillShippingAsync(IPage page, bool withEmail = true)
    {
        if (withEmail)
        {
            await Field(page, "Email").FillAsync("ada@example.com");
        }
        await Field(page, "Full name").FillAsync("Ada Lovelace");
        await Field(page, "Address").FillAsync("12 Analytical Row");
        await Field(page, "City").FillAsync("London");
        await Field(page, "Postal code").FillAsync("94105");
        await Field(page, "Country").FillAsync("US");
    }

    /// <summary>The card fields of the plain one-form checkout (one MM/YY expiry field).</summary>
    protected static async Task FillCardAsync(IPage page)
    {
        await Field(page, "Card number").FillAsync(CardNumber);
        await Field(page, "Expiry (MM/YY)").FillAsync("04/31");
        await Field(page, "CVC").FillAsync(CardCvc);
        await Field(page, "Name on card").FillAsync("ADA LOVELACE");
    }

    /// <summary>Clicks <c>Pay now</c> and returns the order number the confirmation shows.</summary>
    protected static async Task<string> PayAsync(IPage page)
    {
        await Button(page, "Pay now").ClickAsync();
        var number = page.GetByTestId("order-number");
        await number.WaitForAsync(new() { Timeout = 5000 });
        return await number.InnerTextAsync();
    }
}
