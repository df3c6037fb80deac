using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary>An HTTP answer: status, raw text, and the parsed (sanitised) JSON when the body was JSON.</summary>
internal sealed record ApiResponse(int Status, string Text, JsonNode? Json)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>Which error-body fields a failure message is taken from (link-api.md §2).</summary>
internal enum ErrorStyle
{
    /// <summary><c>error.message</c> → <c>error</c> (string) → <c>message</c> → raw body.</summary>
    SpendRequest,
    /// <summary><c>error</c> (string) → <c>error.message</c> → <c>error.code</c> → <c>message</c> → raw body.</summary>
    Other,
    /// <summary><c>error_description</c> → <c>error</c> (string) → <c>error.message</c> → raw body.</summary>
    Auth,
}

/// <summary>
/// Link's HTTP API as link-cli calls it: bearer token from the <see cref="AuthStore"/>, pre-emptive refresh near expiry,
/// one refresh-and-retry on a 401 (link-api.md §2).
/// </summary>
internal sealed class LinkApi(HttpClient http, AuthStore auth, Func<string, string?> env, TextWriter log, bool verbose)
{
    public const string ClientId = "lwlpk_U7Qy7ThG69STZk";
    public const string UserAgent = "link-cli/0.13.1";

    public string ApiBase { get; } = (NonEmpty(env("LINK_API_BASE_URL")) ?? "https://api.link.com").TrimEnd('/');
    public string AuthBase { get; } = (NonEmpty(env("LINK_AUTH_BASE_URL")) ?? "https://login.link.com").TrimEnd('/');

    public AuthStore Auth => auth;

    /// <summary>An API call with the bearer token; <paramref name="body"/> is sent as JSON when given.</summary>
    public async Task<ApiResponse> CallAsync(HttpMethod method, string pathAndQuery, JsonNode? body, CancellationToken cancellationToken)
    {
        var token = await AccessTokenAsync(forceRefresh: false, cancellationToken);
        var response = await SendAsync(method, ApiBase + pathAndQuery, token, body is null ? null : JsonContent(body), cancellationToken);
        if (response.Status != 401)
        {
            return response;
        }
        token = await AccessTokenAsync(forceRefresh: true, cancellationToken);
        return await SendAsync(method, ApiBase + pathAndQuery, token, body is null ? null : JsonContent(body), cancellationToken);
    }

