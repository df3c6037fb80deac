using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Tests.Webhooks;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Browser;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CheckoutAgent.Tests.OperatorConsole;

/// <summary>
/// What the console's browser tests share: the real <c>serve</c> host (<see cref="TestService"/>: Kestrel, the
/// configured storage engine, Quartz) with the demo shop and the Link sandbox behind it, a webhook receiver, three
/// agents (a buyer, an admin, a reader without <c>admin</c>), a stored merchant account (a canary only), one purchase
/// that succeeded and one left <c>outcome_unknown</c> for real: the shop holds its answer to the final click past
/// <c>Browser:OutcomeTimeout</c>, then places the order. And one headless Chromium for the tests' pages.
/// </summary>
internal sealed class ConsoleWorld : IAsyncDisposable
{
    /// <summary>Short, so the held purchase ends outcome_unknown quickly; the demo shop answers in well under it otherwise.</summary>
    private static readonly TimeSpan OutcomeTimeout = TimeSpan.FromSeconds(4);

    public const string AccountPassword = "console-canary-P4ssw0rd!";
    public const string AccountTotp = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _holds;

    private ConsoleWorld()
    {
    }

    public TestService Service { get; private set; } = null!;
    public WebhookReceiver Webhooks { get; private set; } = null!;
    public BrowserPool Browsers { get; private set; } = null!;
    public NewAgent Buyer { get; private set; } = null!;
    public NewAgent Admin { get; private set; } = null!;
    public NewAgent Reader { get; private set; } = null!;
    public HttpClient BuyerApi { get; private set; } = null!;
    public HttpClient AdminApi { get; private set; } = null!;
    public HttpClient ReaderApi { get; private set; } = null!;

    /// <value>The purchase that succeeded (with a receipt screenshot).</value>
    public string SucceededId { get; private set; } = "";

    /// <value>The purchase that ended outcome_unknown; the shop has an order for it (<see cref="HeldOrderNumber"/>).</value>
    public string UnknownId { get; private set; } = "";

    /// <value>The order the shop placed for <see cref="UnknownId"/> once its answer was released.</value>
    public string HeldOrderNumber { get; private set; } = "";

    /// <value>A second outcome_unknown purchase, for the API and CLI reconcile (so the browser test has its own).</value>
    public string ApiUnknownId { get; private set; } = "";

    /// <value>The order the shop placed for <see cref="ApiUnknownId"/>.</value>
    public string ApiHeldOrderNumber { get; private set; } = "";

    public DemoShop Shop => Service.Shop!;

    /// <value>The failed health check of the <c>broken</c> recipe.</value>
    public CheckoutAgent.Storage.RecipeCheckRecord BrokenCheck { get; private set; } = null!;

    public string Url(string path) => new Uri(Service.BaseAddress, path).ToString();

    public static async Task<ConsoleWorld> StartAsync()
    {
        var world = new ConsoleWorld();
        try
        {
            await world.StartCoreAsync();
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    /// <value>The recipes folder: the shipped demo-shop recipe, and <c>broken</c>, the same with its cart button renamed.</value>
    public string RecipesDirectory { get; } = DataDirectoryTest.NewDataDirectory();

    private static string ShippedRecipes()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CheckoutAgent.sln")))
            {
                return Path.Combine(dir.FullName, "recipes");
            }
        }
        throw new DirectoryNotFoundException("no CheckoutAgent.sln above the test folder");
    }

