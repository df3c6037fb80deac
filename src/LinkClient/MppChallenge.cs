using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CheckoutAgent.Link;

/// <summary>
/// A Machine Payment Protocol challenge, as a merchant sends it with HTTP 402 in
/// <c>WWW-Authenticate: Payment id="…", realm="…", method="…", intent="…", request="&lt;base64url JSON&gt;"</c>,
/// and the <c>Authorization: Payment …</c> credential that answers it with a Shared Payment Token.
/// </summary>
public sealed record MppChallenge
{
    /// <value>Challenge id, echoed back in the credential.</value>
    public required string Id { get; init; }
    /// <value>Protection space (usually the merchant's host).</value>
    public required string Realm { get; init; }
    /// <value>Payment method, e.g. <c>stripe</c>.</value>
    public required string Method { get; init; }
    /// <value><c>charge</c> or <c>session</c>.</value>
    public required string Intent { get; init; }
    /// <value>The <c>request</c> parameter exactly as sent (base64url JSON); echoed back unchanged.</value>
    public required string Request { get; init; }
    /// <value>Decoded <c>request</c> JSON.</value>
    public required JsonObject RequestJson { get; init; }
    /// <value>Amount asked for, in the smallest unit, as the merchant wrote it.</value>
    public required string Amount { get; init; }
    /// <value>Currency asked for.</value>
    public required string Currency { get; init; }
    /// <value>The payment network the token must be minted for (<c>methodDetails.networkId</c> or <c>networkId</c>).</value>
    public required string NetworkId { get; init; }
    /// <value>Optional description.</value>
    public string? Description { get; init; }
    /// <value>Optional expiry (ISO 8601 as sent).</value>
    public string? Expires { get; init; }
    /// <value>Optional body digest.</value>
    public string? Digest { get; init; }
    /// <value>Optional opaque value, echoed back.</value>
    public string? Opaque { get; init; }

    /// <summary>Parses a <c>WWW-Authenticate</c> header value with the <c>Payment</c> scheme.</summary>
    /// <exception cref="LinkException">Code <c>INVALID_CHALLENGE</c> saying what is missing or malformed.</exception>
    public static MppChallenge Decode(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var text = header.Trim();
        const string scheme = "Payment";
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || (text.Length > scheme.Length && !char.IsWhiteSpace(text[scheme.Length])))
        {
            throw Invalid("the header must start with the 'Payment' scheme, e.g. Payment id=\"…\", realm=\"…\", method=\"stripe\", intent=\"charge\", request=\"…\".");
        }
        var parameters = ParseParameters(text[scheme.Length..]);
        string Required(string name) =>
            parameters.TryGetValue(name, out var value) && value.Length > 0 ? value : throw Invalid($"parameter '{name}' is missing.");

        var request = Required("request");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(Base64UrlDecode(request)) as JsonObject ?? throw Invalid("'request' must decode to a JSON object.");
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Invalid("'request' is not base64url-encoded JSON.");
        }
        var amount = StringField(json, "amount") ?? throw Invalid("'request' must contain a string 'amount'.");
        var currency = StringField(json, "currency") ?? throw Invalid("'request' must contain a string 'currency'.");
        var networkId = (json["methodDetails"] as JsonObject) is { } details ? StringField(details, "networkId") : null;
        networkId ??= StringField(json, "networkId") ?? throw Invalid("'request' must contain methodDetails.networkId (or networkId).");

        return new MppChallenge
        {
            Id = Required("id"),
            Realm = Required("realm"),
            Method = Required("method"),
            Intent = Required("intent"),
            Request = request,
            RequestJson = json,
            Amount = amount,
            Currency = currency,
            NetworkId = networkId,
            Description = parameters.GetValueOrDefault("description"),
            Expires = parameters.GetValueOrDefault("expires"),
            Digest = parameters.GetValueOrDefault("digest"),
            Opaque = parameters.GetValueOrDefault("opaque"),
        };
    }

    /// <summary>Builds the header value that answers this challenge with a Shared Payment Token:
    /// <c>Payment &lt;base64url JSON {challenge, payload}&gt;</c>.</summary>
    public string CreateCredential(string sharedPaymentToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sharedPaymentToken);
        var challenge = new JsonObject
        {
            ["id"] = Id,
            ["realm"] = Realm,
            ["method"] = Method,
            ["intent"] = Intent,
            ["request"] = Request,
        };
        if (Description is not null) challenge["description"] = Description;
        if (Expires is not null) challenge["expires"] = Expires;
        if (Digest is not null) challenge["digest"] = Digest;
        if (Opaque is not null) challenge["opaque"] = Opaque;
        var payload = Intent == "session"
            ? new JsonObject { ["action"] = "open", ["grantedToken"] = sharedPaymentToken }
            : new JsonObject { ["spt"] = sharedPaymentToken };
        var credential = new JsonObject { ["challenge"] = challenge, ["payload"] = payload };
        return "Payment " + Base64UrlEncode(Encoding.UTF8.GetBytes(credential.ToJsonString()));
    }

    /// <summary>Encodes bytes as unpadded base64url.</summary>
    public static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes base64url with or without padding.</summary>
    /// <exception cref="FormatException">Not base64url.</exception>
    public static string Base64UrlDecode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
        return Encoding.UTF8.GetString(Convert.FromBase64String(s));
    }

    private static string? StringField(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    private static Dictionary<string, string> ParseParameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == ','))
            {
                i++;
            }
            if (i >= text.Length)
            {
                break;
            }
            var eq = text.IndexOf('=', i);
            if (eq < 0)
            {
                throw Invalid($"expected name=value at '{text[i..]}'.");
            }
            var name = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }
                    sb.Append(text[i]);
                    i++;
                }
                if (i >= text.Length)
                {
                    throw Invalid($"the value of '{name}' has no closing quote.");
                }
                i++;
                value = sb.ToString();
            }
            else
            {
                var end = text.IndexOf(',', i);
                if (end < 0)
                {
                    end = text.Length;
                }
                value = text[i..end].Trim();
                i = end;
            }
            result[name] = value;
        }
        return result;
    }

    private static LinkException Invalid(string detail) =>
        new(LinkErrorCodes.InvalidChallenge, "Not a valid Payment challenge: " + detail);
}
