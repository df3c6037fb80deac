using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.DemoMerchant;

/// <summary>The account, consent and late-total variants' own pages and endpoints.</summary>
public sealed partial class DemoShop
{
    private const string ConsentCookie = "dcs_consent";
    private const string ConsentDrawCookie = "dcs_visit";
    private const string NewsletterCookie = "dcs_newsletter";

    private readonly Lock _consentGate = new();
    private int _signInAttempts;
    private int _codeVerifications;
    private int _signIns;
    private int _consentWallsShown;

    /// <summary>
    /// <see cref="DemoVariant.Account"/>: how many times the sign-in form (email and password) was submitted, right or wrong.
    /// </summary>
    public int SignInAttempts => Volatile.Read(ref _signInAttempts);

    /// <summary><see cref="DemoVariant.Account"/>: how many times a verification code was submitted, right or wrong.</summary>
    public int CodeVerifications => Volatile.Read(ref _codeVerifications);

    /// <summary><see cref="DemoVariant.Account"/>: how many sign-ins completed (right password, then right code) and started a session.</summary>
    public int SignIns => Volatile.Read(ref _signIns);

    /// <summary><see cref="DemoVariant.Consent"/>: how many pages were served with the cookie-consent wall on them.</summary>
    public int ConsentWallsShown => Volatile.Read(ref _consentWallsShown);

    private void MapVariantRoutes()
    {
        _app.MapGet("/static/card-mask.js", (RequestDelegate)(context => ScriptAsync(context, Scripts.CardMask)));
        _app.MapGet("/static/quote.js", (RequestDelegate)(context => ScriptAsync(context, Scripts.Quote)));
        _app.MapGet("/static/consent.js", (RequestDelegate)(context => ScriptAsync(context, Scripts.Consent)));
        _app.MapGet("/static/newsletter.js", (RequestDelegate)(context => ScriptAsync(context, Scripts.Newsletter)));
        _app.MapGet("/account/sign-in", (RequestDelegate)ShowSignInAsync);
        _app.MapPost("/account/sign-in", (RequestDelegate)SignInAsync);
        _app.MapGet("/account/verify", (RequestDelegate)ShowVerifyAsync);
        _app.MapPost("/account/verify", (RequestDelegate)VerifyAsync);
        _app.MapPost("/consent", (RequestDelegate)AcceptConsentAsync);
        _app.MapGet("/checkout/quote", (RequestDelegate)QuoteAsync);
    }

    /// <summary>What the variant changes on the one-form checkout page for this buyer.</summary>
    private CheckoutShape ShapeFor(HttpContext context) => Variant switch
    {
        DemoVariant.Account => new CheckoutShape { SignedInEmail = _accounts?.SignedInEmail(context) },
        DemoVariant.ExpirySelects => new CheckoutShape { ExpiryYearFrom = _options.Clock.GetUtcNow().Year },
        DemoVariant.LateTotal => new CheckoutShape { QuoteUrl = "/checkout/quote" },
        DemoVariant.Consent when _options.NewsletterDelay is { } delay && !context.Request.Cookies.ContainsKey(NewsletterCookie) =>
            new CheckoutShape { NewsletterDelayMs = (int)delay.TotalMilliseconds },
        _ => CheckoutShape.Plain,
    };

