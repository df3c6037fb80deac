using System.Diagnostics;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Purchases;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Bench;

/// <summary>How long one baseline checkout took, in milliseconds, by part.</summary>
internal sealed record BaselineTiming(double TotalMs, double ContextMs, double StepsMs, double SubmitMs, double ConfirmationMs, double CloseMs);

/// <summary>
/// The floor the worker is measured against: a minimal hand-written Playwright program doing the clicks of
/// <c>recipes/demo-shop.yaml</c> on the demo shop's single-page checkout, in the same Chromium with the same switches
/// and context options as the worker, and nothing else: no recipe runner, no store, no Link, no screenshot.
/// </summary>
internal sealed class BaselineCheckout : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private BaselineCheckout(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <value>Chromium's version, as the browser reports it.</value>
    public string BrowserVersion => _browser.Version;

    public static async Task<BaselineCheckout> StartAsync(string chromium)
    {
        var playwright = await BrowserPool.StartDriverAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = BrowserPool.LaunchArguments,
        });
        return new BaselineCheckout(playwright, browser);
    }

    /// <summary>One checkout in a fresh context: product page, cart, the one form, Pay now, the order number.</summary>
    /// <remarks>Playwright's error text can quote typed values (a card number in a fill that failed, or in the
    /// preview of a field holding it), so a failure is reported by stage and error type only.</remarks>
    public async Task<BaselineTiming> RunAsync(Uri productUrl, CardSecret card, Buyer buyer, ShippingAddress shipping, TimeSpan? timeout = null)
    {
        var stage = "opening a context";
        try
        {
            return await CheckoutAsync();
        }
        catch (Exception ex) when (ex is PlaywrightException or System.TimeoutException)
        {
            throw new InvalidOperationException(
                $"The baseline checkout failed while {stage} ({ex.GetType().Name}); Playwright's text is left out because it can quote typed card values.");
        }

        async Task<BaselineTiming> CheckoutAsync()
        {
            var started = Stopwatch.GetTimestamp();
            var context = await _browser.NewContextAsync(BrowserPool.ContextOptions());
            context.SetDefaultTimeout((float)(timeout ?? TimeSpan.FromSeconds(15)).TotalMilliseconds);
            var contextDone = Stopwatch.GetTimestamp();

            stage = "filling the cart and the address";
            var page = await context.NewPageAsync();
            await page.GotoAsync(productUrl.ToString());
            await Field(page, "Quantity").FillAsync("1");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart", Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Checkout", Exact = true }).ClickAsync();
            await Field(page, "Email").FillAsync(buyer.Email);
            await Field(page, "Full name").FillAsync(shipping.Name);
            await Field(page, "Address").FillAsync(shipping.Line1);
            await Field(page, "City").FillAsync(shipping.City);
            await Field(page, "Postal code").FillAsync(shipping.PostalCode);
            await Field(page, "Country").FillAsync(shipping.Country);
            stage = "typing the card";
            await Field(page, "Card number").FillAsync(card.Reveal(CardField.Number));
            await Field(page, "Expiry (MM/YY)").FillAsync(card.Reveal(CardField.Expiry));
            await Field(page, "CVC").FillAsync(card.Reveal(CardField.Cvc));
            await Field(page, "Name on card").FillAsync(card.Reveal(CardField.Name));
            // The recipe reads the total before paying; so does the baseline.
            await page.GetByTestId("order-total").InnerTextAsync();
            var stepsDone = Stopwatch.GetTimestamp();

            stage = "paying";
            await page.GetByRole(AriaRole.Button, new() { Name = "Pay now", Exact = true }).ClickAsync();
            var submitDone = Stopwatch.GetTimestamp();

            stage = "reading the order number";
            var orderNumber = await page.GetByTestId("order-number").InnerTextAsync();
            var confirmed = Stopwatch.GetTimestamp();
            await context.CloseAsync();
            var closed = Stopwatch.GetTimestamp();
            if (string.IsNullOrWhiteSpace(orderNumber))
            {
                throw new InvalidOperationException("The baseline checkout ended without an order number.");
            }
            return new BaselineTiming(Ms(started, closed), Ms(started, contextDone), Ms(contextDone, stepsDone), Ms(stepsDone, submitDone),
                Ms(submitDone, confirmed), Ms(confirmed, closed));
        }

        static ILocator Field(IPage page, string label) => page.GetByLabel(label, new() { Exact = true });
        static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
