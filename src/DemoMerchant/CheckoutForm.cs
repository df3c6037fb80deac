using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace CheckoutAgent.DemoMerchant;

/// <summary>The checkout fields that may be shown back to the buyer. Card fields are deliberately absent.</summary>
internal sealed record ShippingDetails(string Email, string FullName, string Address, string City, string PostalCode, string Country)
{
    public static ShippingDetails Empty { get; } = new("", "", "", "", "", "US");
}

/// <summary>Card fields after parsing; lives only for the length of one POST.</summary>
internal sealed record CardDetails(string Number, string Cvc, int ExpMonth, int ExpYear, string NameOnCard)
{
    public string Last4 => Number[^4..];

    public string Brand => Number[0] switch
    {
        '4' => "visa",
        '5' => "mastercard",
        '3' => "amex",
        _ => "card",
    };
}

/// <summary>Form field names, shared by the renderer and the parser so they cannot drift apart.</summary>
internal static class Field
{
    public const string Email = "email";
    public const string FullName = "name";
    public const string Address = "address";
    public const string City = "city";
    public const string PostalCode = "postal-code";
    public const string Country = "country";
    public const string CardNumber = "card-number";
    public const string CardExpiry = "card-expiry";
    public const string CardExpMonth = "card-exp-month";
    public const string CardExpYear = "card-exp-year";
    public const string CardCvc = "card-cvc";
    public const string CardName = "card-name";
}

/// <summary>Parses and validates a checkout POST; every problem is reported against its field.</summary>
internal sealed class CheckoutSubmission
{
    public const int MaxFieldLength = 200;

    private CheckoutSubmission(ShippingDetails shipping, CardDetails? card, IReadOnlyDictionary<string, string> errors)
    {
        Shipping = shipping;
        Card = card;
        Errors = errors;
    }

    public ShippingDetails Shipping { get; }

    /// <summary>Null when any card field is invalid, or when the card was not part of the form.</summary>
    public CardDetails? Card { get; }

    /// <summary>Field name → message; empty when the submission is valid.</summary>
    public IReadOnlyDictionary<string, string> Errors { get; }

