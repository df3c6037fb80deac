using System.Globalization;

namespace CheckoutAgent.Link;

/// <summary>
/// The rules Link's server applies to a new spend request, checked locally so a bad request fails fast with a
/// message that says what to fix, and nothing is sent. The in-process sandbox applies the same rules server-side.
/// </summary>
public static class SpendRequestValidator
{
    /// <summary>Link's hard cap on one spend request, in cents ($500.00).</summary>
    public const long LinkMaxAmount = 50_000;

    /// <summary>The shortest context Link accepts: the person reads it before approving.</summary>
    public const int MinContextLength = 100;

    /// <summary>Most metadata keys Link keeps on one request.</summary>
    public const int MaxMetadataKeys = 50;

    /// <summary>Longest metadata key.</summary>
    public const int MaxMetadataKeyLength = 40;

    /// <summary>Longest metadata value.</summary>
    public const int MaxMetadataValueLength = 500;

    /// <summary>Credential type for a one-time virtual card.</summary>
    public const string CardCredential = "card";

    /// <summary>Credential type for a Shared Payment Token (Machine Payment Protocol).</summary>
    public const string SharedPaymentTokenCredential = "shared_payment_token";

    /// <summary>The total line types Link documents.</summary>
    public static IReadOnlyList<string> TotalTypes { get; } =
    [
        "subtotal", "tax", "total", "items_base_amount", "items_discount", "discount",
        "fulfillment", "shipping", "fee", "gift_wrap", "tip", "store_credit",
    ];

    /// <summary>Checks <paramref name="options"/> against Link's rules with Link's $500.00 cap.</summary>
    /// <exception cref="LinkException">Code <c>INVALID_REQUEST</c>, <see cref="LinkException.Field"/> set to the wire
    /// name of the first offending field.</exception>
    public static void Validate(SpendRequestCreateOptions options) => Validate(options, LinkMaxAmount);

