using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CheckoutAgent.Link.Emulator;

/// <summary>
/// Reads a JSON request body strictly: a JSON object, only known fields, each of the expected type. Every mistake is an
/// <see cref="ApiException"/> naming the field, thrown before anything is changed.
/// </summary>
internal sealed class JsonBody
{
    // Spend request bodies are a few kilobytes; anything far bigger is not one.
    private const int MaxBodyBytes = 256 * 1024;

    private readonly JsonElement _root;

    private JsonBody(JsonElement root)
    {
        _root = root;
    }

    public static async Task<JsonBody> ReadAsync(HttpRequest request, IReadOnlyCollection<string> allowedFields, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, ApiErrorCodes.InvalidJson,
                string.Create(CultureInfo.InvariantCulture, $"The body is larger than {MaxBodyBytes} bytes."));
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException ex)
        {
            // The parser's message names line and byte position only, never body content.
            throw new ApiException(StatusCodes.Status400BadRequest, ApiErrorCodes.InvalidJson,
                "The body is not valid JSON: " + ex.Message.Split(". ", 2)[0] + ". Send a JSON object with Content-Type: application/json.");
        }
        using (document)
        {
            var root = document.RootElement.Clone();
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ApiException(StatusCodes.Status400BadRequest, ApiErrorCodes.InvalidJson,
                    $"The body must be a JSON object; got {Describe(root)}.");
            }
            foreach (var property in root.EnumerateObject())
            {
                if (!allowedFields.Contains(property.Name))
                {
                    throw ApiException.Invalid(property.Name,
                        $"Unknown parameter '{property.Name}'. Allowed: {string.Join(", ", allowedFields)}.");
                }
            }
            return new JsonBody(root);
        }
    }

    public bool Has(string name) => _root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public string? String(string name) => StringOf(Get(name), name);

    public long? Integer(string name) => IntegerOf(Get(name), name);

    public bool? Boolean(string name)
    {
        if (Get(name) is not { } value)
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiException.Invalid(name, $"{name} must be true or false; got {Describe(value)}."),
        };
    }

    public JsonElement? Object(string name)
    {
        if (Get(name) is not { } value)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Object ? value
            : throw ApiException.Invalid(name, $"{name} must be a JSON object; got {Describe(value)}.");
    }

    public IReadOnlyList<JsonElement>? Array(string name)
    {
        if (Get(name) is not { } value)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()]
            : throw ApiException.Invalid(name, $"{name} must be a JSON array; got {Describe(value)}.");
    }

    public IReadOnlyList<string>? StringArray(string name)
    {
        var items = Array(name);
        return items?.Select((item, i) => StringOf(item, Indexed(name, i))
            ?? throw ApiException.Invalid(Indexed(name, i), $"{Indexed(name, i)} must be a string; got null.")).ToList();
    }

    public IReadOnlyList<LineItem>? LineItems(string name) => Array(name)?.Select((item, i) =>
    {
        var field = Indexed(name, i);
        var obj = new ElementReader(item, field, ["name", "quantity", "unit_amount", "url", "image_url", "description", "sku", "product_url"]);
        // link-cli leaves quantity out when --line-item has none; one is what the person would assume.
        var quantity = obj.Integer("quantity") ?? 1;
        if (quantity is < int.MinValue or > int.MaxValue)
        {
            throw ApiException.Invalid(field + ".quantity", $"{field}.quantity is out of range.");
        }
        return new LineItem(
            obj.String("name") ?? throw ApiException.Invalid(field + ".name", $"{field}.name is required."),
            (int)quantity,
            obj.Integer("unit_amount") ?? 0,
            obj.String("product_url"))
        {
            Url = obj.String("url"),
            ImageUrl = obj.String("image_url"),
            Description = obj.String("description"),
            Sku = obj.String("sku"),
        };
    }).ToList();

    public IReadOnlyList<Total>? Totals(string name) => Array(name)?.Select((item, i) =>
    {
        var field = Indexed(name, i);
        var obj = new ElementReader(item, field, ["type", "display_text", "amount"]);
        return new Total(
            obj.String("type") ?? throw ApiException.Invalid(field + ".type", $"{field}.type is required."),
            obj.String("display_text") ?? throw ApiException.Invalid(field + ".display_text", $"{field}.display_text is required."),
            obj.Integer("amount") ?? throw ApiException.Invalid(field + ".amount", $"{field}.amount is required."));
    }).ToList();

    public IReadOnlyDictionary<string, string>? StringMap(string name)
    {
        if (Object(name) is not { } obj)
        {
            return null;
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            var field = name + "." + property.Name;
            map[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                // link-cli sends metadata values as the strings typed, but a number is what a caller meant.
                JsonValueKind.Number => property.Value.GetRawText(),
                _ => throw ApiException.Invalid(field, $"{field} must be a string; got {Describe(property.Value)}."),
            };
        }
        return map;
    }

    private JsonElement? Get(string name) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    internal static string? StringOf(JsonElement? element, string field)
    {
        if (element is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String ? value.GetString()
            : throw ApiException.Invalid(field, $"{field} must be a string; got {Describe(value)}.");
    }

    internal static long? IntegerOf(JsonElement? element, string field)
    {
        if (element is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var integer))
        {
            return integer;
        }
        throw ApiException.Invalid(field, value.ValueKind == JsonValueKind.Number
            ? $"{field} must be an integer (cents, no fraction); got {value.GetRawText()}."
            : $"{field} must be an integer; got {Describe(value)}.");
    }

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Indexed(string name, int index) => string.Create(CultureInfo.InvariantCulture, $"{name}[{index}]");

    /// <summary>One nested object (a line item, a total) read with the same strictness.</summary>
    private readonly struct ElementReader
    {
        private readonly JsonElement _element;
        private readonly string _field;

        public ElementReader(JsonElement element, string field, IReadOnlyCollection<string> allowed)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.Invalid(field, $"{field} must be a JSON object; got {Describe(element)}.");
            }
            foreach (var property in element.EnumerateObject())
            {
                if (!allowed.Contains(property.Name))
                {
                    throw ApiException.Invalid(field + "." + property.Name,
                        $"{field}: unknown key '{property.Name}'. Allowed keys: {string.Join(", ", allowed)}.");
                }
            }
            _element = element;
            _field = field;
        }

        public string? String(string name) => StringOf(Get(name), _field + "." + name);

        public long? Integer(string name) => IntegerOf(Get(name), _field + "." + name);

        private JsonElement? Get(string name) => _element.TryGetProperty(name, out var value) ? value : null;
    }
}
