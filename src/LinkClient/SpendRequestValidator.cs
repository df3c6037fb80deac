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
