using System.Globalization;

namespace CheckoutAgent.Storage;

/// <summary>How every store writes a moment: UTC, round-trip format, so it sorts as text in time order.</summary>
public static class Timestamps
{
    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string at) =>
        DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
