using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using CheckoutAgent.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CheckoutAgent.DemoMerchant;

/// <summary>
/// A small real web shop on 127.0.0.1 that the demo, tests and benchmarks buy from.
/// Payments go to an <see cref="IPaymentAuthorizer"/>; card numbers and CVCs are never stored, logged or echoed.
/// </summary>
public sealed partial class DemoShop : IAsyncDisposable
{
    private const string OrderNumberAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly WebApplication _app;
    private readonly IPaymentAuthorizer _authorizer;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<DemoProduct> _products;
    private readonly Dictionary<string, DemoProduct> _catalog;
    private readonly ShopPages _pages;
    private readonly CartStore _carts = new();
    private readonly ConcurrentDictionary<string, DemoOrder> _ordersByNumber = new(StringComparer.Ordinal);
    private readonly Lock _ordersGate = new();
    private readonly List<DemoOrder> _orders = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly DemoShopOptions _options;
    private readonly ConcurrentDictionary<string, CardDetails> _cardTokens = new(StringComparer.Ordinal);
    private readonly AccountStore? _accounts;
    private readonly Random _consentRandom;
    private int _paymentAttempts;
    private int _paySubmissions;
    private int _cardTokenRequests;
    private int _shopPort;
    private int _cardPort;
    private string? _cardOrigin;
    private string? _foreignOrigin;
    private int _disposed;
    private Uri? _baseUrl;
    private string? _origin;

    private DemoShop(WebApplication app, DemoShopOptions options, IPaymentAuthorizer authorizer, ILoggerFactory loggerFactory)
    {
        _app = app;
        _authorizer = authorizer;
        _logger = loggerFactory.CreateLogger<DemoShop>();
        _products = [.. options.Products];
        _catalog = _products.ToDictionary(p => p.Sku, StringComparer.Ordinal);
        _pages = new ShopPages(options.ShopName, options.CardFieldFault, options.AfterCardNumber is not null);
        _options = options;
        _accounts = options.Variant == DemoVariant.Account ? new AccountStore(options) : null;
        // Not a security decision, only which visits see a banner: a seeded generator makes a test's visits repeatable.
#pragma warning disable CA5394
        _consentRandom = options.ConsentSeed is { } seed ? new Random(seed) : new Random();
#pragma warning restore CA5394
    }

    /// <summary>The checkout shape this shop serves.</summary>
    public DemoVariant Variant => _options.Variant;

    /// <summary>
    /// Origin of the shop's card processor (a second listener, so a second origin), which serves the card iframe of
    /// <see cref="DemoVariant.IframeCard"/>, e.g. <c>http://127.0.0.1:43122</c>.
    /// </summary>
    public string CardProcessorOrigin => _cardOrigin ?? throw new InvalidOperationException("The shop has not started.");

    /// <summary>
    /// Origin of a third listener that serves the card iframe of <see cref="DemoVariant.ForeignIframe"/>: a processor
    /// no recipe lists, standing for a page that moved its card fields somewhere else.
    /// </summary>
    public string ForeignOrigin => _foreignOrigin ?? throw new InvalidOperationException("The shop has not started.");

    /// <summary>How many times a card frame (either processor origin) was asked to tokenize a card.</summary>
    public int CardTokenRequests => Volatile.Read(ref _cardTokenRequests);

    /// <summary>Root of the shop, with a trailing slash, e.g. <c>http://127.0.0.1:43121/</c>.</summary>
    public Uri BaseUrl => _baseUrl ?? throw new InvalidOperationException("The shop has not started.");

    /// <summary>Orders placed so far, oldest first; a snapshot, safe to read while buyers are checking out.</summary>
    public IReadOnlyList<DemoOrder> Orders
    {
        get
        {
            lock (_ordersGate)
            {
                return [.. _orders];
            }
        }
    }

    /// <summary>How many times the shop has asked the issuer to authorize a payment (approved or not).</summary>
    public int PaymentAttempts => Volatile.Read(ref _paymentAttempts);

