using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OtpNet;

namespace CheckoutAgent.DemoMerchant;

/// <summary>How a verification code was received.</summary>
internal enum CodeCheck
{
    /// <summary>The code is right: the buyer is signed in.</summary>
    Accepted,
    /// <summary>The code is wrong or from a step outside the window; the buyer may try again.</summary>
    Refused,
    /// <summary>No password step to verify (never done, expired, or too many wrong codes): sign in again.</summary>
    NoPendingSignIn,
}

/// <summary>
/// The account variant's one shop account, its two-step sign-in and its sessions. Passwords and codes are compared and
/// dropped: they are never stored, logged or shown. Sessions and half-done sign-ins are keyed by random HttpOnly cookies.
/// </summary>
internal sealed class AccountStore
{
    /// <summary>Wrong codes allowed after one right password, as shops limit guessing; then the password step again.</summary>
    public const int MaxCodeAttempts = 5;

    private const string SessionCookie = "dcs_session";
    private const string PendingCookie = "dcs_signin";
    private static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(30);

    // RFC 6238 as real shops apply it: the current 30 s step, and one step either side for clock drift and slow typing.
    private static readonly VerificationWindow CodeWindow = new(previous: 1, future: 1);

    private readonly string _email;
    private readonly byte[] _passwordHash;
    private readonly Totp _totp;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, string> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingSignIn> _pending = new(StringComparer.Ordinal);

    public AccountStore(DemoShopOptions options)
    {
        _email = options.AccountEmail;
        _passwordHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.AccountPassword));
        _totp = new Totp(Base32Encoding.ToBytes(options.AccountTotpSecret), step: 30, mode: OtpHashMode.Sha1, totpSize: 6);
        _clock = options.Clock;
    }

    /// <summary>The bytes of a base32 secret, or null when it is not base32 or shorter than 80 bits.</summary>
    public static byte[]? DecodeSecret(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret))
        {
            return null;
        }
        try
        {
            var bytes = Base32Encoding.ToBytes(secret);
            return bytes.Length >= 10 ? bytes : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The signed-in buyer's email, or null when the browser carries no live session.</summary>
    public string? SignedInEmail(HttpContext context) =>
        context.Request.Cookies.TryGetValue(SessionCookie, out var token) && token is not null && _sessions.TryGetValue(token, out var email)
            ? email
            : null;

    /// <summary>First step. The comparison takes the same time whatever the password, and keeps nothing of it.</summary>
    public bool CheckPassword(string email, string password) =>
        string.Equals(email.Trim(), _email, StringComparison.OrdinalIgnoreCase)
        & CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(password)), _passwordHash);

    /// <summary>After a right password: remembers the half-done sign-in for the code step, under a fresh cookie.</summary>
    public void BeginVerification(HttpContext context)
    {
        var id = RandomNumberGenerator.GetHexString(32, lowercase: true);
        _pending[id] = new PendingSignIn(_clock.GetUtcNow());
        context.Response.Cookies.Append(PendingCookie, id, CookieOptions(maxAge: null));
    }

    /// <summary>Whether the browser is between the password and the code step.</summary>
    public bool HasPendingSignIn(HttpContext context) => FindPending(context, out _) is not null;

    /// <summary>Second step: checks the code against the current TOTP step and its neighbours; on success, starts a session.</summary>
    public CodeCheck Verify(HttpContext context, string code)
    {
        if (FindPending(context, out var id) is not { } pending)
        {
            return CodeCheck.NoPendingSignIn;
        }

        // Authenticator apps show "123 456": spaces are fine, anything else but six digits is simply wrong.
        var digits = code.Replace(" ", "", StringComparison.Ordinal);
        if (digits.Length == 6 && digits.All(char.IsAsciiDigit)
            && _totp.VerifyTotp(_clock.GetUtcNow().UtcDateTime, digits, out _, CodeWindow))
        {
            _pending.TryRemove(id!, out _);
            context.Response.Cookies.Delete(PendingCookie, CookieOptions(maxAge: null));
            var token = RandomNumberGenerator.GetHexString(48, lowercase: true);
            _sessions[token] = _email;
            context.Response.Cookies.Append(SessionCookie, token, CookieOptions(SessionLifetime));
            return CodeCheck.Accepted;
        }

        if (Interlocked.Increment(ref pending.WrongCodes) >= MaxCodeAttempts)
        {
            _pending.TryRemove(id!, out _);
        }
        return CodeCheck.Refused;
    }

    private PendingSignIn? FindPending(HttpContext context, out string? id)
    {
        id = context.Request.Cookies.TryGetValue(PendingCookie, out var value) ? value : null;
        if (id is null || !_pending.TryGetValue(id, out var pending))
        {
            return null;
        }
        if (_clock.GetUtcNow() - pending.StartedAt > PendingLifetime)
        {
            _pending.TryRemove(id, out _);
            return null;
        }
        return pending;
    }

    private static CookieOptions CookieOptions(TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        IsEssential = true,
        MaxAge = maxAge,
    };

    /// <summary>A right password waiting for its code.</summary>
    private sealed class PendingSignIn(DateTimeOffset startedAt)
    {
        public DateTimeOffset StartedAt { get; } = startedAt;

        public int WrongCodes;
    }
}
