using System.Globalization;

namespace CheckoutAgent.DemoMerchant;

/// <summary>Money as the pages show it. Invariant culture so a recipe sees the same text on every machine.</summary>
internal static class Money
{
    public const string Currency = "usd";

    public static string Format(long cents) =>
        "$" + (cents / 100m).ToString("#,##0.00", CultureInfo.InvariantCulture);
}
