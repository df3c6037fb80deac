using OtpNet;

namespace CheckoutAgent.Worker.Accounts;

/// <summary>
/// Reads the one-time-code secret a shop shows when two-factor sign-in is set up: the base32 text
/// (<c>JBSW Y3DP EHPK 3PXP</c>, spaces and case ignored) or the <c>otpauth://totp/...?secret=...</c> URI behind its QR
/// code. Only what authenticator apps use by default is accepted (SHA-1, 6 digits, 30 s), so a code typed later is the
/// code the shop expects. Error messages never repeat the secret.
/// </summary>
public static class TotpSecret
{
    /// <summary>The secret's bytes.</summary>
    /// <exception cref="FormatException">Not base32 or a usable otpauth URI; the message says why without the secret.</exception>
    public static byte[] Parse(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var text = input.Trim();
        if (text.StartsWith("otpauth://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !uri.Host.Equals("totp", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException("the otpauth URI is not a TOTP URI (it must start with otpauth://totp/)");
            }
            var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2))
                .ToDictionary(p => Uri.UnescapeDataString(p[0]).ToLowerInvariant(), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "", StringComparer.Ordinal);
            Require(query, "algorithm", "SHA1", "the algorithm");
            Require(query, "digits", "6", "the number of digits");
            Require(query, "period", "30", "the period");
            text = query.TryGetValue("secret", out var secret) && secret.Length > 0
                ? secret
                : throw new FormatException("the otpauth URI has no secret= parameter");
        }
        var compact = new string(text.Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray()).TrimEnd('=').ToUpperInvariant();
        if (compact.Length < 16 || compact.Any(c => !(c is >= 'A' and <= 'Z' or >= '2' and <= '7')))
        {
            throw new FormatException("the one-time-code secret must be base32 (letters A-Z and digits 2-7, at least 16 of them) or an otpauth://totp/ URI");
        }
        return Base32Encoding.ToBytes(compact);
    }

    private static void Require(Dictionary<string, string> query, string key, string expected, string what)
    {
        if (query.TryGetValue(key, out var value) && !value.Equals(expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"the otpauth URI asks for {what} {value}; only {expected} (what authenticator apps use) is supported");
        }
    }
}
