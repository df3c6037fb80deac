using System.Globalization;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>Amounts are integer minor units (cents) everywhere; this is the one place they become text and back.</summary>
public static class Money
{
    /// <summary><c>2400, "usd"</c> → <c>$24.00</c>; other currencies → <c>24.00 EUR</c>.</summary>
    public static string Format(long cents, string currency)
    {
        var major = (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);
        return currency.Equals("usd", StringComparison.OrdinalIgnoreCase) ? "$" + major : $"{major} {currency.ToUpperInvariant()}";
    }

    /// <summary>
    /// Reads a total as a page shows it (<c>$1,024.50</c>, <c>USD 24.00</c>, <c>24,00 €</c>, <c>1.024,50</c>) as cents.
    /// A separator followed by exactly two final digits is the decimal mark; other separators group thousands.
    /// </summary>
    public static bool TryParse(string text, out long cents)
    {
        cents = 0;
        var kept = new string(text.Where(c => char.IsAsciiDigit(c) || c is '.' or ',').ToArray()).Trim('.', ',');
        if (kept.Length == 0 || !kept.Any(char.IsAsciiDigit))
        {
            return false;
        }
        var lastSeparator = kept.LastIndexOfAny(['.', ',']);
        string whole, fraction;
        if (lastSeparator >= 0 && kept.Length - lastSeparator - 1 == 2)
        {
            whole = kept[..lastSeparator];
            fraction = kept[(lastSeparator + 1)..];
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
            !long.TryParse(fraction, NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return false;
        }
        cents = checked((major * 100) + minor);
        return true;
    }
}
