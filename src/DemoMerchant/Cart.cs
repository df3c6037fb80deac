using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace CheckoutAgent.DemoMerchant;

/// <summary>A cart line; the product is captured so the price cannot change under a buyer mid-checkout.</summary>
internal sealed record CartLine(DemoProduct Product, int Quantity)
{
    public long Subtotal => checked(Product.Price * Quantity);
}

/// <summary>One buyer's cart. Requests from the same browser can overlap, so every access is locked.</summary>
internal sealed class Cart
{
    public const int MaxQuantityPerLine = 99;

    private readonly Lock _gate = new();
    private readonly List<CartLine> _lines = [];
    private int _checkingOut;
    private ShippingDetails? _shipping;
    private CardDetails? _pendingCard;

    /// <summary>Multi-step checkouts: the shipping step's answers, kept for the review step.</summary>
    public ShippingDetails? Shipping
    {
        get { lock (_gate) { return _shipping; } }
        set { lock (_gate) { _shipping = value; } }
    }

    /// <summary>
    /// Multi-step checkouts: the card entered at the payment step, held in memory only until the review step pays or
    /// the buyer goes back; like a processor's token, it is never written anywhere.
    /// </summary>
    public CardDetails? TakePendingCard()
    {
        lock (_gate)
        {
            var card = _pendingCard;
            _pendingCard = null;
            return card;
        }
    }

    /// <summary>Last 4 of the pending card, for the review page; null when none.</summary>
    public string? PendingCardLast4
    {
        get { lock (_gate) { return _pendingCard?.Last4; } }
    }

    public void HoldCard(CardDetails card)
    {
        lock (_gate)
        {
            _pendingCard = card;
        }
    }

    public IReadOnlyList<CartLine> Snapshot()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }

    /// <summary>Adds units of a product; false when the line would exceed <see cref="MaxQuantityPerLine"/>.</summary>
    public bool TryAdd(DemoProduct product, int quantity)
    {
        lock (_gate)
        {
            var index = _lines.FindIndex(l => l.Product.Sku == product.Sku);
            var current = index < 0 ? 0 : _lines[index].Quantity;
            if (current + quantity > MaxQuantityPerLine)
            {
                return false;
            }

            if (index < 0)
            {
                _lines.Add(new CartLine(product, quantity));
            }
            else
            {
                _lines[index] = _lines[index] with { Quantity = current + quantity };
            }

            return true;
        }
    }

    /// <summary>
    /// Takes out exactly what was paid for, so anything the buyer added in another tab while the issuer was
    /// deciding stays in the cart instead of vanishing unpaid.
    /// </summary>
    public void RemovePurchased(IReadOnlyList<CartLine> purchased)
    {
        lock (_gate)
        {
            foreach (var bought in purchased)
            {
                var index = _lines.FindIndex(l => l.Product.Sku == bought.Product.Sku);
                if (index < 0)
                {
                    continue;
                }

                var left = _lines[index].Quantity - bought.Quantity;
                if (left > 0)
                {
                    _lines[index] = _lines[index] with { Quantity = left };
                }
                else
                {
                    _lines.RemoveAt(index);
                }
            }
        }
    }

    /// <value>A payment waiting for the card holder's 3-D Secure confirmation (the three-ds variant), else null.</value>
    public PendingPayment? PendingPayment { get; set; }

    /// <summary>Only one payment per cart at a time, so a double-clicked "Pay now" cannot charge twice.</summary>
    public bool TryBeginCheckout() => Interlocked.CompareExchange(ref _checkingOut, 1, 0) == 0;

    public void EndCheckout() => Volatile.Write(ref _checkingOut, 0);
}

/// <summary>A payment the issuer holds until the card holder confirms it: what the order will be once it does. No card number.</summary>
internal sealed record PendingPayment(string AuthenticationId, IReadOnlyList<CartLine> Lines, long UnitIncrease, long Amount,
    ShippingDetails Shipping, string CardBrand, string CardLast4);

/// <summary>Carts keyed by an opaque cookie; a fresh browser context therefore starts with an empty cart.</summary>
internal sealed class CartStore
{
    private const string CookieName = "dcs_cart";

    private readonly ConcurrentDictionary<string, Cart> _carts = new(StringComparer.Ordinal);

    /// <summary>The caller's cart, or null when the browser has none yet (no cookie is set by merely looking).</summary>
    public Cart? Find(HttpContext context) =>
        context.Request.Cookies.TryGetValue(CookieName, out var id) && id is not null && _carts.TryGetValue(id, out var cart)
            ? cart
            : null;

    /// <summary>The caller's cart, creating it and setting the cookie when needed.</summary>
    public Cart GetOrCreate(HttpContext context)
    {
        var existing = Find(context);
        if (existing is not null)
        {
            return existing;
        }

        // Ids come from us only: an unknown cookie value gets a new id rather than being adopted.
        var id = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var cart = _carts.GetOrAdd(id, _ => new Cart());
        context.Response.Cookies.Append(CookieName, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            IsEssential = true,
        });
        return cart;
    }
}