    /// <summary>A form POST to the OAuth base (no Authorization header).</summary>
    public Task<ApiResponse> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> form, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, AuthBase + path, null, new FormUrlEncodedContent(form), cancellationToken);

    /// <summary>A request to some other server (the merchant in <c>mpp pay</c>); the full response, headers lower-cased.</summary>
    public async Task<(int Status, JsonObject Headers, string Body, string? WwwAuthenticate)> FetchAsync(
        string method, string url, IReadOnlyList<KeyValuePair<string, string>> headers, string? body, string? authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        string? contentType = null;
        foreach (var (name, value) in headers)
        {
            if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "text/plain;charset=UTF-8");
        }
        using (var response = await SendOrFailAsync(request, $"{method} {url}", cancellationToken))
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var headerJson = new JsonObject();
            string? challenge = null;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                var lower = name.ToLowerInvariant();
                var joined = string.Join(", ", values);
                headerJson[lower] = joined;
                if (lower == "www-authenticate")
                {
                    challenge = joined;
                }
            }
            return ((int)response.StatusCode, headerJson, text, challenge);
        }
    }

    /// <summary>The error message link-cli builds from a failed call: <c>Failed to &lt;op&gt; (&lt;status&gt;): &lt;msg&gt;</c>.</summary>
    public static CliError Failure(string operation, ApiResponse response, ErrorStyle style) =>
        CliError.Unknown(FormattableString.Invariant($"Failed to {operation} ({response.Status}): {ExtractMessage(response, style)}"));

    public static string ExtractMessage(ApiResponse response, ErrorStyle style)
    {
        var json = response.Json as JsonObject;
        var error = json?["error"];
        string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        string? message = style switch
        {
            ErrorStyle.SpendRequest => (error is JsonObject e1 ? Str(e1["message"]) : null) ?? Str(error) ?? Str(json?["message"]),
            ErrorStyle.Other => Str(error) ?? (error is JsonObject e2 ? Str(e2["message"]) ?? Str(e2["code"]) : null) ?? Str(json?["message"]),
            _ => Str(json?["error_description"]) ?? Str(error) ?? (error is JsonObject e3 ? Str(e3["message"]) : null),
        };
        message ??= response.Text.Length > 0 ? response.Text : "unknown error";
        return message;
    }

    private async Task<string> AccessTokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        var current = auth.Auth;
        var accessToken = current?["access_token"]?.GetValue<string>();
        if (current is null || string.IsNullOrEmpty(accessToken))
        {
            throw CliError.Unknown("Not authenticated. Run \"link-cli auth login\" first.");
        }
        var expiresAt = current["expires_at"] is JsonValue e && e.TryGetValue<double>(out var ms) ? ms : (double?)null;
        var expired = expiresAt is { } at && DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() >= at - 60_000;
        if (!forceRefresh && !expired)
        {
            return accessToken;
        }
        if (NonEmpty(env("LINK_NO_REFRESH")) is not null)
        {
            throw CliError.Unknown(auth.UsesEnvironmentToken
                ? "Access token expired. Update LINK_ACCESS_TOKEN and retry."
                : "Access token expired. Re-authenticate with \"link-cli auth login\".");
        }
        var refreshToken = current["refresh_token"] is JsonValue r && r.TryGetValue<string>(out var rt) ? rt : null;
        if (string.IsNullOrEmpty(refreshToken))
        {
            if (!forceRefresh)
            {
                return accessToken;
            }
            throw CliError.Unknown("Access token expired. Re-authenticate with \"link-cli auth login\".");
        }
        var response = await PostFormAsync("/device/token",
        [
            new("grant_type", "refresh_token"),
            new("refresh_token", refreshToken),
            new("client_id", ClientId),
        ], cancellationToken);
        if (!response.IsSuccess || response.Json is not JsonObject tokens || tokens["access_token"] is null)
        {
            throw CliError.Unknown(FormattableString.Invariant($"Token refresh failed ({response.Status}): {ExtractMessage(response, ErrorStyle.Auth)}"));
        }
        auth.SaveAuth(StoredTokens(tokens));
        return tokens["access_token"]!.GetValue<string>();
    }

    /// <summary>The <c>auth</c> object link-cli stores for a token response; <c>expires_at</c> in epoch milliseconds.</summary>
    public static JsonObject StoredTokens(JsonObject tokens)
    {
        var stored = new JsonObject
        {
            ["access_token"] = tokens["access_token"]?.DeepClone(),
            ["refresh_token"] = tokens["refresh_token"]?.DeepClone(),
            ["expires_in"] = tokens["expires_in"]?.DeepClone(),
            ["token_type"] = tokens["token_type"]?.DeepClone() ?? "Bearer",
        };
        if (tokens["expires_in"] is JsonValue v && v.TryGetValue<double>(out var seconds))
        {
            stored["expires_at"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)(seconds * 1000);
        }
        if (tokens["scope"] is not null)
        {
            stored["scope"] = tokens["scope"]!.DeepClone();
        }
        if (tokens["authorization_details"] is not null)
        {
            stored["authorization_details"] = tokens["authorization_details"]!.DeepClone();
        }
        return stored;
    }

    private async Task<ApiResponse> SendAsync(HttpMethod method, string url, string? bearer, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        if (verbose)
        {
            // Never the body: a retrieve with include=card carries the card number.
            log.WriteLine($"→ {method} {url}{(bearer is null ? "" : " (Authorization: Bearer <redacted>)")}");
        }
        using (var response = await SendOrFailAsync(request, $"{method} {url}", cancellationToken))
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (verbose)
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"← {(int)response.StatusCode} {method} {url}"));
            }
            JsonNode? json = null;
            try
            {
                json = text.Length == 0 ? null : Sanitize(JsonNode.Parse(text));
            }
            catch (JsonException)
            {
                // Non-JSON bodies are tolerated: the raw text becomes the error message.
            }
            return new ApiResponse((int)response.StatusCode, text, json);
        }
    }

    private static StringContent JsonContent(JsonNode body) =>
        new(body.ToJsonString(Output.Compact), Encoding.UTF8, "application/json");

    /// <summary>Strips ANSI escapes and control characters (tabs and newlines kept) from every string, as link-cli does.</summary>
    private static JsonNode? Sanitize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    obj[key] = Sanitize(obj[key]?.DeepClone());
                }
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Sanitize(array[i]?.DeepClone());
                }
                return array;
            case JsonValue value when value.TryGetValue<string>(out var s):
                return JsonValue.Create(StripControl(s));
            default:
                return node;
        }
    }

    private static string StripControl(string s)
    {
        if (!s.Any(c => c < 0x20 || c == 0x7f))
        {
            return s;
        }
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\x1b')
            {
                // ESC [ ... final byte: skip the whole CSI sequence.
                if (i + 1 < s.Length && s[i + 1] == '[')
                {
                    i += 2;
                    while (i < s.Length && (s[i] < '@' || s[i] > '~'))
                    {
                        i++;
                    }
                }
                continue;
            }
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
            {
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Sends <paramref name="request"/>; a transport failure becomes link-cli's "Request failed" error naming <paramref name="what"/>.</summary>
    private async Task<HttpResponseMessage> SendOrFailAsync(HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException)
        {
            throw CliError.Unknown($"Request failed: {what}");
        }
    }
}
