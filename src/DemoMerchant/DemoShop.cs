using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
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
    private int _paymentAttempts;
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
        _pages = new ShopPages(options.ShopName);
    }

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

        // The empty builder reads no appsettings, environment or command line, and adds no console logger:
        // the shop runs inside other processes and must behave the same whatever they were started with.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DemoShop).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        builder.Services.AddRoutingCore();
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));

        // The default lifetime hooks Ctrl+C and SIGTERM for the whole process; the host process owns those, not us.
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, EmbeddedLifetime>());

        var app = builder.Build();
        var shop = new DemoShop(app, options, authorizer, loggerFactory);
        shop.MapRoutes();
        try
        {
            await app.StartAsync(ct);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("Kestrel did not report the address it bound.");
            var root = new Uri(address.TrimEnd('/') + "/");
            shop._origin = root.GetLeftPart(UriPartial.Authority);
            shop._baseUrl = root;
            Log.Started(shop._logger, options.ShopName, root);
            return shop;
        }
        catch
        {
            await shop.DisposeAsync();
            throw;
        }
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
    }

    private void MapRoutes()
    {
        _app.Use(async (context, next) =>
        {
            // Pages carry cart and checkout state: never cache them, never frame them, never run scripts.
            var headers = context.Response.Headers;
            headers.CacheControl = "no-store";
            headers.XContentTypeOptions = "nosniff";
            headers.ContentSecurityPolicy =
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
            await next(context);
        });
        _app.MapGet("/", (RequestDelegate)ShowCatalogAsync);
        _app.MapGet("/products/{sku}", (RequestDelegate)ShowProductAsync);
        _app.MapPost("/cart", (RequestDelegate)AddToCartAsync);
        _app.MapGet("/cart", (RequestDelegate)ShowCartAsync);
        _app.MapGet("/checkout", (RequestDelegate)ShowCheckoutAsync);
        _app.MapPost("/checkout", (RequestDelegate)PayAsync);
        _app.MapGet("/orders/{orderNumber}", (RequestDelegate)ShowOrderAsync);
        _app.MapFallback((RequestDelegate)(context => HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound())));
    }

    private Task ShowCatalogAsync(HttpContext context) =>
        HtmlAsync(context, StatusCodes.Status200OK, _pages.Catalog(_products));

    private Task ShowProductAsync(HttpContext context)
    {
        var sku = context.GetRouteValue("sku") as string;
        return sku is not null && _catalog.TryGetValue(sku, out var product)
            ? HtmlAsync(context, StatusCodes.Status200OK, _pages.Product(product))
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

        return HtmlAsync(context, StatusCodes.Status200OK,
            _pages.Checkout(lines, ShippingDetails.Empty, new Dictionary<string, string>()));
    }

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

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var submission = CheckoutSubmission.Parse(form);
        if (submission.Errors.Count > 0 || submission.Card is null)
        {
            await HtmlAsync(context, StatusCodes.Status422UnprocessableEntity,
                _pages.Checkout(cart.Snapshot(), submission.Shipping, submission.Errors));
            return;
        }

        if (!cart.TryBeginCheckout())
        {
            await HtmlAsync(context, StatusCodes.Status409Conflict,
                _pages.Problem("Payment in progress", "A payment for this cart is already being processed. Check your order confirmation before trying again."));
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

            await AuthorizeAndPlaceOrderAsync(context, cart, lines, submission.Shipping, submission.Card);
        }
        finally
        {
            cart.EndCheckout();
        }
    }

    private async Task AuthorizeAndPlaceOrderAsync(
        HttpContext context, Cart cart, IReadOnlyList<CartLine> lines, ShippingDetails shipping, CardDetails card)
    {
        var amount = ShopPages.Total(lines);
        var attempt = new PaymentAttempt(
            card.Number, card.Cvc, card.ExpMonth, card.ExpYear, card.NameOnCard,
            _origin ?? throw new InvalidOperationException("The shop has not started."), amount, Money.Currency);
        Interlocked.Increment(ref _paymentAttempts);

        PaymentDecision decision;
        try
        {
            // Not the request's token: a buyer closing the tab must not abandon a charge the issuer may already have made.
            decision = await _authorizer.AuthorizeAsync(attempt, _stopping.Token);
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            // Only the exception type: an authorizer's message is not ours to vet for card data.
            Log.AuthorizerFailed(_logger, ex.GetType().Name, amount, card.Brand, card.Last4);
            await HtmlAsync(context, StatusCodes.Status502BadGateway, _pages.Checkout(lines, shipping,
                new Dictionary<string, string>(), "We could not reach the card issuer. Your card was not charged; please try again."));
            return;
        }

        if (!decision.Approved)
        {
            Log.Declined(_logger, decision.DeclineCode ?? "unspecified", amount, card.Brand, card.Last4);
            await HtmlAsync(context, StatusCodes.Status402PaymentRequired, _pages.Checkout(lines, shipping,
                new Dictionary<string, string>(), string.IsNullOrWhiteSpace(decision.Message) ? "Your card was declined." : decision.Message));
            return;
        }

        var order = new DemoOrder(
            NewOrderNumber(), [.. lines.Select(l => new DemoOrderLine(l.Product.Sku, l.Quantity, l.Product.Price))],
            amount, Money.Currency, card.Brand, card.Last4, shipping.Email, DateTimeOffset.UtcNow);
        lock (_ordersGate)
        {
            _orders.Add(order);
        }

        _ordersByNumber[order.OrderNumber] = order;
        cart.RemovePurchased(lines);
        Log.OrderPlaced(_logger, order.OrderNumber, amount, card.Brand, card.Last4);
        SeeOther(context, "/orders/" + order.OrderNumber);
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

    private static Task HtmlAsync(HttpContext context, int status, string html)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(html, context.RequestAborted);
    }

    private static void SeeOther(HttpContext context, string path)
    {
        // 303 so the browser follows a POST with a GET: reloading the result page never resubmits a payment.
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = path;
    }

    /// <summary>Lets the host start and stop without touching process signals.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
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
