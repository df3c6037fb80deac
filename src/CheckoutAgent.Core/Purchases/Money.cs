using System.Globalization;
using System.Text.RegularExpressions;

namespace CheckoutAgent.Core.Purchases;

/// <summary>Amounts are integer minor units (cents) everywhere; this is the one place they become text and back.</summary>
public static partial class Money
{
    /// <summary><c>2400, "usd"</c> → <c>$24.00</c>; other currencies → <c>24.00 EUR</c>.</summary>
    public static string Format(long cents, string currency)
    {
        var major = (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);
        return currency.Equals("usd", StringComparison.OrdinalIgnoreCase) ? "$" + major : $"{major} {currency.ToUpperInvariant()}";
    }

    private static readonly Dictionary<string, string> Symbols = new(StringComparer.Ordinal)
    {
        ["€"] = "eur", ["£"] = "gbp", ["¥"] = "jpy", ["$"] = Dollar,
    };

    private static readonly HashSet<string> IsoCodes = new(StringComparer.Ordinal)
    {
        "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "MXN", "SGD", "HKD", "INR", "BRL",
    };

    private static readonly HashSet<string> DollarCurrencies = new(StringComparer.Ordinal) { "usd", "cad", "aud", "nzd", "sgd", "hkd", "mxn" };

    /// <summary>What <see cref="TryParse(string, out long, out string?)"/> reports for a bare <c>$</c>: one of several dollars.</summary>
    public const string Dollar = "$";

    [GeneratedRegex(@"\d(?:[\d.,'\u00A0\u202F ]*\d)?", RegexOptions.CultureInvariant)]
    private static partial Regex NumberToken();

    [GeneratedRegex(@"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])|[€£¥$]", RegexOptions.CultureInvariant)]
    private static partial Regex CurrencyMarker();

    /// <summary>Reads a total as a page shows it as cents; see <see cref="TryParse(string, out long, out string?)"/>.</summary>
    public static bool TryParse(string text, out long cents) => TryParse(text, out cents, out _);

    /// <summary>
    /// Reads a total as a page shows it (<c>$1,234.56</c>, <c>USD 12.00</c>, <c>1.234,56 €</c>) as cents, and the currency
    /// it names (<c>eur</c>, <c>usd</c>, <see cref="Dollar"/> for a bare <c>$</c>, null when it names none). A separator
    /// followed by one or two final digits is the decimal mark; other separators group thousands. Text with several
    /// numbers is read only when exactly one of them stands next to a currency sign or code; otherwise it is refused,
    /// because guessing which number is the total could approve the wrong amount.
    /// </summary>
    public static bool TryParse(string text, out long cents, out string? currency)
    {
        cents = 0;
        currency = null;
        var tokens = NumberToken().Matches(text);
        var markers = CurrencyMarker().Matches(text).Where(m => m.Length == 1 || IsoCodes.Contains(m.Value)).ToList();
        Match? amount = tokens.Count == 1 ? tokens[0] : null;
        Match? marker = null;
        foreach (Match token in tokens)
        {
            var next = markers.FirstOrDefault(m => Adjacent(text, token, m));
            if (next is not null)
            {
                if (marker is not null && tokens.Count > 1)
                {
                    return false; // two amounts with currency signs: which is the total?
                }
                (amount, marker) = (token, next);
            }
        }
        if (amount is null)
        {
            return false;
        }
        marker ??= markers.Count == 1 ? markers[0] : null;
        if (marker is not null)
        {
            currency = Symbols.TryGetValue(marker.Value, out var fromSymbol) ? fromSymbol : marker.Value.ToLowerInvariant();
        }

        var kept = new string(amount.Value.Where(c => char.IsAsciiDigit(c) || c is '.' or ',').ToArray());
        var lastSeparator = kept.LastIndexOfAny(['.', ',']);
        var decimals = lastSeparator < 0 ? 0 : kept.Length - lastSeparator - 1;
        string whole, fraction;
        if (decimals is 1 or 2)
        {
            whole = kept[..lastSeparator];
            fraction = kept[(lastSeparator + 1)..].PadRight(2, '0');
        }
        else
        {
            whole = kept;
            fraction = "00";
        }
        whole = whole.Replace(".", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        if (whole.Length == 0)
        {
            whole = "0";
        }
        if (!long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var major) ||
            !long.TryParse(fraction, NumberStyles.None, CultureInfo.InvariantCulture, out var minor) || major > 1_000_000_000_000)
        {
            return false;
        }
        cents = checked((major * 100) + minor);
        return true;

        static bool Adjacent(string text, Match token, Match marker)
        {
            var (from, to) = marker.Index < token.Index ? (marker.Index + marker.Length, token.Index) : (token.Index + token.Length, marker.Index);
            return to >= from && to - from <= 2 && text[from..to].All(c => char.IsWhiteSpace(c));
        }
    }

    /// <summary>True when a currency read from a page is compatible with the approved one (no currency shown is compatible).</summary>
    public static bool CurrencyMatches(string? shown, string approved) =>
        shown is null
        || (shown == Dollar ? DollarCurrencies.Contains(approved.ToLowerInvariant()) : shown.Equals(approved, StringComparison.OrdinalIgnoreCase));
}