    private Task ShowSignInAsync(HttpContext context) =>
        _accounts is null
            ? HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound())
            : HtmlAsync(context, StatusCodes.Status200OK, _pages.SignIn("", null));

    /// <summary>The account pages' POSTs: the account variant's store when this shop has one and the request is a form;
    /// otherwise the 404 page is answered and null returned.</summary>
    private async Task<AccountStore?> AccountsForPostAsync(HttpContext context)
    {
        if (_accounts is not null && context.Request.HasFormContentType)
        {
            return _accounts;
        }
        await HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound());
        return null;
    }

    private async Task SignInAsync(HttpContext context)
    {
        if (await AccountsForPostAsync(context) is not { } accounts)
        {
            return;
        }

        Interlocked.Increment(ref _signInAttempts);
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var email = form["email"].ToString();
        if (!accounts.CheckPassword(email, form["password"].ToString()))
        {
            // Neither value is logged; the email (not a secret) is kept in its field, the password never comes back.
            Log.SignInRefused(_logger, "password");
            await HtmlAsync(context, StatusCodes.Status401Unauthorized,
                _pages.SignIn(email.Length > CheckoutSubmission.MaxFieldLength ? "" : email, "The email or password you entered is incorrect."));
            return;
        }

        accounts.BeginVerification(context);
        SeeOther(context, "/account/verify");
    }

    private async Task ShowVerifyAsync(HttpContext context)
    {
        if (_accounts is null)
        {
            await HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound());
            return;
        }
        if (!_accounts.HasPendingSignIn(context))
        {
            await SeeOtherAsync(context, "/account/sign-in");
            return;
        }
        if (_options.BeforeVerificationPage is { } hold)
        {
            try
            {
                await hold(context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The buyer went away while held: nobody is left to answer.
                return;
            }
        }
        await HtmlAsync(context, StatusCodes.Status200OK, _pages.VerifyCode(null));
    }

    private async Task VerifyAsync(HttpContext context)
    {
        if (await AccountsForPostAsync(context) is not { } accounts)
        {
            return;
        }

        Interlocked.Increment(ref _codeVerifications);
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        switch (accounts.Verify(context, form["code"].ToString()))
        {
            case CodeCheck.Accepted:
                Interlocked.Increment(ref _signIns);
                Log.SignedIn(_logger);
                SeeOther(context, "/checkout");
                break;
            case CodeCheck.Refused:
                Log.SignInRefused(_logger, "verification code");
                await HtmlAsync(context, StatusCodes.Status401Unauthorized,
                    _pages.VerifyCode("That code is not right. Enter the current 6-digit code from your authenticator app."));
                break;
            default:
                SeeOther(context, "/account/sign-in");
                break;
        }
    }

    /// <summary>
    /// The shipping and tax quote of the late-total checkout, answered after <see cref="DemoShopOptions.QuoteDelay"/>:
    /// the cart total (shipping is free and tax included), plus <see cref="DemoShopOptions.QuotedTotalOffset"/>.
    /// </summary>
    private async Task QuoteAsync(HttpContext context)
    {
        var lines = _carts.Find(context)?.Snapshot() ?? [];
        if (Variant != DemoVariant.LateTotal || lines.Count == 0)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        try
        {
            await Task.Delay(_options.QuoteDelay, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // The buyer left before the quote was ready.
        }
        await context.Response.WriteAsJsonAsync(
            new { total = Money.Format(ShopPages.Total(lines) + _options.QuotedTotalOffset) }, context.RequestAborted);
    }

    /// <summary>"Accept all": a script's POST gets 204 and stays on its page; the plain form goes back where it was.</summary>
    private async Task AcceptConsentAsync(HttpContext context)
    {
        if (Variant != DemoVariant.Consent)
        {
            await HtmlAsync(context, StatusCodes.Status404NotFound, _pages.NotFound());
            return;
        }
        context.Response.Cookies.Append(ConsentCookie, "all", new CookieOptions
        {
            SameSite = SameSiteMode.Lax, Path = "/", IsEssential = true, MaxAge = TimeSpan.FromDays(180),
        });
        var back = context.Request.HasFormContentType
            ? (await context.Request.ReadFormAsync(context.RequestAborted))["return"].ToString()
            : "";
        // Only a path of this shop: never "//elsewhere" or a full URL.
        if (back.StartsWith('/') && !back.StartsWith("//", StringComparison.Ordinal) && !back.Contains('\\', StringComparison.Ordinal))
        {
            SeeOther(context, back);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// The consent variant puts its wall on every shop page until the buyer accepts. Whether a visit gets the wall is
    /// drawn once, on its first page, and kept in a visit cookie (as consent tools keep their A/B bucket).
    /// </summary>
    private string WithConsentWall(HttpContext context, string html)
    {
        if (Variant != DemoVariant.Consent || context.Connection.LocalPort != _shopPort
            || context.Request.Cookies.ContainsKey(ConsentCookie))
        {
            return html;
        }

        bool wall;
        if (context.Request.Cookies.TryGetValue(ConsentDrawCookie, out var drawn) && drawn is "wall" or "none")
        {
            wall = drawn == "wall";
        }
        else
        {
            wall = _options.ConsentWall switch
            {
                ConsentWallMode.Always => true,
                ConsentWallMode.Never => false,
                _ => DrawConsentWall(),
            };
            context.Response.Cookies.Append(ConsentDrawCookie, wall ? "wall" : "none", new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Lax, Path = "/", IsEssential = true,
            });
        }

        var end = html.LastIndexOf("</body>", StringComparison.Ordinal);
        if (!wall || end < 0)
        {
            return html;
        }
        Interlocked.Increment(ref _consentWallsShown);
        var back = context.Request.Path.Value is { Length: > 0 } path && HttpMethods.IsGet(context.Request.Method)
            ? path + context.Request.QueryString.Value
            : "/cart";
        return string.Concat(html.AsSpan(0, end), ShopPages.ConsentWall(back), html.AsSpan(end));
    }

    private bool DrawConsentWall()
    {
        lock (_consentGate)
        {
            return _consentRandom.Next(2) == 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Account sign-in refused: wrong {Step}")]
        public static partial void SignInRefused(ILogger logger, string step);

        [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Account signed in with a verification code")]
        public static partial void SignedIn(ILogger logger);
    }
}
