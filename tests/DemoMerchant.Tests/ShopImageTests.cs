using Microsoft.Playwright;

namespace CheckoutAgent.DemoMerchant.Tests;

/// <summary>The shop's pictures are real PNG files that Chromium decodes, so blocking images has something to save.</summary>
public sealed class ShopImageTests : BrowserTestBase
{
    [Test]
    public async Task ProductCartAndCheckoutPages_ShowDecodedImages()
    {
        var shop = await StartShopAsync(new DemoShopOptions());
        var page = await NewPageAsync();

        await page.GotoAsync(shop.ProductUrl("pour-over-dripper").ToString(), new() { WaitUntil = WaitUntilState.Load });
        Assert.That(await DecodedWidthsAsync(page), Is.EqualTo(new[] { 960, 480 }), "banner and product photo");

        await GoToCheckoutAsync(page, shop);
        await page.WaitForLoadStateAsync(LoadState.Load);
        Assert.That(await DecodedWidthsAsync(page), Is.EqualTo(new[] { 960, 480 }), "banner and the line's thumbnail (the photo, drawn small)");
    }

    [Test]
    public async Task ImagesOfUnknownProducts_AreNotFound()
    {
        var shop = await StartShopAsync(new DemoShopOptions());
        using var http = new HttpClient();

        var known = await http.GetAsync(new Uri(shop.BaseUrl, "/images/products/pour-over-dripper.png"));
        var unknown = await http.GetAsync(new Uri(shop.BaseUrl, "/images/products/no-such-thing.png"));

        Assert.That(known.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/png"));
        Assert.That((await known.Content.ReadAsByteArrayAsync()).Length, Is.GreaterThan(10_000), "a picture with content, not a pixel");
        Assert.That(unknown.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.NotFound));
    }

    private static Task<int[]> DecodedWidthsAsync(IPage page) =>
        page.EvaluateAsync<int[]>("() => Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1)");
}
