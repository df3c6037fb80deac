using System.Globalization;
using System.Text.Json.Nodes;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary>
/// The <c>k:v,k:v</c> strings of <c>--line-item</c>, <c>--total</c> and <c>--metadata</c> (link-api.md §6): split on
/// commas, each pair at its first colon, keys and values trimmed. Errors are <c>UNKNOWN</c>, as link-cli's are.
/// </summary>
internal static class KeyValueList
{
    private static readonly string[] LineItemKeys = ["name", "url", "image_url", "description", "sku", "quantity", "unit_amount", "product_url"];
    private static readonly string[] TotalKeys = ["type", "display_text", "amount"];

    public static JsonObject LineItem(string raw)
    {
        var item = new JsonObject();
        foreach (var (key, value) in Pairs(raw, "Line item"))
        {
            if (!LineItemKeys.Contains(key, StringComparer.Ordinal))
            {
                throw CliError.Unknown($"Line item: unrecognized key \"{key}\". Allowed keys: {string.Join(", ", LineItemKeys)}");
            }
            item[key] = key is "quantity" or "unit_amount" ? Number("Line item", key, value) : value;
        }
        if (item["name"] is null)
        {
            throw CliError.Unknown("Line item: name: Required");
        }
        return item;
    }

    public static JsonObject Total(string raw)
    {
        var total = new JsonObject();
        foreach (var (key, value) in Pairs(raw, "Total"))
        {
            if (!TotalKeys.Contains(key, StringComparer.Ordinal))
            {
                throw CliError.Unknown($"Total: unrecognized key \"{key}\". Allowed keys: {string.Join(", ", TotalKeys)}");
            }
            total[key] = key == "amount" ? Number("Total", key, value) : value;
        }
        foreach (var key in TotalKeys)
        {
            if (total[key] is null)
            {
                throw CliError.Unknown($"Total: {key}: Required");
            }
        }
        return total;
    }

    public static void MergeMetadata(JsonObject into, string raw)
    {
        foreach (var (key, value) in Pairs(raw, "Metadata"))
        {
            into[key] = value;
        }
    }

    private static List<KeyValuePair<string, string>> Pairs(string raw, string what)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in raw.Split(','))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw CliError.Unknown($"{what}: expected key:value pairs separated by commas, got \"{part.Trim()}\"");
            }
            pairs.Add(new(part[..colon].Trim(), part[(colon + 1)..].Trim()));
        }
        return pairs;
    }

    // JavaScript's Number(): empty → 0, anything non-numeric → NaN (an error here).
    private static JsonNode Number(string what, string key, string value)
    {
        if (value.Length == 0)
        {
            return 0;
        }
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || double.IsNaN(number) || double.IsInfinity(number))
        {
            throw CliError.Unknown($"{what}: {key}: Expected number, received nan");
        }
        return number == Math.Floor(number) && Math.Abs(number) < 1e15 ? JsonValue.Create((long)number) : JsonValue.Create(number);
    }
}