    /// <summary>Parses the parts of a checkout form a page carries: contact and shipping, card, or both.</summary>
    /// <param name="form">The posted form.</param>
    /// <param name="withShipping">The form carries the contact and shipping fields.</param>
    /// <param name="withCard">The form carries the card fields.</param>
    /// <param name="expirySelects">The expiry comes as two selects (month, year) instead of one MM/YY field.</param>
    /// <param name="accountEmail">A signed-in buyer's email: the form has no email field, this is used instead.</param>
    public static CheckoutSubmission Parse(
        IFormCollection form, bool withShipping = true, bool withCard = true, bool expirySelects = false, string? accountEmail = null)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);

        string Required(string name, string missingMessage)
        {
            var value = form[name].ToString().Trim();
            if (value.Length == 0)
            {
                errors[name] = missingMessage;
            }
            else if (value.Length > MaxFieldLength)
            {
                errors[name] = $"Keep this under {MaxFieldLength} characters.";
            }

            return value.Length > MaxFieldLength ? value[..MaxFieldLength] : value;
        }

        var shipping = ShippingDetails.Empty;
        if (withShipping)
        {
            shipping = new ShippingDetails(
                accountEmail ?? Required(Field.Email, "Enter your email address."),
                Required(Field.FullName, "Enter your full name."),
                Required(Field.Address, "Enter your street address."),
                Required(Field.City, "Enter your city."),
                Required(Field.PostalCode, "Enter your postal code."),
                Required(Field.Country, "Enter your country."));

            if (shipping.Email.Length > 0 && !errors.ContainsKey(Field.Email) && !LooksLikeEmail(shipping.Email))
            {
                errors[Field.Email] = "Enter a valid email address, like name@example.com.";
            }
        }

        CardDetails? card = null;
        if (withCard)
        {
            var number = ParseCardNumber(form[Field.CardNumber].ToString(), errors);
            var expiry = expirySelects
                ? ParseExpirySelects(form[Field.CardExpMonth].ToString(), form[Field.CardExpYear].ToString(), errors)
                : ParseExpiry(form[Field.CardExpiry].ToString(), errors);
            var cvc = ParseCvc(form[Field.CardCvc].ToString(), errors);
            var nameOnCard = Required(Field.CardName, "Enter the name on the card.");

            card = number is not null && expiry is { } exp && cvc is not null && !errors.ContainsKey(Field.CardName)
                ? new CardDetails(number, cvc, exp.Month, exp.Year, nameOnCard)
                : null;
        }

        return new CheckoutSubmission(shipping, card, errors);
    }

    private static bool LooksLikeEmail(string value)
    {
        // Deliberately loose: the shop only needs somewhere to "send" a receipt, not RFC 5322.
        var at = value.IndexOf('@', StringComparison.Ordinal);
        return at > 0
            && at == value.LastIndexOf('@')
            && value.IndexOf('.', at) > at + 1
            && !value.EndsWith('.')
            && !value.Any(char.IsWhiteSpace);
    }

    private static string? ParseCardNumber(string raw, Dictionary<string, string> errors)
    {
        var trimmed = raw.Trim();
        if (trimmed.Length == 0)
        {
            errors[Field.CardNumber] = "Enter your card number.";
            return null;
        }

        var digits = new string([.. trimmed.Where(char.IsAsciiDigit)]);
        var onlyAllowed = trimmed.All(c => char.IsAsciiDigit(c) || c == ' ' || c == '-');

        // No Luhn check here: whether the number is a real card is the issuer's call, and it says so in its decline.
        if (!onlyAllowed || digits.Length is < 12 or > 19)
        {
            errors[Field.CardNumber] = "Enter a valid card number (digits only; spaces and dashes are fine).";
            return null;
        }

        return digits;
    }

    private static (int Month, int Year)? ParseExpiry(string raw, Dictionary<string, string> errors)
    {
        var trimmed = raw.Trim();
        if (trimmed.Length == 0)
        {
            errors[Field.CardExpiry] = "Enter the expiry date.";
            return null;
        }

        var parts = trimmed.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && parts[0].Length is 1 or 2 && parts[0].All(char.IsAsciiDigit)
            && parts[1].Length is 2 or 4 && parts[1].All(char.IsAsciiDigit))
        {
            var month = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var year = int.Parse(parts[1], CultureInfo.InvariantCulture);
            if (parts[1].Length == 2)
            {
                year += 2000;
            }

            // Past dates are not rejected here: the issuer answers card_expired, which is the behaviour to exercise.
            if (month is >= 1 and <= 12)
            {
                return (month, year);
            }
        }

        errors[Field.CardExpiry] = "Enter the expiry date as MM/YY, like 04/29.";
        return null;
    }

    private static (int Month, int Year)? ParseExpirySelects(string rawMonth, string rawYear, Dictionary<string, string> errors)
    {
        // The selects' values are two-digit months and four-digit years; anything else was not one of the options.
        int? month = rawMonth.Length == 2 && rawMonth.All(char.IsAsciiDigit)
            && int.Parse(rawMonth, CultureInfo.InvariantCulture) is >= 1 and <= 12 and var m ? m : null;
        int? year = rawYear.Length == 4 && rawYear.All(char.IsAsciiDigit) ? int.Parse(rawYear, CultureInfo.InvariantCulture) : null;
        if (month is null)
        {
            errors[Field.CardExpMonth] = "Choose the expiry month.";
        }
        if (year is null)
        {
            errors[Field.CardExpYear] = "Choose the expiry year.";
        }
        return month is { } mm && year is { } yyyy ? (mm, yyyy) : null;
    }

    private static string? ParseCvc(string raw, Dictionary<string, string> errors)
    {
        var trimmed = raw.Trim();
        if (trimmed.Length == 0)
        {
            errors[Field.CardCvc] = "Enter the security code.";
            return null;
        }

        if (trimmed.Length is < 3 or > 4 || !trimmed.All(char.IsAsciiDigit))
        {
            errors[Field.CardCvc] = "Enter the 3 or 4 digit security code.";
            return null;
        }

        return trimmed;
    }
}