    /// <summary>
    /// How many payment submissions reached the shop, valid or not: POSTs of the single-page checkout form
    /// (<c>Pay now</c>) and of the multi-step review step (<c>Place order</c>). A buyer's final clicks, as the shop saw them.
    /// </summary>
    public int PaySubmissions => Volatile.Read(ref _paySubmissions);

    /// <summary>The page of one product. Unknown skus are allowed and lead to the shop's 404 page.</summary>
    public Uri ProductUrl(string sku)
    {
        ArgumentNullException.ThrowIfNull(sku);
        return new Uri(BaseUrl, "products/" + Uri.EscapeDataString(sku));
    }

    /// <summary>Starts the shop on a free port of 127.0.0.1 and returns once it accepts connections.</summary>
    public static async Task<DemoShop> StartAsync(
        DemoShopOptions options, IPaymentAuthorizer authorizer, ILoggerFactory? loggerFactory = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(authorizer);
        Validate(options);
        loggerFactory ??= NullLoggerFactory.Instance;

        // Three listeners, three origins: the shop, its card processor, and a processor no recipe trusts.
        ListenOptions? shopListener = null, cardListener = null, foreignListener = null;
        var builder = EmbeddedKestrel.CreateBuilder(typeof(DemoShop), loggerFactory, kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => shopListener = listen);
            kestrel.Listen(IPAddress.Loopback, 0, listen => cardListener = listen);
            kestrel.Listen(IPAddress.Loopback, 0, listen => foreignListener = listen);
        });

        var app = builder.Build();
        var shop = new DemoShop(app, options, authorizer, loggerFactory);
        shop.MapRoutes();
        return await EmbeddedKestrel.StartAsync(shop, app, () =>
        {
            // Kestrel writes the port it bound back into each listener's endpoint.
            static int BoundPort(ListenOptions? listener) =>
                listener?.IPEndPoint?.Port is > 0 and var port ? port : throw new InvalidOperationException("Kestrel did not report the port it bound.");
            shop._shopPort = BoundPort(shopListener);
            shop._cardPort = BoundPort(cardListener);
            shop._cardOrigin = $"http://127.0.0.1:{shop._cardPort}";
            shop._foreignOrigin = $"http://127.0.0.1:{BoundPort(foreignListener)}";
            var root = new Uri($"http://127.0.0.1:{shop._shopPort}/");
            shop._origin = root.GetLeftPart(UriPartial.Authority);
            shop._baseUrl = root;
            Log.Started(shop._logger, options.ShopName, root);
        }, ct);
    }

    /// <summary>Stops the server; in-flight requests get the host's shutdown grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            _stopping.Dispose();
        }
    }

    private static void Validate(DemoShopOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ShopName))
        {
            throw new ArgumentException("ShopName is required.", nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.Products, nameof(options));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var product in options.Products)
        {
            if (product is null
                || string.IsNullOrEmpty(product.Sku)
                || !product.Sku.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
                || string.IsNullOrWhiteSpace(product.Name)
                || product.Price <= 0)
            {
                throw new ArgumentException(
                    $"Invalid product {product}: sku must be lower-case letters, digits and dashes, name non-empty, price positive.",
                    nameof(options));
            }

            if (!seen.Add(product.Sku))
            {
                throw new ArgumentException($"Duplicate sku '{product.Sku}'.", nameof(options));
            }
        }

        if (string.IsNullOrWhiteSpace(options.AccountEmail) || string.IsNullOrEmpty(options.AccountPassword))
        {
            throw new ArgumentException("AccountEmail and AccountPassword are required.", nameof(options));
        }
        if (AccountStore.DecodeSecret(options.AccountTotpSecret) is null)
        {
            throw new ArgumentException("AccountTotpSecret must be base32 of at least 80 bits (16 characters).", nameof(options));
        }
        ArgumentNullException.ThrowIfNull(options.Clock, nameof(options));
        if (options.NewsletterDelay < TimeSpan.Zero || options.NewsletterDelay > TimeSpan.FromMinutes(10)
            || options.QuoteDelay < TimeSpan.Zero || options.QuoteDelay > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException("NewsletterDelay and QuoteDelay must be between 0 and 10 minutes.", nameof(options));
        }
    }

    private void MapRoutes()
    {
        _app.Use(async (context, next) =>
        {
            // Pages carry cart and checkout state: never cache them, never frame them, run only our own script.
            var headers = context.Response.Headers;
            headers.CacheControl = "no-store";
            headers.XContentTypeOptions = "nosniff";
            if (context.Connection.LocalPort != _shopPort)
            {
                await ServeCardProcessorAsync(context);
                return;
            }
            headers.ContentSecurityPolicy =
                $"default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src 'self'; connect-src 'self'; frame-src {_cardOrigin} {_foreignOrigin}; " +
                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
            await next(context);
        });
        _app.MapGet("/static/checkout.js", (RequestDelegate)(context => ScriptAsync(context, Scripts.Checkout)));
        _app.MapGet("/static/card-fields.js", (RequestDelegate)(context => ScriptAsync(context, Scripts.CardFields)));
        _app.MapPost("/checkout/card-number-entered", (RequestDelegate)CardNumberEnteredAsync);
        _app.MapGet("/checkout/shipping", (RequestDelegate)ShowShippingStepAsync);
        _app.MapPost("/checkout/shipping", (RequestDelegate)SaveShippingStepAsync);
        _app.MapGet("/checkout/payment", (RequestDelegate)ShowPaymentStepAsync);
        _app.MapPost("/checkout/payment", (RequestDelegate)SavePaymentStepAsync);
        _app.MapGet("/checkout/review", (RequestDelegate)ShowReviewStepAsync);
        _app.MapPost("/checkout/review", (RequestDelegate)(context => CountPaySubmission(context, PlaceReviewedOrderAsync)));
        _app.MapGet("/checkout/3ds", (RequestDelegate)ShowThreeDsChallengeAsync);
        _app.MapPost("/checkout/3ds/status", (RequestDelegate)ThreeDsStatusAsync);
        _app.MapGet("/static/three-ds.js", (RequestDelegate)(context => ScriptAsync(context, Scripts.ThreeDs)));
        _app.MapGet("/images/banner.png", (RequestDelegate)(context => PngAsync(context, ShopImages.Banner)));
        _app.MapGet("/images/products/{sku}.png", (RequestDelegate)(context =>
            context.GetRouteValue("sku") is string sku && _catalog.ContainsKey(sku)
                ? PngAsync(context, ShopImages.Product(sku))
                : HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound())));
        _app.MapGet("/", (RequestDelegate)ShowCatalogAsync);
        _app.MapGet("/products/{sku}", (RequestDelegate)ShowProductAsync);
        _app.MapPost("/cart", (RequestDelegate)AddToCartAsync);
        _app.MapGet("/cart", (RequestDelegate)ShowCartAsync);
        _app.MapGet("/checkout", (RequestDelegate)ShowCheckoutAsync);
        _app.MapPost("/checkout", (RequestDelegate)(context => CountPaySubmission(context, PayAsync)));
        _app.MapGet("/orders/{orderNumber}", (RequestDelegate)ShowOrderAsync);
        MapVariantRoutes();
        _app.MapFallback((RequestDelegate)(context => HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound())));
    }

    private Task CountPaySubmission(HttpContext context, RequestDelegate pay)
    {
        Interlocked.Increment(ref _paySubmissions);
        return pay(context);
    }

    private Task ShowCatalogAsync(HttpContext context) =>
        HtmlAsync(context, StatusCodes.Status200OK, _pages.Catalog(_products));

    private Task ShowProductAsync(HttpContext context)
    {
        var sku = context.GetRouteValue("sku") as string;
        return sku is not null && _catalog.TryGetValue(sku, out var product)
            ? HtmlAsync(context, StatusCodes.Status200OK, _pages.Product(product, outOfStock: Variant == DemoVariant.OutOfStock))
            : HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound());
    }

    private async Task AddToCartAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!_catalog.TryGetValue(form["sku"].ToString(), out var product))
        {
            await HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound());
            return;
        }

        if (Variant == DemoVariant.OutOfStock)
        {
            await HtmlAsync(context, StatusCodes.Status409Conflict, _pages.Product(product, outOfStock: true));
            return;
        }

        var rawQuantity = form["quantity"].ToString().Trim();
        if (rawQuantity.Length == 0)
        {
            rawQuantity = "1";
        }

        if (!int.TryParse(rawQuantity, NumberStyles.None, CultureInfo.InvariantCulture, out var quantity)
            || quantity is < 1 or > Cart.MaxQuantityPerLine)
        {
            await HtmlAsync(context, StatusCodes.Status422UnprocessableEntity,
                _pages.Product(product, $"Enter a quantity from 1 to {Cart.MaxQuantityPerLine}.", rawQuantity));
            return;
        }

        if (!_carts.GetOrCreate(context).TryAdd(product, quantity))
        {
            await HtmlAsync(context, StatusCodes.Status422UnprocessableEntity,
                _pages.Product(product, $"You can have at most {Cart.MaxQuantityPerLine} of this item in your cart.", rawQuantity));
            return;
        }

        SeeOther(context, "/cart");
    }

    private Task ShowCartAsync(HttpContext context) =>
        HtmlAsync(context, StatusCodes.Status200OK, _pages.CartPage(_carts.Find(context)?.Snapshot() ?? []));

    private Task ShowCheckoutAsync(HttpContext context)
    {
        var lines = _carts.Find(context)?.Snapshot() ?? [];
        if (lines.Count == 0)
        {
            SeeOther(context, "/cart");
            return Task.CompletedTask;
        }

        return Variant switch
        {
            DemoVariant.Captcha => HtmlAsync(context, StatusCodes.Status200OK, _pages.CaptchaWall()),
            _ when Variant.IsMultiStep() => SeeOtherAsync(context, "/checkout/shipping"),
            // No guest checkout: a buyer without a session signs in first, and comes back here.
            DemoVariant.Account when _accounts!.SignedInEmail(context) is null => SeeOtherAsync(context, "/account/sign-in"),
            _ => ServeCheckoutPageAsync(context, CheckoutPage(context, lines, ShippingDetails.Empty, new Dictionary<string, string>())),
        };
    }

    /// <summary>The one-form checkout page: whole, or in two parts around <see cref="DemoShopOptions.BeforeCardFields"/>.</summary>
    private async Task ServeCheckoutPageAsync(HttpContext context, string html)
    {
        html = WithConsentWall(context, html);
        var split = _options.BeforeCardFields is null ? -1 : html.IndexOf(ShopPages.PaymentFieldsetStart, StringComparison.Ordinal);
        if (split < 0)
        {
            await HtmlAsync(context, StatusCodes.Status200OK, html);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/html; charset=utf-8";
        try
        {
            await context.Response.WriteAsync(html[..split], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await _options.BeforeCardFields!(context.RequestAborted);
            await context.Response.WriteAsync(html[split..], context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The buyer went away while the page was held: nobody is left to send the rest to.
        }
    }

    /// <summary>The page's word that a card number was typed (no value comes with it): answered after <see cref="DemoShopOptions.AfterCardNumber"/>.</summary>
    private async Task CardNumberEnteredAsync(HttpContext context)
    {
        if (_options.AfterCardNumber is not { } hold)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        try
        {
            await hold(context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The buyer went away while held.
        }
    }

    private string CheckoutPage(HttpContext context, IReadOnlyList<CartLine> lines, ShippingDetails shipping, IReadOnlyDictionary<string, string> errors,
        string? paymentError = null) =>
        Variant switch
        {
            DemoVariant.Account or DemoVariant.Consent or DemoVariant.ExpirySelects or DemoVariant.LateTotal =>
                _pages.Checkout(lines, shipping, errors, paymentError, shape: ShapeFor(context)),
            DemoVariant.IframeCard => _pages.Checkout(lines, shipping, errors, paymentError, CardFieldsLayout.Iframe, new Uri(CardProcessorOrigin + "/elements/card")),
            DemoVariant.ForeignIframe => _pages.Checkout(lines, shipping, errors, paymentError, CardFieldsLayout.Iframe, new Uri(ForeignOrigin + "/elements/card")),
            DemoVariant.ShadowDom => _pages.Checkout(lines, shipping, errors, paymentError, CardFieldsLayout.Shadow),
            _ => _pages.Checkout(lines, shipping, errors, paymentError),
        };

    private async Task PayAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        var cart = _carts.Find(context);
        if (cart is null || cart.Snapshot().Count == 0)
        {
            SeeOther(context, "/cart");
            return;
        }

        if (Variant.IsMultiStep() || Variant == DemoVariant.Captcha)
        {
            SeeOther(context, "/checkout");
            return;
        }

        string? accountEmail = null;
        if (_accounts is not null && (accountEmail = _accounts.SignedInEmail(context)) is null)
        {
            SeeOther(context, "/account/sign-in");
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var tokenized = Variant.HasCardIframe();
        var submission = CheckoutSubmission.Parse(
            form, withCard: !tokenized, expirySelects: Variant == DemoVariant.ExpirySelects, accountEmail: accountEmail);
        var card = tokenized
            ? (_cardTokens.TryRemove(form["card-token"].ToString(), out var fromToken) ? fromToken : null)
            : submission.Card;
        if (submission.Errors.Count > 0 || card is null)
        {
            await HtmlAsync(context, StatusCodes.Status422UnprocessableEntity, CheckoutPage(context, cart.Snapshot(), submission.Shipping,
                submission.Errors, tokenized && card is null ? "Enter your card details in the secure card form." : null));
            return;
        }

        if (!await TryBeginCheckoutAsync(context, cart))
        {
            return;
        }

        try
        {
            // Taken after the lock so a concurrent submit that already paid leaves nothing to pay for here.
            var lines = cart.Snapshot();
            if (lines.Count == 0)
            {
                SeeOther(context, "/cart");
                return;
            }

            await AuthorizeAndPlaceOrderAsync(context, cart, lines, 0, submission.Shipping, card,
                error => CheckoutPage(context, lines, submission.Shipping, new Dictionary<string, string>(), error));
        }
        finally
        {
            cart.EndCheckout();
        }
    }

    /// <param name="unitIncrease">Cents added to each unit price (the price-change variant's review step).</param>
    /// <param name="pageWithError">The page to show again with a payment error.</param>
    private async Task AuthorizeAndPlaceOrderAsync(
        HttpContext context, Cart cart, IReadOnlyList<CartLine> lines, long unitIncrease, ShippingDetails shipping, CardDetails card,
        Func<string, string> pageWithError)
    {
        if (_options.BeforeAuthorize is { } hold)
        {
            await hold(_stopping.Token);
        }

        var amount = ShopPages.Total(lines, unitIncrease);
        var attempt = new PaymentAttempt(
            card.Number, card.Cvc, card.ExpMonth, card.ExpYear, card.NameOnCard,
            _origin ?? throw new InvalidOperationException("The shop has not started."), amount, Money.Currency)
        {
            // The bank of this variant wants the card holder to confirm every payment (3-D Secure).
            ThreeDSecure = Variant == DemoVariant.ThreeDs,
        };
        Interlocked.Increment(ref _paymentAttempts);

        PaymentDecision decision;
        try
        {
            // Not the request's token: a buyer closing the tab must not abandon a charge the issuer may already have made.
            decision = Variant == DemoVariant.Decline
                ? PaymentDecision.Decline("do_not_honor", "Your card was declined by the issuer. Try another card.")
                : await _authorizer.AuthorizeAsync(attempt, _stopping.Token);
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            // Only the exception type: an authorizer's message is not ours to vet for card data.
            Log.AuthorizerFailed(_logger, ex.GetType().Name, amount, card.Brand, card.Last4);
            await HtmlAsync(context, StatusCodes.Status502BadGateway,
                pageWithError("We could not reach the card issuer. Your card was not charged; please try again."));
            return;
        }

        if (decision.Pending)
        {
            // Nothing is charged until the card holder confirms (out of band, in their bank's app): the challenge page
            // asks the shop, which asks the issuer, and carries on by itself to the confirmation or the decline.
            cart.PendingPayment = new PendingPayment(decision.AuthenticationId!, lines, unitIncrease, amount, shipping, card.Brand, card.Last4);
            SeeOther(context, "/checkout/3ds");
            return;
        }

        if (!decision.Approved)
        {
            Log.Declined(_logger, decision.DeclineCode ?? "unspecified", amount, card.Brand, card.Last4);
            await HtmlAsync(context, StatusCodes.Status402PaymentRequired,
                pageWithError(string.IsNullOrWhiteSpace(decision.Message) ? "Your card was declined." : decision.Message));
            return;
        }

        var order = PlaceOrder(cart, lines, unitIncrease, amount, shipping, card.Brand, card.Last4);
        SeeOther(context, "/orders/" + order.OrderNumber);
    }

    private DemoOrder PlaceOrder(Cart cart, IReadOnlyList<CartLine> lines, long unitIncrease, long amount, ShippingDetails shipping, string brand, string last4)
    {
        var order = new DemoOrder(
            NewOrderNumber(), [.. lines.Select(l => new DemoOrderLine(l.Product.Sku, l.Quantity, l.Product.Price + unitIncrease))],
            amount, Money.Currency, brand, last4, shipping.Email, _options.Clock.GetUtcNow());
        lock (_ordersGate)
        {
            _orders.Add(order);
        }

        _ordersByNumber[order.OrderNumber] = order;
        cart.RemovePurchased(lines);
        Log.OrderPlaced(_logger, order.OrderNumber, amount, brand, last4);
        return order;
    }

    /// <summary>
    /// The challenge page's question, asked every half second: has the card holder confirmed? The answer is the
    /// order's page (the payment went through), the issuer's decline, or "still waiting".
    /// </summary>
    private async Task ThreeDsStatusAsync(HttpContext context)
    {
        var cart = _carts.Find(context);
        if (Variant != DemoVariant.ThreeDs || cart?.PendingPayment is not { } pending || !await TryBeginCheckoutAsync(context, cart))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsJsonAsync(new { state = "none" }, context.RequestAborted);
            return;
        }
        try
        {
            PaymentDecision decision;
            try
            {
                decision = await _authorizer.CompleteAuthenticationAsync(pending.AuthenticationId, _stopping.Token);
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                Log.AuthorizerFailed(_logger, ex.GetType().Name, pending.Amount, pending.CardBrand, pending.CardLast4);
                await context.Response.WriteAsJsonAsync(new { state = "pending" }, context.RequestAborted);
                return;
            }
            if (decision.Pending)
            {
                await context.Response.WriteAsJsonAsync(new { state = "pending" }, context.RequestAborted);
                return;
            }
            cart.PendingPayment = null;
            if (!decision.Approved)
            {
                Log.Declined(_logger, decision.DeclineCode ?? "unspecified", pending.Amount, pending.CardBrand, pending.CardLast4);
                await context.Response.WriteAsJsonAsync(new
                {
                    state = "declined",
                    message = string.IsNullOrWhiteSpace(decision.Message) ? "Your bank did not confirm this payment." : decision.Message,
                }, context.RequestAborted);
                return;
            }
            var order = PlaceOrder(cart, pending.Lines, pending.UnitIncrease, pending.Amount, pending.Shipping, pending.CardBrand, pending.CardLast4);
            await context.Response.WriteAsJsonAsync(new { state = "approved", next = "/orders/" + order.OrderNumber }, context.RequestAborted);
        }
        finally
        {
            cart.EndCheckout();
        }
    }

    private Task ShowShippingStepAsync(HttpContext context) =>
        WithMultiStepCartAsync(context, (cart, lines) =>
            HtmlAsync(context, StatusCodes.Status200OK, _pages.ShippingStep(lines, cart.Shipping ?? ShippingDetails.Empty, new Dictionary<string, string>())));

    private Task SaveShippingStepAsync(HttpContext context) =>
        WithMultiStepCartAsync(context, async (cart, lines) =>
        {
            var submission = CheckoutSubmission.Parse(await context.Request.ReadFormAsync(context.RequestAborted), withCard: false);
            if (submission.Errors.Count > 0)
            {
                await HtmlAsync(context, StatusCodes.Status422UnprocessableEntity, _pages.ShippingStep(lines, submission.Shipping, submission.Errors));
                return;
            }
            cart.Shipping = submission.Shipping;
            SeeOther(context, "/checkout/payment");
        });

    private Task ShowPaymentStepAsync(HttpContext context) =>
        WithMultiStepCartAsync(context, (cart, _) => cart.Shipping is null
            ? SeeOtherAsync(context, "/checkout/shipping")
            : HtmlAsync(context, StatusCodes.Status200OK, _pages.PaymentStep(new Dictionary<string, string>())));

    private Task SavePaymentStepAsync(HttpContext context) =>
        WithMultiStepCartAsync(context, async (cart, _) =>
        {
            var submission = CheckoutSubmission.Parse(await context.Request.ReadFormAsync(context.RequestAborted), withShipping: false);
            if (submission.Errors.Count > 0 || submission.Card is null)
            {
                await HtmlAsync(context, StatusCodes.Status422UnprocessableEntity, _pages.PaymentStep(submission.Errors));
                return;
            }
            cart.HoldCard(submission.Card);
            SeeOther(context, "/checkout/review");
        });

    private long UnitIncrease => Variant == DemoVariant.PriceChange ? _options.PriceIncrease : 0;

    private Task ShowReviewStepAsync(HttpContext context) =>
        WithMultiStepCartAsync(context, (cart, lines) => cart.Shipping is not { } shipping || cart.PendingCardLast4 is not { } last4
            ? SeeOtherAsync(context, "/checkout/payment")
            : HtmlAsync(context, StatusCodes.Status200OK, _pages.ReviewStep(lines, UnitIncrease, shipping, last4, null)));

    private Task PlaceReviewedOrderAsync(HttpContext context) =>
        WithMultiStepCartAsync(context, async (cart, lines) =>
        {
            if (cart.Shipping is not { } shipping || cart.PendingCardLast4 is not { } last4)
            {
                SeeOther(context, "/checkout/payment");
                return;
            }
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            if (form["terms"].ToString() != "yes")
            {
                await HtmlAsync(context, StatusCodes.Status422UnprocessableEntity,
                    _pages.ReviewStep(lines, UnitIncrease, shipping, last4, "Tick the box to accept the terms of sale."));
                return;
            }
            if (!await TryBeginCheckoutAsync(context, cart))
            {
                return;
            }
            try
            {
                var card = cart.TakePendingCard();
                var paying = cart.Snapshot();
                if (card is null || paying.Count == 0)
                {
                    SeeOther(context, "/checkout/payment");
                    return;
                }
                await AuthorizeAndPlaceOrderAsync(context, cart, paying, UnitIncrease, shipping, card,
                    error => _pages.PaymentStep(new Dictionary<string, string> { [Field.CardNumber] = error }));
            }
            finally
            {
                cart.EndCheckout();
            }
        });

    private Task ShowThreeDsChallengeAsync(HttpContext context)
    {
        var pending = _carts.Find(context)?.PendingPayment;
        return Variant == DemoVariant.ThreeDs && pending is not null
            ? HtmlAsync(context, StatusCodes.Status200OK, _pages.ThreeDsChallenge(pending.Amount))
            : HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound());
    }

    /// <summary>Runs a multi-step page for a buyer with a non-empty cart; other variants have no such pages.</summary>
    private Task WithMultiStepCartAsync(HttpContext context, Func<Cart, IReadOnlyList<CartLine>, Task> page)
    {
        if (!Variant.IsMultiStep())
        {
            return HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound());
        }
        var cart = _carts.Find(context);
        var lines = cart?.Snapshot() ?? [];
        return cart is null || lines.Count == 0 ? SeeOtherAsync(context, "/cart") : page(cart, lines);
    }

    /// <summary>The card processor's origin (and the foreign one): the card frame, its script, and tokenization.</summary>
    private async Task ServeCardProcessorAsync(HttpContext context)
    {
        context.Response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors {_origin}";
        var (method, path) = (context.Request.Method, context.Request.Path.Value);
        if (HttpMethods.IsGet(method) && path == "/elements/card")
        {
            await HtmlAsync(context, StatusCodes.Status200OK, ShopPages.CardFrame(_origin!));
        }
        else if (HttpMethods.IsGet(method) && path == "/elements/elements.js")
        {
            await ScriptAsync(context, Scripts.Elements);
        }
        else if (HttpMethods.IsPost(method) && path == "/elements/tokens" && context.Request.HasFormContentType)
        {
            Interlocked.Increment(ref _cardTokenRequests);
            var submission = CheckoutSubmission.Parse(await context.Request.ReadFormAsync(context.RequestAborted), withShipping: false);
            if (submission.Card is null)
            {
                context.Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
                await context.Response.WriteAsJsonAsync(new { error = submission.Errors.Values.FirstOrDefault() ?? "Check your card details." }, context.RequestAborted);
                return;
            }
            var token = "tok_" + RandomNumberGenerator.GetHexString(24, lowercase: true);
            _cardTokens[token] = submission.Card;
            await context.Response.WriteAsJsonAsync(new { token }, context.RequestAborted);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }

    private static Task PngAsync(HttpContext context, byte[] png)
    {
        context.Response.ContentType = "image/png";
        context.Response.ContentLength = png.Length;
        return context.Response.Body.WriteAsync(png, context.RequestAborted).AsTask();
    }

    private static Task ScriptAsync(HttpContext context, string script)
    {
        context.Response.ContentType = "text/javascript; charset=utf-8";
        return context.Response.WriteAsync(script, context.RequestAborted);
    }

    private static Task SeeOtherAsync(HttpContext context, string path)
    {
        SeeOther(context, path);
        return Task.CompletedTask;
    }

    private Task ShowOrderAsync(HttpContext context)
    {
        var number = context.GetRouteValue("orderNumber") as string;
        return number is not null && _ordersByNumber.TryGetValue(number, out var order)
            ? HtmlAsync(context, StatusCodes.Status200OK, _pages.Confirmation(order, _catalog))
            : HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound());
    }

    private string NewOrderNumber()
    {
        while (true)
        {
            var number = "DCS-" + RandomNumberGenerator.GetString(OrderNumberAlphabet, 8);
            if (!_ordersByNumber.ContainsKey(number))
            {
                return number;
            }
        }
    }

    private Task HtmlAsync(HttpContext context, int status, string html)
    {
        html = WithConsentWall(context, html);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(html, context.RequestAborted);
    }

    /// <summary>Claims the cart for one payment; when another submit holds it, answers 409 and returns false.</summary>
    private async Task<bool> TryBeginCheckoutAsync(HttpContext context, Cart cart)
    {
        if (cart.TryBeginCheckout())
        {
            return true;
        }
        await HtmlAsync(context, StatusCodes.Status409Conflict,
            _pages.Problem("Payment in progress", "A payment for this cart is already being processed. Check your order confirmation before trying again."));
        return false;
    }

    private static void SeeOther(HttpContext context, string path)
    {
        // 303 so the browser follows a POST with a GET: reloading the result page never resubmits a payment.
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = path;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Demo shop {ShopName} listening on {BaseUrl}")]
        public static partial void Started(ILogger logger, string shopName, Uri baseUrl);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Order {OrderNumber} placed: {Amount} cents paid with {CardBrand} ending {CardLast4}")]
        public static partial void OrderPlaced(ILogger logger, string orderNumber, long amount, string cardBrand, string cardLast4);

        [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Payment declined ({DeclineCode}): {Amount} cents with {CardBrand} ending {CardLast4}")]
        public static partial void Declined(ILogger logger, string declineCode, long amount, string cardBrand, string cardLast4);

        [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Payment authorizer failed with {ExceptionType}: {Amount} cents with {CardBrand} ending {CardLast4}")]
        public static partial void AuthorizerFailed(ILogger logger, string exceptionType, long amount, string cardBrand, string cardLast4);
    }
}
