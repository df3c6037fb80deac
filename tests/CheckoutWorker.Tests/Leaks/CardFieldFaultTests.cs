using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Configuration;
using Microsoft.Playwright;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>
/// The demo shop's card-field faults are real: driven by Playwright directly (the runner's calls, without its message
/// dropping), in real Chromium, each fault produces the failure it claims, and the disabled and value-attribute faults
/// put the typed number into Playwright's own error text. Without this, the leak suite could pass against faults that
/// never fire, or that Playwright happens to report without the number.
/// </summary>
[Category("Browser")]
public class CardFieldFaultTests
{
    private const string Number = "4000056655665556";
    private static readonly float Timeout = 1500;
    private BrowserPool _browsers = null!;

    [OneTimeSetUp]
    public void StartBrowser() => _browsers = new BrowserPool(Microsoft.Extensions.Options.Options.Create(new BrowserOptions { StepTimeout = TimeSpan.FromSeconds(2) }));

    [OneTimeTearDown]
    public async Task StopBrowserAsync() => await _browsers.DisposeAsync();

    /// <summary>A shop, a browser context of its own, and the page; disposing closes both.</summary>
    private sealed record OpenCheckout(DemoShop Shop, IBrowserContext Context, IPage Page) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Context.DisposeAsync();
            await Shop.DisposeAsync();
        }
    }

    /// <summary>A shop with <paramref name="options"/>, a fresh browser context, and its page at the one-form checkout with one item in the cart.</summary>
    private async Task<OpenCheckout> OpenCheckoutAsync(DemoShopOptions options)
    {
        var shop = await DemoShop.StartAsync(options, new SandboxIssuer(new LinkSandbox(new LinkSandboxOptions())));
        var context = await _browsers.NewContextAsync(CancellationToken.None);
        var page = await context.NewPageAsync();
        await page.GotoAsync(shop.ProductUrl(options.Products[0].Sku).ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
        // The hooks' script runs at the end of the page: a click returns once the navigation commits, before it ran.
        await page.WaitForLoadStateAsync(LoadState.Load);
        return new OpenCheckout(shop, context, page);
    }

    private static Task<IElementHandle> FieldAsync(IPage page, string label) =>
        page.GetByLabel(label, new() { Exact = true }).ElementHandleAsync(new() { Timeout = Timeout });

    [Test]
    public async Task NumberDisabled_FillTimesOut_AndPlaywrightsMessageQuotesTheNumber()
    {
        await using var checkout = await OpenCheckoutAsync(new DemoShopOptions { CardFieldFault = CardFieldFault.NumberDisabled });
        var page = checkout.Page;

        var number = await FieldAsync(page, "Card number");
        var error = Assert.ThrowsAsync<TimeoutException>(() => number.FillAsync(Number, new() { Timeout = Timeout }));

        Assert.That(error!.Message, Does.Contain("not enabled"));
        Assert.That(error.Message, Does.Contain(Number), "the fault must be one where Playwright's text holds the number");
        Assert.That(await number.InputValueAsync(), Is.Empty, "nothing was typed");
    }

    [Test]
    public async Task NumberMirroredIntoValueAttribute_LaterErrorsPreviewTheNumber()
    {
        await using var checkout = await OpenCheckoutAsync(new DemoShopOptions { CardFieldFault = CardFieldFault.NumberMirroredIntoValueAttribute });
        var page = checkout.Page;

        await (await FieldAsync(page, "Card number")).FillAsync(Number, new() { Timeout = Timeout });
        Assert.That(await page.Locator("#card-number").GetAttributeAsync("value"), Is.EqualTo(Number), "the page copied the number into the attribute");
        // The next card step (the runner's own calls): the expiry label now matches two fields.
        var expiry = Assert.CatchAsync<PlaywrightException>(() => FieldAsync(page, "Expiry (MM/YY)"));
        // A later plain step on the card field: the click waits for an enabled field and times out.
        var click = Assert.ThrowsAsync<TimeoutException>(() => page.GetByLabel("Card number", new() { Exact = true }).ClickAsync(new() { Timeout = Timeout }));

        Assert.That(expiry!.Message, Does.Contain("strict mode violation").And.Contain($"value=\"{Number}\""),
            "the fault must be one where Playwright's text holds the number");
        Assert.That(click!.Message, Does.Contain("not enabled").And.Contain($"value=\"{Number}\""), "the timeout's text previews the field with the number");
    }

    [Test]
    public async Task CvcNeverEditable_FillTimesOutAfterNumberAndExpiryWereTyped()
    {
        await using var checkout = await OpenCheckoutAsync(new DemoShopOptions { CardFieldFault = CardFieldFault.CvcNeverEditable });
        var page = checkout.Page;

        await (await FieldAsync(page, "Card number")).FillAsync(Number, new() { Timeout = Timeout });
        await (await FieldAsync(page, "Expiry (MM/YY)")).FillAsync("04/29", new() { Timeout = Timeout });
        var cvc = await FieldAsync(page, "CVC");
        var error = Assert.ThrowsAsync<TimeoutException>(() => cvc.FillAsync("123", new() { Timeout = Timeout }));

        Assert.That(error!.Message, Does.Contain("not editable"));
        Assert.That(await page.Locator("#card-number").InputValueAsync(), Is.EqualTo(Number), "the number is on the page when the step fails");
    }

    [Test]
    public async Task AfterCardNumber_HoldsTheOtherCardFieldsUntilReleased_WithTheNumberOnThePage()
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var checkout = await OpenCheckoutAsync(new DemoShopOptions
        {
            AfterCardNumber = async ct =>
            {
                reached.TrySetResult();
                await release.Task.WaitAsync(ct);
            },
        });
        var page = checkout.Page;
        var expiry = page.GetByLabel("Expiry (MM/YY)", new() { Exact = true });
        Assert.That(await expiry.IsVisibleAsync(), Is.False, "only the number is shown at first");

        await (await FieldAsync(page, "Card number")).FillAsync(Number, new() { Timeout = Timeout });
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(300);
        Assert.That(await expiry.IsVisibleAsync(), Is.False, "held: the other card fields stay hidden");

        release.SetResult();
        await expiry.WaitForAsync(new() { Timeout = 5000 });
        Assert.That(await page.Locator("#card-number").InputValueAsync(), Is.EqualTo(Number));
    }

    [Test]
    public async Task NoHook_CheckoutPageHasNoFaultScriptAndAllCardFieldsWork()
    {
        await using var checkout = await OpenCheckoutAsync(new DemoShopOptions());
        var page = checkout.Page;

        Assert.That(await page.ContentAsync(), Does.Not.Contain("card-fields.js"));
        foreach (var (label, value) in new[] { ("Card number", Number), ("Expiry (MM/YY)", "04/29"), ("CVC", "123"), ("Name on card", "Jane Doe") })
        {
            await (await FieldAsync(page, label))!.FillAsync(value, new() { Timeout = Timeout });
        }
        Assert.That(await page.Locator("#card-number").GetAttributeAsync("value"), Is.Empty, "without the hook the page leaves the attribute alone");
    }
}
