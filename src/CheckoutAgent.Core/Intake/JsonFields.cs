using System.Globalization;
using System.Text.Json;

namespace CheckoutAgent.Core.Intake;

/// <summary>
/// Reads one JSON object field by field, collecting every problem with its path (<c>items[0].quantity</c>) instead of
/// stopping at the first: a caller fixes the whole request in one go. Fields not read are reported as unknown.
/// </summary>
internal sealed class JsonFields
{
    private readonly JsonElement _element;
    private readonly string _path;
    private readonly List<ApiError> _errors;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public JsonFields(JsonElement element, string path, List<ApiError> errors)
    {
        _element = element;
        _path = path;
        _errors = errors;
    }

    public List<ApiError> Errors => _errors;

    public string Path(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    public void Fail(string field, string message, string code = ApiErrorCodes.InvalidField) => _errors.Add(new ApiError(code, message, field));

    private JsonElement? Get(string name, bool required, string expected)
    {
        _known.Add(name);
        if (_element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            return value;
        }
        if (required)
        {
            Fail(Path(name), $"{Path(name)} is required: {expected}", ApiErrorCodes.MissingField);
        }
        return null;
    }

    public string? String(string name, bool required, int minLength = 0, int maxLength = 10_000, string expected = "a string")
    {
        if (Get(name, required, expected) is not { } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(Path(name), $"{Path(name)} must be {expected}; got {Describe(value)}");
            return null;
        }
        var text = value.GetString()!;
        if (text.Trim().Length < minLength || text.Length > maxLength)
        {
            Fail(Path(name), minLength > 0
                ? $"{Path(name)} must be {minLength} to {maxLength} characters; got {text.Trim().Length}"
                : $"{Path(name)} must be at most {maxLength} characters; got {text.Length}");
            return null;
        }
        return text;
    }

    public long? Integer(string name, bool required, long min, long max, string unit)
    {
        if (Get(name, required, $"an integer from {min} to {max} {unit}") is not { } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            Fail(Path(name), $"{Path(name)} must be a whole number of {unit} from {min} to {max}; got {Describe(value)}");
            return null;
        }
        if (number < min || number > max)
        {
            Fail(Path(name), string.Create(CultureInfo.InvariantCulture, $"{Path(name)} must be from {min} to {max} {unit}; got {number}"));
            return null;
        }
        return number;
    }

    /// <summary>An absolute http(s) URL; <paramref name="httpsOnlyExceptLoopback"/> allows plain http only to 127.0.0.1, ::1 and localhost.</summary>
    public string? Url(string name, bool required, bool httpsOnlyExceptLoopback = false)
    {
        var text = String(name, required, 1, 2048, "an absolute http or https URL");
        if (text is null)
        {
            return null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            Fail(Path(name), $"{Path(name)} must be an absolute http or https URL such as https://shop.example.com/; got '{Quote(text)}'");
            return null;
        }
        if (uri.UserInfo.Length > 0)
        {
            Fail(Path(name), $"{Path(name)} must not carry a user name or password");
            return null;
        }
        if (httpsOnlyExceptLoopback && uri.Scheme == "http" && !uri.IsLoopback)
        {
            Fail(Path(name), $"{Path(name)} must use https (plain http is accepted only for localhost and 127.0.0.1); got '{Quote(text)}'");
            return null;
        }
        return text;
    }

    /// <summary>The value when it is the given kind; a problem when it is present but another kind.</summary>
    public JsonElement? Element(string name, bool required, JsonValueKind kind, string expected)
    {
        if (Get(name, required, expected) is not { } value)
        {
            return null;
        }
        if (value.ValueKind != kind)
        {
            Fail(Path(name), $"{Path(name)} must be {expected}; got {Describe(value)}");
            return null;
        }
        return value;
    }

    /// <summary>Present with any kind (for fields taking one of several shapes).</summary>
    public JsonElement? Any(string name, bool required, string expected) => Get(name, required, expected);

    public JsonFields Nested(JsonElement element, string name) => new(element, name, _errors);

    /// <summary>Reports every field that was never asked for.</summary>
    public void RejectUnknown()
    {
        foreach (var property in _element.EnumerateObject())
        {
            if (!_known.Contains(property.Name))
            {
                // The name is the caller's input: shortened and card-masked like any echoed value.
                var path = Path(Quote(property.Name));
                Fail(path, $"{path} is not a known field; known fields here: {string.Join(", ", _known.Order(StringComparer.Ordinal))}",
                    ApiErrorCodes.UnknownField);
            }
        }
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string '{Quote(value.GetString()!)}'",
        JsonValueKind.Number => $"the number {Quote(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"{value.GetRawText()}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    // Echoed values are masked: a card number pasted into the wrong field must not come back in an error (or a log of it).
    /// <summary>Caller input fit to echo in an error: at most 60 characters, anything shaped like a card number masked.</summary>
    public static string Quote(string text) => CheckoutAgent.Link.CardNumberMasker.Mask(text.Length <= 60 ? text : text[..57] + "...");
}
