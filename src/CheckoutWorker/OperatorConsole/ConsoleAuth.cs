using System.Security.Claims;
using CheckoutAgent.Worker.Observability;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Worker.OperatorConsole;

/// <summary>
/// How an operator signs in to the console: an agent token with the <c>admin</c> scope is checked once and exchanged
/// for a cookie session (ASP.NET Core cookie authentication). The cookie holds only a data-protected (encrypted and
/// signed) ticket naming the agent by id and name, never the token; it is <c>HttpOnly</c>, <c>SameSite=Strict</c>,
/// <c>Secure</c> over https, and ends after <see cref="ConsoleOptions.SessionLifetime"/>. Every request checks the
/// agent again, so revoking it (or taking away its admin scope) ends its sessions at once. Every form carries an
/// anti-forgery token.
/// </summary>
internal static class ConsoleAuth
{
    public const string Scheme = "console";
    public const string CookieName = "checkout-agent.console";
    public const string AntiforgeryCookieName = "checkout-agent.console.af";
    public const string AntiforgeryFieldName = "__csrf";

    /// <summary>
    /// Cookie authentication, anti-forgery, and data-protection keys kept sealed in the database (<see cref="ConsoleKeyRing"/>),
    /// so sessions survive a restart and work on every node.
    /// </summary>
    public static IServiceCollection AddConsoleAuth(this IServiceCollection services, ConsoleOptions options)
    {
        services.AddDataProtection().SetApplicationName("checkout-agent");
        services.AddConsoleKeyRing();
        services.AddAuthentication(Scheme).AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.Path = "/console";
            cookie.ExpireTimeSpan = options.SessionLifetime;
            cookie.SlidingExpiration = false;
            cookie.LoginPath = "/console/sign-in";
            cookie.LogoutPath = "/console/sign-out";
            cookie.AccessDeniedPath = "/console/sign-in";
            cookie.Events.OnValidatePrincipal = ValidateAsync;
        });
        services.AddAuthorization();
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = AntiforgeryCookieName;
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.Cookie.Path = "/console";
            antiforgery.FormFieldName = AntiforgeryFieldName;
            antiforgery.HeaderName = null;
            // The console sends its own X-Frame-Options DENY with every page.
            antiforgery.SuppressXFrameOptionsHeader = true;
        });
        return services;
    }

    /// <summary>The agent behind a session must still be live and still hold <c>admin</c>; otherwise the session ends now.</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var agents = context.HttpContext.RequestServices.GetRequiredService<AgentStore>();
        var agent = id is null ? null : await agents.GetAsync(id, context.HttpContext.RequestAborted);
        if (agent is null || agent.RevokedAt is not null || !agent.Has(Scopes.Admin))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
            return;
        }
        context.HttpContext.Items[typeof(Agent)] = agent;
    }

    /// <summary>The signed-in operator's agent (set by the session check).</summary>
    public static Agent Operator(this HttpContext http) => (Agent)http.Items[typeof(Agent)]!;

    /// <summary>Who did something in the console, as the timeline and audit log show it: never a token.</summary>
    public static string Actor(this HttpContext http) => $"{http.Operator()} in the console";

    /// <summary>Signs in the agent behind <paramref name="token"/>, if it is live and has <c>admin</c>; else says why not.</summary>
    public static async Task<string?> SignInAsync(HttpContext http, string token, ConsoleOptions options, ILogger logger)
    {
        var agents = http.RequestServices.GetRequiredService<AgentStore>();
        var agent = string.IsNullOrWhiteSpace(token) ? null : await agents.AuthenticateAsync(token.Trim(), http.RequestAborted);
        if (agent is null)
        {
            Log.ConsoleSignInRefused(logger, "unknown or revoked token");
            return "That token is unknown or was revoked. Use an agent token with the admin scope (checkout-agent agent add NAME --scopes admin).";
        }
        if (!agent.Has(Scopes.Admin))
        {
            Log.ConsoleSignInRefused(logger, $"agent {agent.Name} lacks the admin scope");
            return $"The agent '{agent.Name}' lacks the admin scope, which the console needs. Sign in with an admin agent's token (checkout-agent agent add NAME --scopes admin).";
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, agent.Id), new Claim(ClaimTypes.Name, agent.Name)], Scheme);
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties
        {
            IsPersistent = false,
            IssuedUtc = now,
            ExpiresUtc = now + options.SessionLifetime,
            AllowRefresh = false,
        });
        Log.ConsoleSignedIn(logger, agent.Name);
        return null;
    }

    /// <summary>A hidden field with a fresh anti-forgery token for this request's forms.</summary>
    public static Html AntiforgeryField(HttpContext http)
    {
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        return Html.Of($"<input type=\"hidden\" name=\"{tokens.FormFieldName}\" value=\"{tokens.RequestToken}\">");
    }

    /// <summary>Reads a posted form if its anti-forgery token is valid; null (and a log line) otherwise.</summary>
    public static async Task<IFormCollection?> ReadFormAsync(HttpContext http, ILogger logger)
    {
        if (!http.Request.HasFormContentType)
        {
            Log.ConsoleForgeryRefused(logger, http.Request.Path.Value ?? "");
            return null;
        }
        var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            Log.ConsoleForgeryRefused(logger, http.Request.Path.Value ?? "");
            return null;
        }
        return await http.Request.ReadFormAsync(http.RequestAborted);
    }
}