    private async Task StartCoreAsync()
    {
        Directory.CreateDirectory(RecipesDirectory);
        var recipe = await File.ReadAllTextAsync(Path.Combine(ShippedRecipes(), "demo-shop.yaml"));
        await File.WriteAllTextAsync(Path.Combine(RecipesDirectory, "demo-shop.yaml"), recipe);
        Webhooks = await WebhookReceiver.StartAsync();
        Service = await TestService.StartAsync(shopOptions: new DemoShopOptions
        {
            BeforeAuthorize = async ct =>
            {
                if (Interlocked.Decrement(ref _holds) >= 0)
                {
                    await _release.Task.WaitAsync(ct);
                }
            },
        }, configuration: WebhookReceiver.AllowingLoopback(new Dictionary<string, string?>
        {
            ["Browser:OutcomeTimeout"] = OutcomeTimeout.ToString(),
            ["Console:RefreshSeconds"] = "1",
            ["Worker:RecipesDirectory"] = RecipesDirectory,
            // The broken recipe's health check waits this long for the button that is gone.
            ["Browser:StepTimeout"] = "00:00:05",
        }));
        (BuyerApi, Buyer) = await Service.AddAgentAsync("buyer", "purchases:write,purchases:read");
        (AdminApi, Admin) = await Service.AddAgentAsync("ops-admin", "admin,purchases:read");
        (ReaderApi, Reader) = await Service.AddAgentAsync("reader", "purchases:read");
        await Service.Services.GetRequiredService<AccountService>()
            .AddAsync("accounts.example", "me@example.com", AccountPassword, CheckoutAgent.Worker.Accounts.TotpSecret.Parse(AccountTotp), CancellationToken.None);

        SucceededId = await PurchaseAsync();
        var succeeded = await TestService.WaitForEndAsync(BuyerApi, SucceededId);
        Assert.That(succeeded.GetProperty("status").GetString(), Is.EqualTo(PurchaseStatus.Succeeded), succeeded.ToString());

        // A recipe for the demo shop whose cart button the shop no longer has (written now: it names the running shop's
        // product page). Its health check runs while the next two purchases wait for their answer.
        Assert.That(recipe, Does.Contain("name: Add to cart").And.Contain("${job.product_url}"));
        await File.WriteAllTextAsync(Path.Combine(RecipesDirectory, "broken.yaml"), recipe
            .Replace("name: Add to cart", "name: Add to basket", StringComparison.Ordinal)
            .Replace("${job.product_url}", Shop.ProductUrl(DemoShopOptions.DefaultProducts[0].Sku).ToString(), StringComparison.Ordinal)
            .Replace("http://127.0.0.1:8080", Shop.BaseUrl.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal));
        var check = Task.Run(async () =>
        {
            return await Service.Services.GetRequiredService<CheckoutAgent.Worker.RecipeHealth.RecipeHealthChecker>()
                .CheckAsync("broken", CheckoutAgent.Worker.RecipeHealth.RecipeCheckTriggers.Api, null, CancellationToken.None);
        });
        // The next two final clicks get no answer before the outcome timeout: both purchases end outcome_unknown, for real.
        Interlocked.Exchange(ref _holds, 2);
        UnknownId = await PurchaseAsync();
        ApiUnknownId = await PurchaseAsync();
        var unknown = await Task.WhenAll(TestService.WaitForEndAsync(BuyerApi, UnknownId), TestService.WaitForEndAsync(BuyerApi, ApiUnknownId));
        foreach (var purchase in unknown)
        {
            Assert.That(purchase.GetProperty("status").GetString(), Is.EqualTo(PurchaseStatus.OutcomeUnknown), purchase.ToString());
        }
        // Then the merchant goes on and places both orders, as a real one would: the operator finds them by the card's last 4.
        _release.TrySetResult();
        var orders = await Poll.UntilAsync(() => Task.FromResult(Shop.Orders), o => o.Count == 3, TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(50), o => $"the shop placed {o.Count} orders, not 3");
        string OrderOf(JsonElement purchase) => orders.Single(o => o.CardLast4 == purchase.GetProperty("outcome").GetProperty("card_last4").GetString()).OrderNumber;
        HeldOrderNumber = OrderOf(unknown[0]);
        ApiHeldOrderNumber = OrderOf(unknown[1]);
        BrokenCheck = await check;
        Assert.That(BrokenCheck.Passed, Is.False, BrokenCheck.Message);

        Browsers = new BrowserPool(Microsoft.Extensions.Options.Options.Create(new BrowserOptions { StepTimeout = TimeSpan.FromSeconds(20) }));
    }

    private async Task<string> PurchaseAsync()
    {
        using var response = await TestService.PostPurchaseAsync(BuyerApi, Service.PurchaseBody(callbackUrl: Webhooks.Url()), Guid.NewGuid().ToString("N"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(201), text);
        using var created = JsonDocument.Parse(text);
        return created.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>A new browser context and page (own cookies), not signed in; dialogs (confirmations) are accepted.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browsers.NewContextAsync(CancellationToken.None);
        var page = await context.NewPageAsync();
        await page.SetViewportSizeAsync(width, height);
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        return (context, page);
    }

    /// <summary>Signs in through the form with <paramref name="token"/>; returns once the console or the refusal shows.</summary>
    public async Task SignInAsync(IPage page, string token)
    {
        await page.GotoAsync(Url("/console/sign-in"));
        await page.FillAsync("#token", token);
        await page.ClickAsync("#sign-in");
        await page.WaitForFunctionAsync("() => location.pathname !== '/console/sign-in' || document.querySelector('#sign-in-error') !== null");
    }

    /// <summary>The purchase as its agent (the buyer) reads it over the API.</summary>
    public async Task<JsonElement> GetPurchaseAsync(string id) => await BuyerApi.GetFromJsonAsync<JsonElement>($"/v1/purchases/{id}");

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        if (Browsers is not null)
        {
            await Browsers.DisposeAsync();
        }
        if (Service is not null)
        {
            await Service.DisposeAsync();
        }
        if (Webhooks is not null)
        {
            await Webhooks.DisposeAsync();
        }
        if (Directory.Exists(RecipesDirectory))
        {
            Directory.Delete(RecipesDirectory, recursive: true);
        }
    }
}
