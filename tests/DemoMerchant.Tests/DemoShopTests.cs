using System.Net;
using CheckoutAgent.Tests;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.DemoMerchant.Tests;

[TestFixture]
public sealed class DemoShopTests
{
    private const string CardNumberAsTyped = "4242 4242 4242 4242";
    private const string CardNumberDigits = "4242424242424242";
    private const string Cvc = "739";

    private static readonly string[] CheckoutFieldNames =
        ["email", "name", "address", "city", "postal-code", "country", "card-number", "card-expiry", "card-cvc", "card-name"];

    private readonly List<HttpClient> _clients = [];
    private RecordingAuthorizer _authorizer = null!;
    private CapturingLoggerProvider _logs = null!;
    private ILoggerFactory _loggerFactory = null!;
    private DemoShop _shop = null!;

    [SetUp]
    public async Task StartShopAsync()
    {
        _authorizer = RecordingAuthorizer.Approving();
        _logs = new CapturingLoggerProvider();
        _loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        _shop = await DemoShop.StartAsync(new DemoShopOptions(), _authorizer, _loggerFactory);
    }

    [TearDown]
    public async Task StopShopAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _clients.Clear();
        await _shop.DisposeAsync();
        _loggerFactory.Dispose();
        _logs.Dispose();
    }

    [Test]
    public async Task ShopListensOnLoopbackWithARealPortAndListsProducts()
    {
        Assert.That(_shop.BaseUrl.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(_shop.BaseUrl.Port, Is.Not.Zero);
        Assert.That(_shop.BaseUrl.AbsolutePath, Is.EqualTo("/"));
        Assert.That(_shop.ProductUrl("filter-papers"), Is.EqualTo(new Uri(_shop.BaseUrl, "products/filter-papers")));

        var html = await NewBuyer().GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.That(html, Does.Contain("<title>Products | Demo Coffee Supply</title>"));
        Assert.That(html, Does.Contain("<a href=\"/products/pour-over-dripper\">Ceramic pour-over coffee dripper</a>"));
        Assert.That(html, Does.Contain("<a href=\"/products/filter-papers\">Paper filters, 100 pack</a>"));
    }

    [Test]
    public async Task ProductPageShowsNamePriceQuantityAndAddToCartButton()
    {
        using var response = await NewBuyer().GetAsync(_shop.ProductUrl("pour-over-dripper"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("<h1>Ceramic pour-over coffee dripper</h1>"));
        Assert.That(html, Does.Contain("<span data-testid=\"product-price\">$24.00</span>"));
        Assert.That(html, Does.Contain("<label for=\"quantity\">Quantity</label>"));
        Assert.That(html, Does.Match("<input id=\"quantity\"[^>]*value=\"1\""));
        Assert.That(html, Does.Contain("<form method=\"post\" action=\"/cart\">"));
        Assert.That(html, Does.Contain("<button type=\"submit\">Add to cart</button>"));
        Assert.That(html, Does.Not.Contain("<script"));
    }

    [Test]
    public async Task UnknownProductIsA404Page()
    {
        using var response = await NewBuyer().GetAsync(_shop.ProductUrl("espresso-machine"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("<title>Not found | Demo Coffee Supply</title>"));
    }

    [Test]
    public async Task UnknownOrderIsA404Page()
    {
        using var response = await NewBuyer().GetAsync(new Uri("/orders/DCS-NOPE1234", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task AddingToCartRedirectsWith303AndTheCartShowsLinesTotalAndCheckoutLink()
    {
        var buyer = NewBuyer();

        using (var response = await PostFormAsync(buyer, "/cart", new() { ["sku"] = "pour-over-dripper", ["quantity"] = "2" }))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
            Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo("/cart"));
        }

        await AddToCartAsync(buyer, "filter-papers", 1);
        var html = await buyer.GetStringAsync(new Uri("/cart", UriKind.Relative));

        Assert.That(html, Does.Contain("<strong data-testid=\"cart-total\">$54.50</strong>"));
        Assert.That(html, Does.Contain("<a href=\"/checkout\">Checkout</a>"));
    }

    [Test]
    public async Task InvalidQuantityRerendersTheProductWithAnAlertAndAddsNothing()
    {
        var buyer = NewBuyer();

        using var response = await PostFormAsync(buyer, "/cart", new() { ["sku"] = "filter-papers", ["quantity"] = "0" });
        var html = await response.Content.ReadAsStringAsync();
        var cart = await buyer.GetStringAsync(new Uri("/cart", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(html, Does.Contain("role=\"alert\" data-testid=\"quantity-error\">Enter a quantity from 1 to 99.</p>"));
        Assert.That(cart, Does.Contain("Your cart is empty."));
    }

    [Test]
    public async Task EmptyCartShowsAMessageWithoutCheckoutLinkAndCheckoutRedirectsToCart()
    {
        var buyer = NewBuyer();

        var cart = await buyer.GetStringAsync(new Uri("/cart", UriKind.Relative));
        using var checkout = await buyer.GetAsync(new Uri("/checkout", UriKind.Relative));

        Assert.That(cart, Does.Contain("<p data-testid=\"cart-empty\">Your cart is empty.</p>"));
        Assert.That(cart, Does.Not.Contain("href=\"/checkout\""));
        Assert.That(checkout.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        Assert.That(checkout.Headers.Location?.OriginalString, Is.EqualTo("/cart"));
    }

    [Test]
    public async Task CheckoutFormHasEveryLabeledFieldTheTotalAndAPayNowButton()
    {
        var buyer = NewBuyer();
        await AddToCartAsync(buyer, "pour-over-dripper", 1);

        var html = await buyer.GetStringAsync(new Uri("/checkout", UriKind.Relative));

        Assert.That(html, Does.Contain("<form method=\"post\" action=\"/checkout\" novalidate>"));
        Assert.That(html, Does.Contain("<strong data-testid=\"order-total\">$24.00</strong>"));
        Assert.That(html, Does.Contain("<button type=\"submit\">Pay now</button>"));
        var expected = new (string Id, string Label, string Attribute)[]
        {
            ("email", "Email", "type=\"email\""),
            ("name", "Full name", "autocomplete=\"name\""),
            ("address", "Address", "autocomplete=\"street-address\""),
            ("city", "City", "autocomplete=\"address-level2\""),
            ("postal-code", "Postal code", "autocomplete=\"postal-code\""),
            ("country", "Country", "value=\"US\""),
            ("card-number", "Card number", "autocomplete=\"cc-number\""),
            ("card-expiry", "Expiry (MM/YY)", "autocomplete=\"cc-exp\""),
            ("card-cvc", "CVC", "autocomplete=\"cc-csc\""),
            ("card-name", "Name on card", "autocomplete=\"cc-name\""),
        };
        Assert.Multiple(() =>
        {
            foreach (var (id, label, attribute) in expected)
            {
                Assert.That(html, Does.Contain($"<label for=\"{id}\">{label}</label>"), label);
                Assert.That(html, Does.Match($"<input id=\"{id}\" name=\"{id}\"[^>]*{attribute}"), label);
            }
        });
        Assert.That(html, Does.Match("<input id=\"card-number\"[^>]*inputmode=\"numeric\""));
    }

    [Test]
    public async Task ApprovedPaymentRedirectsToAConfirmationWithOrderNumberAndChargedTotal()
    {
        var buyer = NewBuyer();
        await AddToCartAsync(buyer, "pour-over-dripper", 1);

        using var response = await PostFormAsync(buyer, "/checkout", ValidCheckout());
        var location = response.Headers.Location?.OriginalString;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        Assert.That(location, Does.Match("^/orders/DCS-[A-Z0-9]{8}$"));
        var orderNumber = location![("/orders/".Length)..];
        var confirmation = await buyer.GetStringAsync(new Uri(location, UriKind.Relative));
        Assert.That(confirmation, Does.Contain("<h1>Thank you for your order</h1>"));
        Assert.That(confirmation, Does.Contain($"<span data-testid=\"order-number\">{orderNumber}</span>"));
        Assert.That(confirmation, Does.Contain("<span data-testid=\"charged-total\">$24.00</span>"));
        Assert.That(confirmation, Does.Contain("Paid with visa •••• 4242"));
        Assert.That(confirmation, Does.Contain("ada@example.com"));
        Assert.That(confirmation, Does.Not.Contain(CardNumberDigits));

        var order = _shop.Orders.Single();
        Assert.That(order, Is.EqualTo(order with
        {
            OrderNumber = orderNumber, Amount = 2400, Currency = "usd", CardBrand = "visa", CardLast4 = "4242", Email = "ada@example.com",
        }));
        Assert.That(order.Sku, Is.EqualTo("pour-over-dripper"));
        Assert.That(order.Quantity, Is.EqualTo(1));
        Assert.That(_shop.PaymentAttempts, Is.EqualTo(1));
        Assert.That(await buyer.GetStringAsync(new Uri("/cart", UriKind.Relative)), Does.Contain("Your cart is empty."));
    }

    [Test]
    public async Task AuthorizerReceivesTheShopOriginTheCartTotalAndParsedCardDetails()
    {
        var buyer = NewBuyer();
        await AddToCartAsync(buyer, "pour-over-dripper", 2);
        await AddToCartAsync(buyer, "filter-papers", 1);

        var form = ValidCheckout();
        form["card-number"] = "5555-5555-5555-4444";
        form["card-expiry"] = " 4 / 31 ";
        using var response = await PostFormAsync(buyer, "/checkout", form);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        var attempt = _authorizer.Attempts.Single();
        Assert.That(attempt.MerchantUrl, Is.EqualTo($"http://127.0.0.1:{_shop.BaseUrl.Port}"));
        Assert.That(attempt.Amount, Is.EqualTo(5450));
        Assert.That(attempt.Currency, Is.EqualTo("usd"));
        Assert.That(attempt.CardNumber, Is.EqualTo("5555555555554444"));
        Assert.That(attempt.Cvc, Is.EqualTo(Cvc));
        Assert.That((attempt.ExpMonth, attempt.ExpYear), Is.EqualTo((4, 2031)));
        Assert.That(attempt.CardholderName, Is.EqualTo("ADA LOVELACE"));
        Assert.That(_shop.Orders.Single().CardBrand, Is.EqualTo("mastercard"));
        Assert.That(_shop.Orders.Single().Lines, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task DeclinedPaymentShowsTheIssuerMessageCreatesNoOrderAndNeverEchoesCardData()
    {
        var authorizer = new RecordingAuthorizer(_ => PaymentDecision.Decline("card_already_used", "This card has already been used."));
        await using var shop = await DemoShop.StartAsync(new DemoShopOptions(), authorizer, _loggerFactory);
        var buyer = NewBuyer(shop);
        await AddToCartAsync(buyer, "pour-over-dripper", 1);

        using var response = await PostFormAsync(buyer, "/checkout", ValidCheckout());
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PaymentRequired));
        Assert.That(html, Does.Contain("<div role=\"alert\" data-testid=\"payment-error\">This card has already been used.</div>"));
        Assert.That(html, Does.Contain("value=\"ada@example.com\""), "non-card fields are kept");
        Assert.That(html, Does.Contain("value=\"12 Analytical Row\""));
        Assert.That(html, Does.Not.Contain(CardNumberDigits));
        Assert.That(html, Does.Not.Contain(CardNumberAsTyped));
        Assert.That(html, Does.Not.Contain(Cvc));
        Assert.That(html, Does.Match("<input id=\"card-number\"[^>]*value=\"\""));
        Assert.That(shop.Orders, Is.Empty);
        Assert.That(shop.PaymentAttempts, Is.EqualTo(1));
        Assert.That(await buyer.GetStringAsync(new Uri("/cart", UriKind.Relative)), Does.Contain("$24.00"), "cart kept for a retry");
    }

    [Test]
    public async Task InvalidExpiryGivesAFieldErrorAndNeverCallsTheAuthorizer()
    {
        var buyer = NewBuyer();
        await AddToCartAsync(buyer, "pour-over-dripper", 1);
        var form = ValidCheckout();
        form["card-expiry"] = "13/29";

        using var response = await PostFormAsync(buyer, "/checkout", form);
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(html, Does.Contain("<p id=\"card-expiry-error\" class=\"field-error\" role=\"alert\" data-testid=\"card-expiry-error\">"));
        Assert.That(html, Does.Match("<input id=\"card-expiry\"[^>]*aria-invalid=\"true\""));
        Assert.That(html, Does.Not.Contain(CardNumberDigits));
        Assert.That(_authorizer.Attempts, Is.Empty);
        Assert.That(_shop.PaymentAttempts, Is.Zero);
        Assert.That(_shop.Orders, Is.Empty);
    }

    [Test]
    public async Task EveryMissingOrMalformedFieldGetsItsOwnAlert()
    {
        var buyer = NewBuyer();
        await AddToCartAsync(buyer, "filter-papers", 1);
        var form = new Dictionary<string, string>
        {
            ["email"] = "not-an-email", ["country"] = "", ["card-number"] = "4242 abcd", ["card-cvc"] = "12",
        };

        using var response = await PostFormAsync(buyer, "/checkout", form);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            foreach (var field in CheckoutFieldNames)
            {
                Assert.That(html, Does.Contain($"data-testid=\"{field}-error\""), field);
            }
        });
        Assert.That(_authorizer.Attempts, Is.Empty);
    }

    [Test]
    public async Task UserInputIsHtmlEncodedWhenTheFormIsShownAgain()
    {
        var buyer = NewBuyer();
        await AddToCartAsync(buyer, "filter-papers", 1);
        var form = ValidCheckout();
        form["name"] = "<script>alert(1)</script>\"";
        form["card-cvc"] = "";

        using var response = await PostFormAsync(buyer, "/checkout", form);
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(html, Does.Not.Contain("<script>"));
        Assert.That(html, Does.Contain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"));
    }

    [Test]
    public async Task FailingAuthorizerShowsAPaymentErrorAndCreatesNoOrder()
    {
        var authorizer = new RecordingAuthorizer(_ => throw new HttpRequestException("issuer down"));
        await using var shop = await DemoShop.StartAsync(new DemoShopOptions(), authorizer, _loggerFactory);
        var buyer = NewBuyer(shop);
        await AddToCartAsync(buyer, "pour-over-dripper", 1);

        using var response = await PostFormAsync(buyer, "/checkout", ValidCheckout());
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(html, Does.Contain("data-testid=\"payment-error\""));
        Assert.That(shop.Orders, Is.Empty);
    }

    [Test]
    public async Task SecondPayNowWhileTheFirstIsPendingIsRefusedAndChargesOnce()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var authorizer = new RecordingAuthorizer(_ =>
        {
            release.Task.Wait(TimeSpan.FromSeconds(10));
            return PaymentDecision.Approve();
        });
        await using var shop = await DemoShop.StartAsync(new DemoShopOptions(), authorizer, _loggerFactory);
        var buyer = NewBuyer(shop);
        await AddToCartAsync(buyer, "pour-over-dripper", 1);

        var first = PostFormAsync(buyer, "/checkout", ValidCheckout());
        await Poll.UntilAsync(() => shop.PaymentAttempts > 0, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10),
            () => "the first checkout never reached the authorizer");

        using var second = await PostFormAsync(buyer, "/checkout", ValidCheckout());
        release.SetResult();
        using var firstResponse = await first;

        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(firstResponse.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        Assert.That(authorizer.Attempts, Has.Count.EqualTo(1));
        Assert.That(shop.Orders, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task BuyersWithSeparateCookiesHaveSeparateCarts()
    {
        var alice = NewBuyer();
        var bob = NewBuyer();

        await AddToCartAsync(alice, "pour-over-dripper", 1);
        await AddToCartAsync(bob, "filter-papers", 3);
        var aliceCart = await alice.GetStringAsync(new Uri("/cart", UriKind.Relative));
        var bobCart = await bob.GetStringAsync(new Uri("/cart", UriKind.Relative));

        Assert.That(aliceCart, Does.Contain("data-testid=\"cart-total\">$24.00<"));
        Assert.That(aliceCart, Does.Not.Contain("Paper filters"));
        Assert.That(bobCart, Does.Contain("data-testid=\"cart-total\">$19.50<"));
        Assert.That(bobCart, Does.Not.Contain("pour-over"));
    }

    [Test]
    public async Task CustomCatalogAndShopNameAreUsedAndLargeAmountsGetThousandsSeparators()
    {
        var options = new DemoShopOptions { ShopName = "Grinder Barn", Products = [new("burr-grinder", "Burr grinder", 123456)] };
        await using var shop = await DemoShop.StartAsync(options, _authorizer, _loggerFactory);

        var html = await NewBuyer(shop).GetStringAsync(shop.ProductUrl("burr-grinder"));

        Assert.That(html, Does.Contain("<title>Burr grinder | Grinder Barn</title>"));
        Assert.That(html, Does.Contain("data-testid=\"product-price\">$1,234.56<"));
    }

    [Test]
    public void OptionsWithDuplicateSkusAreRejected()
    {
        var options = new DemoShopOptions { Products = [new("a", "A", 100), new("a", "B", 200)] };

        Assert.That(async () => await DemoShop.StartAsync(options, _authorizer), Throws.ArgumentException);
    }

    [Test]
    public async Task CardNumberAndCvcNeverReachTheLogs()
    {
        var buyer = NewBuyer();
        await AddToCartAsync(buyer, "pour-over-dripper", 1);
        using (await PostFormAsync(buyer, "/checkout", ValidCheckout()))
        {
        }

        var log = string.Join('\n', _logs.Lines);

        Assert.That(log, Does.Contain("ending 4242"), "the order was logged");
        Assert.That(_logs.Lines, Has.Some.StartsWith("Microsoft.Hosting.Lifetime"), "the host logs through the given factory");
        Assert.That(log, Does.Not.Contain(CardNumberDigits));
        Assert.That(log, Does.Not.Contain(CardNumberAsTyped));
        // Ports and order numbers are random and may hold the CVC's three digits: look for it where it would be a leak.
        Assert.That(log, Does.Not.Match($"(?i)(cvc|cvv|csc|security code)\\W{{0,12}}{Cvc}"));
        Assert.That(log, Does.Not.Match($"(?<![0-9A-Za-z:]){Cvc}(?![0-9A-Za-z])"));
    }

    private static Dictionary<string, string> ValidCheckout() => new()
    {
        ["email"] = "ada@example.com",
        ["name"] = "Ada Lovelace",
        ["address"] = "12 Analytical Row",
        ["city"] = "London",
        ["postal-code"] = "94105",
        ["country"] = "US",
        ["card-number"] = CardNumberAsTyped,
        ["card-expiry"] = "04/29",
        ["card-cvc"] = Cvc,
        ["card-name"] = "ADA LOVELACE",
    };

    private static async Task AddToCartAsync(HttpClient buyer, string sku, int quantity)
    {
        using var response = await PostFormAsync(buyer, "/cart", new() { ["sku"] = sku, ["quantity"] = quantity.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther), $"adding {sku}");
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, Dictionary<string, string> fields)
    {
        using var content = new FormUrlEncodedContent(fields);
        return await client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    private HttpClient NewBuyer() => NewBuyer(_shop);

    private HttpClient NewBuyer(DemoShop shop)
    {
        // Each buyer is its own cookie jar, like a fresh browser context; redirects are asserted, not followed.
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = shop.BaseUrl };
        _clients.Add(client);
        return client;
    }
}
