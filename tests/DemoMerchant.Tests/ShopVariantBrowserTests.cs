using System.Diagnostics;
using System.Net;
using Microsoft.Playwright;

namespace CheckoutAgent.DemoMerchant.Tests;

/// <summary>The consent, expiry-selects and late-total variants in Chromium: the obstacles are real and can be passed.</summary>
public sealed class ShopVariantBrowserTests : BrowserTestBase
{
    [Test]
    public async Task ConsentWallBlocksClicksUntilAcceptAllThenTheNewsletterBlocksPayNowUntilNoThanks()
    {
        var shop = await StartShopAsync(new DemoShopOptions
        {
            Variant = DemoVariant.Consent, ConsentWall = ConsentWallMode.Always, NewsletterDelay = TimeSpan.FromMilliseconds(1200),
        });
        var page = await NewPageAsync();

        await page.GotoAsync(shop.ProductUrl("pour-over-dripper").ToString());
        Assert.That(await page.GetByTestId("consent-wall").IsVisibleAsync(), Is.True);
        var blocked = Assert.ThrowsAsync<TimeoutException>(() =>
            Button(page, "Add to cart").ClickAsync(new() { Timeout = ShortTimeout }));
        Assert.That(blocked!.Message, Does.Contain("intercepts pointer events"), "the wall is what takes the click");
        await Button(page, "Accept all").ClickAsync();
        await page.GetByTestId("consent-wall").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = ShortTimeout });
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/products/pour-over-dripper"), "accepted in place");
        await Button(page, "Add to cart").ClickAsync(new() { Timeout = ShortTimeout });
        await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        var loaded = Stopwatch.StartNew();

        Assert.That(await page.GetByTestId("consent-wall").CountAsync(), Is.Zero, "accepted once, gone for the visit");
        var modal = page.GetByTestId("newsletter-modal");
        Assert.That(await modal.IsVisibleAsync(), Is.False, "the newsletter waits a moment after the form loads");
        await FillShippingAsync(page);
        await FillCardAsync(page);
        await modal.WaitForAsync(new() { Timeout = 5000 });
        Assert.That(loaded.Elapsed, Is.GreaterThan(TimeSpan.FromMilliseconds(900)));
        Assert.ThrowsAsync<TimeoutException>(() => Button(page, "Pay now").ClickAsync(new() { Timeout = ShortTimeout }));
        Assert.That(shop.PaySubmissions, Is.Zero, "the modal took the click");
        await Button(page, "No thanks").ClickAsync();
        var orderNumber = await PayAsync(page);

        Assert.That(shop.Orders.Single().OrderNumber, Is.EqualTo(orderNumber));
        Assert.That(shop.ConsentWallsShown, Is.EqualTo(1));
    }

    [Test]
    public async Task ConsentWallNeverAndNoNewsletterLeaveThePlainCheckout()
    {
        var shop = await StartShopAsync(new DemoShopOptions { Variant = DemoVariant.Consent, ConsentWall = ConsentWallMode.Never, NewsletterDelay = null });
        var page = await NewPageAsync();

        await GoToCheckoutAsync(page, shop);
        await FillShippingAsync(page);
        await FillCardAsync(page);
        await PayAsync(page);

        Assert.That(shop.ConsentWallsShown, Is.Zero);
        Assert.That(shop.Orders, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task MaskedCardNumberIgnoresFillAndFormatsKeyPresses()
    {
        var shop = await StartShopAsync(new DemoShopOptions { Variant = DemoVariant.ExpirySelects });
        var page = await NewPageAsync();
        await GoToCheckoutAsync(page, shop);
        var number = Field(page, "Card number");

        await number.FillAsync(CardNumber);
        Assert.That(await number.InputValueAsync(), Is.Empty, "a fill sets text without key presses: the field refuses it");

        await FillShippingAsync(page);
        await Field(page, "Expiry month").SelectOptionAsync("04");
        await Field(page, "Expiry year").SelectOptionAsync("2031");
        await Field(page, "CVC").FillAsync(CardCvc);
        await Field(page, "Name on card").FillAsync("ADA LOVELACE");
        await Button(page, "Pay now").ClickAsync();
        Assert.That(await page.GetByTestId("card-number-error").InnerTextAsync(), Is.EqualTo("Enter your card number."));
        Assert.That(shop.PaymentAttempts, Is.Zero);

        await number.PressSequentiallyAsync(CardNumber);
        Assert.That(await number.InputValueAsync(), Is.EqualTo("4242 4242 4242 4242"));
        await number.PressAsync("Backspace");
        await number.PressSequentiallyAsync("x2");
        Assert.That(await number.InputValueAsync(), Is.EqualTo("4242 4242 4242 4242"), "backspace takes a digit, letters are ignored");
    }

    [Test]
    public async Task ExpirySelectsOfferRealShopOptionsAndTheChosenExpiryReachesTheIssuer()
    {
        var clock = new FixedClock(new DateTimeOffset(2027, 3, 1, 12, 0, 0, TimeSpan.Zero));
        // The issuer knows the card expires 04/2031 and declines anything else, as the sandbox does.
        var authorizer = new RecordingAuthorizer(a => (a.ExpMonth, a.ExpYear) == (4, 2031)
            ? PaymentDecision.Approve()
            : PaymentDecision.Decline("incorrect_expiry", "The expiry date does not match the card."));
        var shop = await StartShopAsync(new DemoShopOptions { Variant = DemoVariant.ExpirySelects, Clock = clock }, authorizer);
        var page = await NewPageAsync();
        await GoToCheckoutAsync(page, shop);

        var months = await page.Locator("#card-exp-month option").EvaluateAllAsync<string[][]>("os => os.map(o => [o.value, o.text])");
        var years = await page.Locator("#card-exp-year option").EvaluateAllAsync<string[]>("os => os.map(o => o.value)");
        Assert.That(months, Has.Length.EqualTo(13));
        Assert.That((months[4][0], months[4][1]), Is.EqualTo(("04", "04 - April")));
        Assert.That((months[12][0], months[12][1]), Is.EqualTo(("12", "12 - December")));
        Assert.That((months[0][0], months[0][1]), Is.EqualTo(("", "Month")), "nothing is chosen for the buyer");
        Assert.That(years.Skip(1), Is.EqualTo(Enumerable.Range(2027, 16).Select(y => y.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        async Task PayWithExpiryAsync(string month, string year)
        {
            await Field(page, "Card number").PressSequentiallyAsync(CardNumber);
            await Field(page, "Expiry month").SelectOptionAsync(month);
            await Field(page, "Expiry year").SelectOptionAsync(year);
            await Field(page, "CVC").FillAsync(CardCvc);
            await Field(page, "Name on card").FillAsync("ADA LOVELACE");
            await Button(page, "Pay now").ClickAsync();
        }

        await FillShippingAsync(page);
        await PayWithExpiryAsync("05", "2031");
        Assert.That(await page.GetByTestId("payment-error").InnerTextAsync(), Is.EqualTo("The expiry date does not match the card."));
        Assert.That(await Field(page, "Expiry month").InputValueAsync(), Is.Empty, "card details are not shown back");
        await PayWithExpiryAsync("04", "2031");
        await page.GetByTestId("order-number").WaitForAsync(new() { Timeout = 5000 });

        Assert.That(authorizer.Attempts.Select(a => (a.ExpMonth, a.ExpYear)), Is.EqualTo(new[] { (5, 2031), (4, 2031) }));
        Assert.That(authorizer.Attempts[1].CardNumber, Is.EqualTo(CardNumber));
        Assert.That(shop.Orders, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task LateTotalReadsCalculatingUntilTheQuoteArrivesAndPayNowWaitsForIt()
    {
        var authorizer = RecordingAuthorizer.Approving();
        var shop = await StartShopAsync(new DemoShopOptions { Variant = DemoVariant.LateTotal, QuoteDelay = TimeSpan.FromMilliseconds(1500) }, authorizer);
        var page = await NewPageAsync();
        await GoToCheckoutAsync(page, shop);
        var total = page.GetByTestId("order-total");

        Assert.That(await total.InnerTextAsync(), Is.EqualTo("Calculating…"));
        Assert.That(await Button(page, "Pay now").IsDisabledAsync(), Is.True);
        await Assertions.Expect(total).ToHaveTextAsync("$24.00", new() { Timeout = 5000 });
        Assert.That(await Button(page, "Pay now").IsEnabledAsync(), Is.True);
        await FillShippingAsync(page);
        await FillCardAsync(page);
        await PayAsync(page);

        Assert.That(authorizer.Attempts.Single().Amount, Is.EqualTo(2400));
    }

    [Test]
    public async Task LateTotalCanSettleOnAnAmountOtherThanTheCharge()
    {
        var authorizer = RecordingAuthorizer.Approving();
        var shop = await StartShopAsync(new DemoShopOptions
        {
            Variant = DemoVariant.LateTotal, QuoteDelay = TimeSpan.FromMilliseconds(200), QuotedTotalOffset = 250,
        }, authorizer);
        var page = await NewPageAsync();
        await GoToCheckoutAsync(page, shop);

        await Assertions.Expect(page.GetByTestId("order-total")).ToHaveTextAsync("$26.50", new() { Timeout = 5000 });
        await FillShippingAsync(page);
        await FillCardAsync(page);
        await PayAsync(page);

        Assert.That(await page.GetByTestId("charged-total").InnerTextAsync(), Is.EqualTo("$24.00"));
        Assert.That(authorizer.Attempts.Single().Amount, Is.EqualTo(2400));
    }
}

/// <summary>The consent wall's per-visit draw over plain HTTP.</summary>
[TestFixture]
public sealed class ConsentDrawTests : HttpShopTest
{
    /// <summary>Which of <paramref name="visits"/> fresh browsers got the wall, checked on two pages of each visit.</summary>
    private async Task<bool[]> VisitAsync(DemoShopOptions options, int visits)
    {
        var shop = await DemoShop.StartAsync(options, RecordingAuthorizer.Approving());
        Track(shop);
        var walls = new bool[visits];
        for (var i = 0; i < visits; i++)
        {
            using var buyer = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }, disposeHandler: true) { BaseAddress = shop.BaseUrl };
            var first = (await buyer.GetStringAsync(new Uri("/", UriKind.Relative))).Contains("data-testid=\"consent-wall\"", StringComparison.Ordinal);
            var second = (await buyer.GetStringAsync(shop.ProductUrl("filter-papers"))).Contains("data-testid=\"consent-wall\"", StringComparison.Ordinal);
            Assert.That(second, Is.EqualTo(first), "drawn once per visit, not per page");
            walls[i] = first;
        }
        return walls;
    }

    [Test]
    public async Task RandomModeShowsTheWallOnAboutHalfOfTheVisitsRepeatablyForASeed()
    {
        var options = new DemoShopOptions { Variant = DemoVariant.Consent, ConsentSeed = 7 };

        var run1 = await VisitAsync(options, 40);
        var run2 = await VisitAsync(options, 40);
        var otherSeed = await VisitAsync(new DemoShopOptions { Variant = DemoVariant.Consent, ConsentSeed = 8 }, 40);

        Assert.That(run2, Is.EqualTo(run1));
        Assert.That(run1.Count(w => w), Is.InRange(12, 28));
        Assert.That(otherSeed, Is.Not.EqualTo(run1));
    }

    [TestCase(ConsentWallMode.Always, 6)]
    [TestCase(ConsentWallMode.Never, 0)]
    public async Task ForcedModesShowTheWallOnEveryOrNoVisit(ConsentWallMode mode, int expected)
    {
        var walls = await VisitAsync(new DemoShopOptions { Variant = DemoVariant.Consent, ConsentWall = mode }, 6);

        Assert.That(walls.Count(w => w), Is.EqualTo(expected));
    }

    [Test]
    public async Task AcceptingSetsTheConsentCookieAndTheWallStaysAway()
    {
        var shop = await DemoShop.StartAsync(new DemoShopOptions { Variant = DemoVariant.Consent, ConsentWall = ConsentWallMode.Always }, RecordingAuthorizer.Approving());
        Track(shop);
        using var buyer = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }, disposeHandler: true) { BaseAddress = shop.BaseUrl };

        var before = await buyer.GetStringAsync(new Uri("/", UriKind.Relative));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["return"] = "//evil.test/" });
        using var accept = await buyer.PostAsync(new Uri("/consent", UriKind.Relative), form);
        var after = await buyer.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.That(before, Does.Contain("data-testid=\"consent-wall\""));
        Assert.That(accept.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "no redirect off the shop");
        Assert.That(after, Does.Not.Contain("data-testid=\"consent-wall\""));
    }
}
