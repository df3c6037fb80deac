using System.Globalization;
using System.Text.Json;

namespace CheckoutAgent.Link.Cli;

/// <summary>
/// Reads link-cli's <c>--format json</c> output into the typed results. Tolerant like the CLI itself (unknown fields
/// are ignored, missing optional ones stay null), strict only where a wrong guess would mislead (id, status).
/// A <c>card</c> object, should one ever appear, is read for brand and last 4 only.
/// </summary>
internal static class CliJson
{
    /// <summary>The final value of a generator command (its output is an array of every state yielded), or the
    /// value itself for other commands.</summary>
    public static JsonElement Last(JsonElement output) =>
        output.ValueKind == JsonValueKind.Array
            ? output.GetArrayLength() > 0 ? output[output.GetArrayLength() - 1] : throw Malformed("an empty array")
            : output;

    public static SpendRequest SpendRequest(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("a spend request that is not an object");
        }
        var card = Object(json, "card");
        var status = String(json, "status") ?? throw Malformed("a spend request without status");
        var nextAction = Object(json, "status_details") is { } details && Object(details, "requires_action") is { } action
            && Object(action, "next_action") is { } next
            ? new NextAction(String(next, "type") ?? "", String(next, "resolution") ?? "", String(next, "display_message"), String(next, "action_url"))
            {
                ExpiresAt = Timestamp(next, "expires_at"),
            }
            : null;
        return new SpendRequest
        {
            Id = String(json, "id") ?? throw Malformed("a spend request without id"),
            Status = SpendRequestStatuses.FromWire(status),
            Amount = Long(json, "amount") ?? 0,
            Currency = String(json, "currency") ?? "usd",
            MerchantName = String(json, "merchant_name"),
            MerchantUrl = String(json, "merchant_url"),
            Context = String(json, "context"),
            LineItems = Array(json, "line_items").Select(LineItem).ToList(),
            Totals = Array(json, "totals").Select(e => new Total(String(e, "type") ?? "", String(e, "display_text") ?? "", Long(e, "amount") ?? 0)).ToList(),
            CreatedAt = Timestamp(json, "created_at") ?? default,
            UpdatedAt = Timestamp(json, "updated_at"),
            ExpiresAt = Timestamp(json, "expires_at"),
            ApprovalUrl = String(json, "approval_url"),
            CardBrand = String(json, "card_brand") ?? (card is { } c1 ? String(c1, "brand") : null),
            CardLast4 = String(json, "card_last4") ?? (card is { } c2 ? String(c2, "last4") : null),
            CardOutputFile = String(json, "card_output_file"),
            PaymentMethodId = String(json, "payment_details"),
            CredentialType = String(json, "credential_type") ?? SpendRequestValidator.CardCredential,
            NetworkId = String(json, "network_id"),
            SharedPaymentToken = Object(json, "shared_payment_token") is { } token ? String(token, "id") : String(json, "shared_payment_token"),
            NextAction = nextAction,
            Metadata = Object(json, "metadata") is { } metadata
                ? metadata.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!)
                : new Dictionary<string, string>(),
            Test = Bool(json, "test") ?? Bool(json, "livemode") is false,
        };
    }

    public static PaymentMethod PaymentMethod(JsonElement json)
    {
        var card = Object(json, "card_details");
        var bank = Object(json, "bank_account_details");
        return new PaymentMethod(
            String(json, "id") ?? throw Malformed("a payment method without id"),
            String(json, "type") ?? "",
            Bool(json, "is_default") ?? false,
            String(json, "nickname"),
            card is { } c ? String(c, "brand") : bank is { } b1 ? String(b1, "bank_name") : null,
            card is { } c2 ? String(c2, "last4") : bank is { } b2 ? String(b2, "last4") : null);
    }

    public static ShippingAddress ShippingAddress(JsonElement json)
    {
        var address = Object(json, "address");
        string? Field(string name) => address is { } a ? String(a, name) : null;
        return new ShippingAddress(
            String(json, "id") ?? throw Malformed("a shipping address without id"),
            Bool(json, "is_default") ?? false,
            String(json, "nickname"),
            new PostalAddress
            {
                Name = Field("name"),
                Line1 = Field("line_1"),
                Line2 = Field("line_2"),
                Locality = Field("locality"),
                DependentLocality = Field("dependent_locality"),
                AdministrativeArea = Field("administrative_area"),
                PostalCode = Field("postal_code"),
                SortingCode = Field("sorting_code"),
                CountryCode = Field("country_code"),
            });
    }

    public static UserInfo UserInfo(JsonElement json) =>
        new(String(json, "email"), String(json, "name"), String(json, "first_name"), String(json, "last_name"), String(json, "phone"));

    public static AuthStatus AuthStatus(JsonElement json) =>
        new(Bool(json, "authenticated") ?? false, String(json, "credentials_path"), String(json, "scope"), String(json, "token_type"));

    public static ApprovalLink ApprovalLink(JsonElement json) =>
        new(String(json, "id") ?? throw Malformed("an approval answer without id"),
            String(json, "approval_link") ?? String(json, "approval_url") ?? throw Malformed("an approval answer without approval_link"));

    public static MppPaymentResult MppPaymentResult(JsonElement json)
    {
        var headers = Object(json, "headers") is { } h
            ? h.EnumerateObject().ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())
            : new Dictionary<string, string>();
        return new MppPaymentResult((int)(Long(json, "status") ?? throw Malformed("an mpp pay answer without status")), headers, String(json, "body") ?? "");
    }

    public static ObservationReceipt ObservationReceipt(JsonElement json) =>
        new(Text(json, "object") ?? "agent_observation", Text(json, "created_at") ?? "", Text(json, "domain") ?? "",
            Text(json, "outcome") ?? "", Text(json, "spend_request_id") ?? "", Text(json, "status") ?? "");

    public static TransactionPage TransactionPage(JsonElement json)
    {
        var items = json.ValueKind == JsonValueKind.Array ? json.EnumerateArray().ToList() : Array(json, "data");
        var transactions = items.Select(t => new Transaction
        {
            Id = String(t, "id") ?? throw Malformed("a transaction without id"),
            SourceId = String(t, "source_id"),
            Amount = Long(t, "amount") ?? 0,
            Currency = String(t, "currency") ?? "",
            CreatedDate = Text(t, "created_date") ?? "",
            Description = String(t, "description"),
            Origin = String(t, "origin") ?? "",
            Category = String(t, "category"),
            Status = String(t, "status") ?? "",
        }).ToList();
        return new TransactionPage(transactions, json.ValueKind == JsonValueKind.Object && (Bool(json, "has_more") ?? false));
    }

    public static IReadOnlyList<T> List<T>(JsonElement json, Func<JsonElement, T> map) =>
        json.ValueKind == JsonValueKind.Array ? json.EnumerateArray().Select(map).ToList() : throw Malformed("a list that is not an array");

    private static LineItem LineItem(JsonElement json) =>
        new(String(json, "name") ?? "", (int)(Long(json, "quantity") ?? 1), Long(json, "unit_amount") ?? 0, String(json, "product_url"))
        {
            Url = String(json, "url"),
            ImageUrl = String(json, "image_url"),
            Description = String(json, "description"),
            Sku = String(json, "sku"),
        };

    private static string? String(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // A string, or a number/bool written as text (fields whose type varies between Link and emulators).
    private static string? Text(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => null,
            }
            : null;

    private static long? Long(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.TryGetInt64(out var whole) ? whole : (long)Math.Round(value.GetDouble())
            : null;

    private static bool? Bool(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    private static JsonElement? Object(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static List<JsonElement> Array(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().ToList()
            : [];

    /// <summary>ISO-8601 text, or a number of Unix seconds (milliseconds when it is too large to be seconds).</summary>
    private static DateTimeOffset? Timestamp(JsonElement json, string name)
    {
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(name, out var value))
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return parsed;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            return number > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(number) : DateTimeOffset.FromUnixTimeSeconds(number);
        }
        return null;
    }

    private static LinkException Malformed(string what) =>
        new(LinkErrorCodes.Unknown, $"link-cli printed {what}; is it link-cli 0.13 or later with --format json?");
}