    /// <summary>Checks <paramref name="options"/> against Link's rules with a different amount cap (the sandbox's).</summary>
    /// <exception cref="LinkException">Code <c>INVALID_REQUEST</c>, <see cref="LinkException.Field"/> set to the wire
    /// name of the first offending field.</exception>
    public static void Validate(SpendRequestCreateOptions options, long maxAmount)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAmount, 1);

        if (options.Amount < 1 || options.Amount > maxAmount)
        {
            var cap = maxAmount == LinkMaxAmount ? "Link's cap" : "this server's cap";
            Fail("amount", Invariant(
                $"amount must be an integer number of cents from 1 to {maxAmount} ({cap}, {FormatDollars(maxAmount)}); got {options.Amount}. Split larger purchases into several spend requests."));
        }

        var currency = options.Currency ?? "";
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetter))
        {
            Fail("currency", $"currency must be exactly 3 ASCII letters (an ISO 4217 code such as usd); got '{currency}'.");
        }

        var context = options.Context ?? "";
        if (context.Length < MinContextLength)
        {
            Fail("context", Invariant(
                $"context must be at least {MinContextLength} characters; got {context.Length}. Say what is bought, from which merchant and why: the person reads it before approving."));
        }

        var credentialType = options.CredentialType ?? "";
        var isCard = credentialType == CardCredential;
        var isToken = credentialType == SharedPaymentTokenCredential;
        if (!isCard && !isToken)
        {
            Fail("credential_type", $"credential_type must be '{CardCredential}' or '{SharedPaymentTokenCredential}'; got '{credentialType}'.");
        }

        if (isToken)
        {
            if (string.IsNullOrWhiteSpace(options.NetworkId))
            {
                Fail("network_id", "network_id is required when credential_type is shared_payment_token; take it from the merchant's payment challenge.");
            }
            if (options.MerchantName is not null)
            {
                Fail("merchant_name", "merchant_name is forbidden when credential_type is shared_payment_token; omit it (it is only for card credentials).");
            }
            if (options.MerchantUrl is not null)
            {
                Fail("merchant_url", "merchant_url is forbidden when credential_type is shared_payment_token; omit it (it is only for card credentials).");
            }
        }
        else
        {
            if (options.NetworkId is not null)
            {
                Fail("network_id", "network_id is only allowed when credential_type is shared_payment_token; omit it for card credentials.");
            }
            if (string.IsNullOrWhiteSpace(options.MerchantName))
            {
                Fail("merchant_name", "merchant_name is required when credential_type is card; give the store's name as the person knows it.");
            }
            if (!IsHttpUrl(options.MerchantUrl))
            {
                Fail("merchant_url", $"merchant_url is required when credential_type is card and must be an absolute http or https URL of the storefront (e.g. https://shop.example); got '{options.MerchantUrl}'.");
            }
        }

        ValidateLineItems(options.LineItems ?? []);
        ValidateTotals(options.Totals ?? []);
        ValidateMetadata(options.Metadata ?? new Dictionary<string, string>());
    }

    /// <summary>Checks a spend request update: at least one field, and each given field by the create rules.</summary>
    /// <exception cref="LinkException">Code <c>INVALID_REQUEST</c> naming the field.</exception>
    public static void ValidateUpdate(SpendRequestUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.IsEmpty)
        {
            Fail("update", "an update must change at least one of amount, currency, merchant_url, payment_details, line_items or totals.");
        }
        if (update.Amount is { } amount && (amount < 1 || amount > LinkMaxAmount))
        {
            Fail("amount", Invariant($"amount must be an integer number of cents from 1 to {LinkMaxAmount} (Link's cap, {FormatDollars(LinkMaxAmount)}); got {amount}."));
        }
        if (update.Currency is { } currency && (currency.Length != 3 || !currency.All(char.IsAsciiLetter)))
        {
            Fail("currency", $"currency must be exactly 3 ASCII letters (an ISO 4217 code such as usd); got '{currency}'.");
        }
        if (update.MerchantUrl is not null && !IsHttpUrl(update.MerchantUrl))
        {
            Fail("merchant_url", $"merchant_url must be an absolute http or https URL of the storefront (e.g. https://shop.example); got '{update.MerchantUrl}'.");
        }
        if (update.PaymentMethodId is not null && string.IsNullOrWhiteSpace(update.PaymentMethodId))
        {
            Fail("payment_details", "payment_details must be a payment method id (csmrpd_…) when given.");
        }
        ValidateLineItems(update.LineItems ?? []);
        ValidateTotals(update.Totals ?? []);
    }

    /// <summary>Checks a report before it is sent: domain, outcome from the closed set, spend request id, tags.</summary>
    /// <exception cref="LinkException">Code <c>INVALID_REQUEST</c> naming the field.</exception>
    public static void ValidateObservation(AgentObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        if (string.IsNullOrWhiteSpace(observation.Domain) || observation.Domain.Contains('/', StringComparison.Ordinal) || observation.Domain.Any(char.IsWhiteSpace))
        {
            Fail("domain", $"domain must be the merchant's host name without scheme or path (e.g. shop.example); got '{observation.Domain}'.");
        }
        if (!ObservationOutcomes.All.Contains(observation.Outcome, StringComparer.Ordinal))
        {
            Fail("outcome", $"outcome must be one of {string.Join(", ", ObservationOutcomes.All)}; got '{observation.Outcome}'.");
        }
        if (string.IsNullOrWhiteSpace(observation.SpendRequestId) || !observation.SpendRequestId.StartsWith("lsrq_", StringComparison.Ordinal))
        {
            Fail("spend_request_id", $"spend_request_id must be a spend request id (lsrq_…); got '{observation.SpendRequestId}'.");
        }
        var tags = observation.Tags ?? [];
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(tags[i]) || tags[i].Contains(',', StringComparison.Ordinal))
            {
                Fail(Invariant($"tags[{i}]"), Invariant($"tags[{i}] must be a non-empty word without commas (e.g. captcha, 3ds_challenge, payment_declined); got '{tags[i]}'."));
            }
        }
    }

    private static void ValidateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.Count > MaxMetadataKeys)
        {
            Fail("metadata", Invariant($"metadata may hold at most {MaxMetadataKeys} keys; got {metadata.Count}."));
        }
        foreach (var (key, value) in metadata)
        {
            if (string.IsNullOrEmpty(key) || key.Length > MaxMetadataKeyLength || key.Contains(':', StringComparison.Ordinal) || key.Contains(',', StringComparison.Ordinal))
            {
                Fail("metadata", Invariant($"metadata keys must be 1 to {MaxMetadataKeyLength} characters without ':' or ','; got '{key}'."));
            }
            if (value is null || value.Length > MaxMetadataValueLength || value.Contains(',', StringComparison.Ordinal))
            {
                Fail("metadata." + key, Invariant($"metadata.{key} must be at most {MaxMetadataValueLength} characters without ','."));
            }
        }
    }

    private static void ValidateLineItems(IReadOnlyList<LineItem> items)
    {
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var prefix = Invariant($"line_items[{i}]");
            if (item is null)
            {
                Fail(prefix, $"{prefix} must not be null; remove the empty entry.");
            }
            if (string.IsNullOrWhiteSpace(item.Name))
            {
                Fail(prefix + ".name", $"{prefix}.name must be non-empty; give the product's name.");
            }
            if (item.Quantity < 1)
            {
                Fail(prefix + ".quantity", Invariant($"{prefix}.quantity must be at least 1; got {item.Quantity}."));
            }
            if (item.UnitAmount < 0)
            {
                Fail(prefix + ".unit_amount", Invariant($"{prefix}.unit_amount must be 0 or more cents; got {item.UnitAmount}. Put discounts in totals instead."));
            }
        }
    }

    private static void ValidateTotals(IReadOnlyList<Total> totals)
    {
        for (var i = 0; i < totals.Count; i++)
        {
            var total = totals[i];
            var prefix = Invariant($"totals[{i}]");
            if (total is null)
            {
                Fail(prefix, $"{prefix} must not be null; remove the empty entry.");
            }
            if (total.Type is null || !TotalTypes.Contains(total.Type, StringComparer.Ordinal))
            {
                Fail(prefix + ".type", $"{prefix}.type must be one of {string.Join(", ", TotalTypes)}; got '{total.Type}'.");
            }
            if (string.IsNullOrWhiteSpace(total.DisplayText))
            {
                Fail(prefix + ".display_text", $"{prefix}.display_text must be non-empty; it is the label the person sees (e.g. Total).");
            }
        }
    }

    private static bool IsHttpUrl(string? url) =>
        url is not null
        && Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Host.Length > 0;

    private static string FormatDollars(long cents) =>
        "$" + (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string field, string message) => throw new LinkException(LinkErrorCodes.InvalidRequest, message, field);
}
