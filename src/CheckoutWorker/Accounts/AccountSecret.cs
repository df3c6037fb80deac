using System.Text.Json;
using System.Text.Json.Serialization;
using OtpNet;

namespace CheckoutAgent.Worker.Accounts;

/// <summary>
/// The owner's login at one shop, decrypted for one checkout. Like a card secret, only harmless parts are properties
/// (the host, whether a one-time code is set up); <see cref="ToString"/>, JSON and log destructuring show the host and
/// a masked username. The password and the one-time code are reached only through <see cref="Reveal"/> and
/// <see cref="CodeAsync"/>, at the moment of typing.
/// </summary>
[JsonConverter(typeof(AccountSecretJsonConverter))]
public sealed class AccountSecret
{
    /// <summary>A code with less time left than this is not typed: the next one is waited for, so the shop never sees an expired code.</summary>
    public static readonly TimeSpan MinimumCodeLife = TimeSpan.FromSeconds(4);

    private readonly string _username;
    private readonly string _password;
    private readonly byte[]? _totpKey;

    public AccountSecret(string host, string username, string password, byte[]? totpKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentException.ThrowIfNullOrEmpty(password);
        Host = host;
        _username = username;
        _password = password;
        _totpKey = totpKey is { Length: > 0 } ? totpKey : null;
    }

    /// <value>The shop's host, lower case.</value>
    public string Host { get; }

    /// <value>True when a TOTP secret is set up, so <c>${account.totp}</c> can be typed.</value>
    public bool HasTotp => _totpKey is not null;

    /// <summary>The username or password, for typing into the shop's sign-in form and nothing else.</summary>
    public string Reveal(Core.Recipes.AccountField field) => field switch
    {
        Core.Recipes.AccountField.Username => _username,
        Core.Recipes.AccountField.Password => _password,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "the one-time code is computed with CodeAsync at the moment of typing"),
    };

    /// <summary>
    /// The current RFC 6238 code (30 s steps, 6 digits, SHA-1: what authenticator apps use). When the current code has
    /// less than <see cref="MinimumCodeLife"/> left, waits for the next one.
    /// </summary>
    /// <exception cref="InvalidOperationException">No TOTP secret was set up for this account.</exception>
    public async Task<string> CodeAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (_totpKey is null)
        {
            throw new InvalidOperationException($"the account for {Host} has no one-time-code secret; add one with: checkout-agent account rotate {Host} --totp-secret-stdin");
        }
        var totp = new Totp(_totpKey);
        var now = time.GetUtcNow();
        var left = TimeSpan.FromSeconds(totp.RemainingSeconds(now.UtcDateTime));
        if (left < MinimumCodeLife)
        {
            await Task.Delay(left + TimeSpan.FromMilliseconds(50), time, cancellationToken);
            now = time.GetUtcNow();
        }
        return totp.ComputeTotp(now.UtcDateTime);
    }

    /// <summary>A copy of the TOTP key, to seal it again when the password is rotated; null when none.</summary>
    internal byte[]? TotpKeyCopy() => _totpKey is null ? null : (byte[])_totpKey.Clone();

    /// <summary>The host and a masked username only.</summary>
    public override string ToString() => $"account at {Host} ({Mask(_username)})";

    /// <summary>A username shown to people: its first character and the domain of an email, e.g. <c>o•••@example.com</c>.</summary>
    public static string Mask(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        var at = username.IndexOf('@', StringComparison.Ordinal);
        return at > 0 ? $"{username[0]}•••{username[at..]}" : username.Length > 0 ? $"{username[0]}•••" : "";
    }
}

/// <summary>Writes an <see cref="AccountSecret"/> as its masked text; never reads one.</summary>
public sealed class AccountSecretJsonConverter : CheckoutAgent.Link.Cards.MaskedJsonConverter<AccountSecret>;
