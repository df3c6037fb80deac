using System.Net;
using System.Text.Json;

namespace CheckoutAgent.DemoMerchant.Tests;

/// <summary>The demo shop's variants over plain HTTP: the behaviour their browser tests rely on, without a browser.</summary>
[TestFixture]
public sealed class VariantTests : HttpShopTest
{
    private async Task<(DemoShop Shop, RecordingAuthorizer Authorizer)> StartAsync(DemoVariant variant)
    {
        var authorizer = RecordingAuthorizer.Approving();
        var shop = await DemoShop.StartAsync(new DemoShopOptions { Variant = variant }, authorizer);
        Track(shop);
        return (shop, authorizer);
    }

    private HttpClient Buyer(Uri baseUrl)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }, disposeHandler: true)
        {
            BaseAddress = baseUrl,
        };
        Track(client);
        return client;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, Dictionary<string, string> fields)
    {
        using var content = new FormUrlEncodedContent(fields);
        return await client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    [Test]
    public void VariantNamesRoundTrip()
    {
        Assert.That(DemoVariants.All, Has.Count.EqualTo(14));
        foreach (var name in DemoVariants.All)
        {
            Assert.That(DemoVariants.TryParse(name, out var variant), Is.True, name);
            Assert.That(variant.Name(), Is.EqualTo(name));
        }
        Assert.That(DemoVariants.TryParse("nope", out _), Is.False);
    }

    [Test]
    public async Task OutOfStockShowsTheNoticeAndRefusesToAddToCart()
    {
        var (shop, _) = await StartAsync(DemoVariant.OutOfStock);
        var buyer = Buyer(shop.BaseUrl);

        var page = await buyer.GetStringAsync(shop.ProductUrl("pour-over-dripper"));
        using var add = await PostAsync(buyer, "/cart", new() { ["sku"] = "pour-over-dripper", ["quantity"] = "1" });

        Assert.That(page, Does.Contain("data-testid=\"out-of-stock\"").And.Not.Contain("Add to cart"));
        Assert.That(add.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task CardProcessorIsASecondOriginThatOnlyTheShopMayFrameAndTokenizesWithoutEchoingTheCard()
    {
        var (shop, _) = await StartAsync(DemoVariant.IframeCard);
        var processor = Buyer(new Uri(shop.CardProcessorOrigin));

        using var frame = await processor.GetAsync(new Uri("/elements/card", UriKind.Relative));
        using var token = await PostAsync(processor, "/elements/tokens", new()
        {
            ["card-number"] = "4242 4242 4242 4242", ["card-expiry"] = "04/29", ["card-cvc"] = "739", ["card-name"] = "ADA LOVELACE",
        });
        using var shopPageOnProcessor = await processor.GetAsync(new Uri("/checkout", UriKind.Relative));
        var body = await token.Content.ReadAsStringAsync();

        Assert.That(new Uri(shop.CardProcessorOrigin).Port, Is.Not.EqualTo(shop.BaseUrl.Port));
        Assert.That(frame.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain($"frame-ancestors {shop.BaseUrl.GetLeftPart(UriPartial.Authority)}"));
        Assert.That(await frame.Content.ReadAsStringAsync(), Does.Contain("<label for=\"card-number\">Card number</label>"));
        var tokenValue = JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
        Assert.That(tokenValue, Does.StartWith("tok_"));
        // The token is random and may hold any digits: the echo check reads everything around it.
        Assert.That(body.Replace(tokenValue, "tok_", StringComparison.Ordinal), Does.Not.Contain("4242").And.Not.Contain("739"));
        Assert.That(shopPageOnProcessor.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the processor's origin serves no shop pages");
        Assert.That(shop.CardTokenRequests, Is.EqualTo(1));
    }

    [Test]
    public async Task PriceChangeReviewStepShowsAHigherTotalAndChargesIt()
    {
        var (shop, authorizer) = await StartAsync(DemoVariant.PriceChange);
        var buyer = Buyer(shop.BaseUrl);
        (await PostAsync(buyer, "/cart", new() { ["sku"] = "pour-over-dripper", ["quantity"] = "1" })).Dispose();
        (await PostAsync(buyer, "/checkout/shipping", new()
        {
            ["email"] = "ada@example.com", ["name"] = "Ada", ["address"] = "1 Row", ["city"] = "London", ["postal-code"] = "1", ["country"] = "GB",
        })).Dispose();
        (await PostAsync(buyer, "/checkout/payment", new()
        {
            ["card-number"] = "4242424242424242", ["card-expiry"] = "04/29", ["card-cvc"] = "739", ["card-name"] = "ADA",
        })).Dispose();

        var review = await buyer.GetStringAsync(new Uri("/checkout/review", UriKind.Relative));
        using var withoutTerms = await PostAsync(buyer, "/checkout/review", new());
        using var placed = await PostAsync(buyer, "/checkout/review", new() { ["terms"] = "yes" });

        Assert.That(review, Does.Contain("data-testid=\"review-total\">$26.40<").And.Contain("data-testid=\"price-notice\""));
        Assert.That(withoutTerms.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(placed.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        Assert.That(authorizer.Attempts.Single().Amount, Is.EqualTo(2640));
    }

    [TestCase(true, "approved")]
    [TestCase(false, "declined")]
    public async Task ThreeDsHoldsThePaymentUntilTheIssuerHasTheCardHoldersAnswer(bool confirms, string state)
    {
        var answered = false;
        var issuer = new ChallengingAuthorizer(() => answered ? (confirms ? PaymentDecision.Approve() : PaymentDecision.Decline("authentication_failed", "Not confirmed.")) : null);
        var shop = Track(await DemoShop.StartAsync(new DemoShopOptions { Variant = DemoVariant.ThreeDs }, issuer));
        var buyer = Buyer(shop.BaseUrl);
        (await PostAsync(buyer, "/cart", new() { ["sku"] = "pour-over-dripper", ["quantity"] = "1" })).Dispose();

        using var paid = await PostAsync(buyer, "/checkout", new()
        {
            ["email"] = "ada@example.com", ["name"] = "Ada", ["address"] = "1 Row", ["city"] = "London", ["postal-code"] = "1", ["country"] = "GB",
            ["card-number"] = "4242424242424242", ["card-expiry"] = "04/29", ["card-cvc"] = "739", ["card-name"] = "ADA",
        });
        Assert.That(paid.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        Assert.That(paid.Headers.Location?.ToString(), Is.EqualTo("/checkout/3ds"));
        Assert.That(issuer.Attempts.Single().ThreeDSecure, Is.True, "the shop asked for 3-D Secure");
        Assert.That(await buyer.GetStringAsync(new Uri("/checkout/3ds", UriKind.Relative)), Does.Contain("data-testid=\"three-ds-challenge\"").And.Contain("$24.00"));

        using (var waiting = await buyer.PostAsync(new Uri("/checkout/3ds/status", UriKind.Relative), null))
        {
            Assert.That(JsonDocument.Parse(await waiting.Content.ReadAsStringAsync()).RootElement.GetProperty("state").GetString(), Is.EqualTo("pending"));
        }
        Assert.That(shop.Orders, Is.Empty, "nothing is ordered before the card holder answers");

        answered = true;
        using var done = await buyer.PostAsync(new Uri("/checkout/3ds/status", UriKind.Relative), null);
        using var answer = JsonDocument.Parse(await done.Content.ReadAsStringAsync());
        Assert.That(answer.RootElement.GetProperty("state").GetString(), Is.EqualTo(state));
        Assert.That(shop.Orders, Has.Count.EqualTo(confirms ? 1 : 0));
        if (confirms)
        {
            Assert.That(answer.RootElement.GetProperty("next").GetString(), Is.EqualTo("/orders/" + shop.Orders[0].OrderNumber));
        }
        using var after = await buyer.PostAsync(new Uri("/checkout/3ds/status", UriKind.Relative), null);
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "answered once: nothing pending any more");
        Assert.That(issuer.Attempts, Has.Count.EqualTo(1), "one authorization");
    }

    /// <summary>An issuer that always asks for 3-D Secure and answers the shop's follow-up as the test says (null: pending).</summary>
    private sealed class ChallengingAuthorizer(Func<PaymentDecision?> answer) : IPaymentAuthorizer
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<PaymentAttempt> _attempts = new();

        public IReadOnlyList<PaymentAttempt> Attempts => [.. _attempts];

        public Task<PaymentDecision> AuthorizeAsync(PaymentAttempt attempt, CancellationToken cancellationToken)
        {
            _attempts.Enqueue(attempt);
            return Task.FromResult(PaymentDecision.Challenge("3ds_test"));
        }

        public Task<PaymentDecision> CompleteAuthenticationAsync(string authenticationId, CancellationToken cancellationToken) =>
            Task.FromResult(answer() ?? PaymentDecision.Challenge(authenticationId));
    }

    [TestCase(DemoVariant.Captcha, "data-testid=\"captcha-wall\"")]
    [TestCase(DemoVariant.ShadowDom, "<template shadowrootmode=\"open\">")]
    [TestCase(DemoVariant.ForeignIframe, "title=\"Secure card payment\"")]
    public async Task CheckoutPageHasTheVariantsShape(DemoVariant variant, string marker)
    {
        var (shop, _) = await StartAsync(variant);
        var buyer = Buyer(shop.BaseUrl);
        (await PostAsync(buyer, "/cart", new() { ["sku"] = "pour-over-dripper", ["quantity"] = "1" })).Dispose();

        var checkout = await buyer.GetStringAsync(new Uri("/checkout", UriKind.Relative));

        Assert.That(checkout, Does.Contain(marker));
        if (variant == DemoVariant.ForeignIframe)
        {
            Assert.That(checkout, Does.Contain($"src=\"{shop.ForeignOrigin}/elements/card\"").And.Not.Contain(shop.CardProcessorOrigin + "/elements"));
        }
    }
}
