using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CheckoutAgent.Link;
using ShippingAddress = CheckoutAgent.Core.Purchases.ShippingAddress;
using CheckoutAgent.Core.Purchases;

namespace CheckoutAgent.Core.Intake;

/// <summary>
/// The JSON body of <c>POST /v1/purchases</c> (and the purchase template of a schedule), checked field by field.
/// Every problem is reported with its field; nothing is stored unless all of it is right.
/// </summary>
public static class PurchaseBody
{
    public const int MaxItems = 50;
    public const int MaxMetadataKeys = 20;
    public const int MaxContextLength = 2000;

    /// <summary>Field names of the body, for error messages and the OpenAPI document.</summary>
    public static IReadOnlyList<string> Fields { get; } =
        ["recipe", "merchant_url", "items", "amount", "currency", "context", "buyer", "shipping", "callback_url", "metadata"];

    /// <param name="callbacks">Where <c>callback_url</c> may point; default <see cref="CallbackRules.Strict"/> (public addresses only).</param>
    public static (PurchaseRequest? Request, IReadOnlyList<ApiError> Errors) Parse(JsonElement body, string path = "", CallbackRules? callbacks = null)
    {
        var errors = new List<ApiError>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ApiError(ApiErrorCodes.InvalidJson, $"the {(path.Length == 0 ? "body" : path)} must be a JSON object with {string.Join(", ", Fields)}; got {JsonFields.Describe(body)}", path.Length == 0 ? null : path));
            return (null, errors);
        }
        var fields = new JsonFields(body, path, errors);
        var recipe = fields.String("recipe", true, 1, 64, "a recipe name such as demo-shop (a file recipes/NAME.yaml)");
        if (recipe is not null && !recipe.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.') || recipe?.StartsWith('.') == true)
        {
            fields.Fail(fields.Path("recipe"), $"{fields.Path("recipe")} must be a recipe name of lower-case letters, digits, '-', '_' or '.'; got '{JsonFields.Quote(recipe)}'");
            recipe = null;
        }
        var merchantUrl = fields.Url("merchant_url", false);
        var amount = fields.Integer("amount", true, 1, SpendRequestValidator.LinkMaxAmount, "cents (Link's cap is $500.00)");
        var currency = fields.String("currency", false, 3, 3, "a 3-letter ISO currency code such as usd")?.ToLowerInvariant() ?? "usd";
        if (!currency.All(char.IsAsciiLetter))
        {
            fields.Fail(fields.Path("currency"), $"{fields.Path("currency")} must be a 3-letter ISO currency code such as usd; got '{JsonFields.Quote(currency)}'");
        }
        var context = fields.String("context", true, SpendRequestValidator.MinContextLength, MaxContextLength,
            $"{SpendRequestValidator.MinContextLength} to {MaxContextLength} characters the person reads in Link before approving: what is bought, from whom and why");
        var items = ParseItems(fields);
        if (items is not null && amount is { } total)
        {
            var sum = items.Sum(i => i.UnitAmount * i.Quantity);
            if (sum > 0 && sum > total)
            {
                fields.Fail(fields.Path("amount"), $"{fields.Path("amount")} ({Money.Format(total, currency)}) is less than the items' total ({Money.Format(sum, currency)}); the amount is what the person approves and must cover the items (and shipping and tax)");
            }
        }
        var buyer = ParseBuyer(fields);
        var shipping = ParseShipping(fields);
        var callbackUrl = fields.Url("callback_url", false, httpsOnlyExceptLoopback: true);
        if (callbackUrl is not null && (callbacks ?? CallbackRules.Strict).RefusalAtIntake(new Uri(callbackUrl)) is { } refusal)
        {
            errors.Add(new ApiError(ApiErrorCodes.CallbackNotAllowed,
                $"{fields.Path("callback_url")} is refused: {refusal}, and webhooks are never sent into the network the worker runs in; " +
                "use a public https URL (an owner whose receiver is on-premise can allow it with Webhooks:AllowedTargets or Webhooks:AllowPrivateNetworks)",
                fields.Path("callback_url")));
            callbackUrl = null;
        }
        var metadata = ParseMetadata(fields);
        fields.RejectUnknown();
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        return (new PurchaseRequest
        {
            Recipe = recipe!,
            MerchantUrl = merchantUrl,
            Items = items!,
            Amount = amount!.Value,
            Currency = currency,
            Context = context!.Trim(),
            Buyer = buyer.Value,
            Shipping = shipping.Value,
            CallbackUrl = callbackUrl,
            Metadata = metadata,
        }, errors);
    }

    /// <summary>SHA-256 of the body with insignificant whitespace removed: the same JSON retried hashes the same.</summary>
    public static string Hash(JsonElement body) => Convert.ToHexStringLower(SHA256.HashData(CompactUtf8(body)));

    /// <summary>The JSON with insignificant whitespace removed, as stored for a schedule's purchase.</summary>
    public static string Compact(JsonElement body) => Encoding.UTF8.GetString(CompactUtf8(body));

    private static byte[] CompactUtf8(JsonElement body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body.WriteTo(writer);
        }
        return buffer.ToArray();
    }

    private static List<PurchaseItem>? ParseItems(JsonFields fields)
    {
        if (fields.Element("items", true, JsonValueKind.Array, $"an array of 1 to {MaxItems} items, each {{name, quantity, unit_amount, product_url}}") is not { } array)
        {
            return null;
        }
        var count = array.GetArrayLength();
        if (count is 0 or > MaxItems)
        {
            fields.Fail(fields.Path("items"), $"{fields.Path("items")} must hold 1 to {MaxItems} items; got {count}");
            return null;
        }
        var items = new List<PurchaseItem>();
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var path = $"{fields.Path("items")}[{index++}]";
            if (element.ValueKind != JsonValueKind.Object)
            {
                fields.Fail(path, $"{path} must be an object {{name, quantity, unit_amount, product_url}}; got {JsonFields.Describe(element)}");
                continue;
            }
            var item = fields.Nested(element, path);
            var name = item.String("name", true, 1, 200, "the product's name as the shop shows it");
            var quantity = item.Integer("quantity", false, 1, 1000, "units") ?? 1;
            var unitAmount = item.Integer("unit_amount", false, 0, SpendRequestValidator.LinkMaxAmount, "cents") ?? 0;
            var productUrl = item.Url("product_url", false);
            item.RejectUnknown();
            if (name is not null)
            {
                items.Add(new PurchaseItem(name, (int)quantity, unitAmount, productUrl));
            }
        }
        return items.Count == count ? items : null;
    }

    /// <summary>
    /// A required field that is either the string "wallet" (<paramref name="wallet"/> true, null returned) or an object
    /// (its reader returned); missing or of another kind, the problem is recorded and null returned.
    /// </summary>
    private static JsonFields? WalletOrObject(JsonFields fields, string name, string expected, out bool wallet)
    {
        wallet = false;
        if (fields.Any(name, true, expected) is not { } value)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.String && value.GetString() == PurchaseView.Wallet)
        {
            wallet = true;
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            fields.Fail(fields.Path(name), $"{fields.Path(name)} must be {expected}; got {JsonFields.Describe(value)}");
            return null;
        }
        return fields.Nested(value, fields.Path(name));
    }

    private static (bool Ok, Buyer? Value) ParseBuyer(JsonFields fields)
    {
        const string Expected = "an object {email, name, phone} or the string \"wallet\" to use the Link wallet's name and email";
        if (WalletOrObject(fields, "buyer", Expected, out var wallet) is not { } buyer)
        {
            return (wallet, null);
        }
        var email = buyer.String("email", true, 3, 254, "the buyer's email address");
        if (email is not null && (!email.Contains('@', StringComparison.Ordinal) || email.Contains(' ', StringComparison.Ordinal)))
        {
            buyer.Fail(buyer.Path("email"), $"{buyer.Path("email")} must be an email address such as jane@example.com");
        }
        var name = buyer.String("name", true, 1, 200, "the buyer's full name");
        var phone = buyer.String("phone", false, 0, 40);
        buyer.RejectUnknown();
        return email is null || name is null ? (false, null) : (true, new Buyer(email, name, phone));
    }

    private static (bool Ok, ShippingAddress? Value) ParseShipping(JsonFields fields)
    {
        const string Expected = "an address {name, line1, line2, city, state, postal_code, country} or the string \"wallet\" to use the Link wallet's default address";
        if (WalletOrObject(fields, "shipping", Expected, out var wallet) is not { } address)
        {
            return (wallet, null);
        }
        var name = address.String("name", true, 1, 200, "the recipient's name");
        var line1 = address.String("line1", true, 1, 200, "the street address");
        var line2 = address.String("line2", false, 0, 200);
        var city = address.String("city", true, 1, 100, "the city");
        var state = address.String("state", false, 0, 100);
        var postal = address.String("postal_code", true, 1, 20, "the postal code");
        var country = address.String("country", true, 2, 2, "a 2-letter country code such as US");
        if (country is not null && !country.All(char.IsAsciiLetter))
        {
            address.Fail(address.Path("country"), $"{address.Path("country")} must be a 2-letter country code such as US; got '{JsonFields.Quote(country)}'");
            country = null;
        }
        address.RejectUnknown();
        return name is null || line1 is null || city is null || postal is null || country is null
            ? (false, null)
            : (true, new ShippingAddress(name, line1, line2, city, state, postal, country.ToUpperInvariant()));
    }

    private static Dictionary<string, string>? ParseMetadata(JsonFields fields)
    {
        if (fields.Element("metadata", false, JsonValueKind.Object, $"an object of up to {MaxMetadataKeys} string values") is not { } value)
        {
            return null;
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var path = $"{fields.Path("metadata")}.{JsonFields.Quote(property.Name)}";
            if (property.Name.Length is 0 or > SpendRequestValidator.MaxMetadataKeyLength)
            {
                fields.Fail(path, $"metadata keys must be 1 to {SpendRequestValidator.MaxMetadataKeyLength} characters");
            }
            else if (property.Value.ValueKind != JsonValueKind.String)
            {
                fields.Fail(path, $"{path} must be a string; got {JsonFields.Describe(property.Value)}");
            }
            else if (property.Value.GetString()!.Length > SpendRequestValidator.MaxMetadataValueLength)
            {
                fields.Fail(path, $"{path} must be at most {SpendRequestValidator.MaxMetadataValueLength} characters");
            }
            else
            {
                result[property.Name] = property.Value.GetString()!;
            }
        }
        if (result.Count > MaxMetadataKeys)
        {
            fields.Fail(fields.Path("metadata"), $"{fields.Path("metadata")} may hold at most {MaxMetadataKeys} keys; got {result.Count}");
        }
        return result;
    }
}
