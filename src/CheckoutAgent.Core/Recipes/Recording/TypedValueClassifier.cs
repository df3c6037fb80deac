using System.Globalization;
using System.Text.RegularExpressions;
using CheckoutAgent.Link;

namespace CheckoutAgent.Core.Recipes.Recording;

/// <summary>
/// Turns a typed value into the placeholder it stands for, or into its length alone. Called the moment a value
/// arrives from the page; the caller drops the value right after. Nothing here keeps, prints or throws with it.
/// </summary>
public sealed partial class TypedValueClassifier(RecordingIdentity identity, TimeProvider time)
{
    private static readonly string[] MonthNames = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames;

    /// <summary>The placeholder <paramref name="value"/> stands for in a field with these <paramref name="hints"/>; null when empty.</summary>
    public TypedValue? Classify(string value, FieldHints hints, RecordedKind kind, bool inCardFrame = false)
    {
        var text = value.Trim();
        if (text.Length == 0)
        {
            return null;
        }
        var placeholder = Place(text, hints, kind, inCardFrame);
        return placeholder is null ? new TypedValue.Unplaced(text.Length) : new TypedValue.Placeholder(placeholder);
    }

    private string? Place(string text, FieldHints hints, RecordedKind kind, bool inCardFrame)
    {
        var hint = hints.Text;
        var digits = Digits(text);
        var onlyDigitsAndSeparators = SeparatedDigits().IsMatch(text);
        var isOneTimeCode = Has(hint, "one-time", "one time", "otp", "verification", "2fa", "totp", "authenticator", "security code sent");

        if (string.Equals(hints.InputType, "password", StringComparison.OrdinalIgnoreCase))
        {
            return isOneTimeCode ? "account.totp" : "account.password";
        }
        if (onlyDigitsAndSeparators && digits.Length is >= 13 and <= 19 && Luhn.IsValid(digits))
        {
            return "card.number";
        }
        if (isOneTimeCode && digits.Length == 6 && onlyDigitsAndSeparators)
        {
            return "account.totp";
        }
        var cardHint = inCardFrame || Has(hint, "card", "cc-", "expir", "exp-", "cvc", "cvv", "csc", "security code");
        if (kind == RecordedKind.Select && Has(hint, "month", "exp", "mm") && MonthOf(text) is not null && !Has(hint, "year"))
        {
            return "card.exp_month";
        }
        if (kind == RecordedKind.Select && Has(hint, "year", "exp", "yy") && IsFutureYear(digits) && text.Length == digits.Length)
        {
            return "card.exp_year";
        }
        if (text.Length == digits.Length && digits.Length is 3 or 4 && Has(hint, "cvc", "cvv", "csc", "security code", "card code", "verification value"))
        {
            return "card.cvc";
        }
        // Without a separator ("1229") only a field that asks for an expiry says it is one.
        if (ExpiryShape().Match(text) is { Success: true } expiry && (Has(hint, "expir", "exp-", "exp_", "mm", "valid") || expiry.Groups["sep"].Length > 0)
            && IsFuture(int.Parse(expiry.Groups["m"].Value, CultureInfo.InvariantCulture), expiry.Groups["y"].Value))
        {
            return "card.expiry";
        }
        if (Equal(text, identity.Email) || (hints.FormHasPassword && EmailShape().IsMatch(text)))
        {
            return hints.FormHasPassword ? "account.username" : "buyer.email";
        }
        if (hints.FormHasPassword && Has(hint, "user", "login", "email"))
        {
            return "account.username";
        }
        if (Equal(text, identity.Name))
        {
            return cardHint || Has(hint, "holder") ? "card.name" : Has(hint, "bill", "contact", "buyer", "customer") ? "buyer.name" : "shipping.name";
        }
        if (Equal(text, identity.Line1))
        {
            return "shipping.line1";
        }
        if (Equal(text, identity.Line2))
        {
            return "shipping.line2";
        }
        if (Equal(text, identity.City))
        {
            return "shipping.city";
        }
        if (Equal(text, identity.PostalCode))
        {
            return "shipping.postal_code";
        }
        if (Equal(text, identity.Country) || Equal(text, "USA") || Equal(text, "United States") || Equal(text, "United States of America"))
        {
            return "shipping.country";
        }
        if (Equal(text, identity.State) || Equal(text, "California"))
        {
            return "shipping.state";
        }
        if (digits.Length >= 10 && Digits(identity.Phone).EndsWith(digits, StringComparison.Ordinal) && PhoneShape().IsMatch(text))
        {
            return "buyer.phone";
        }
        if (Equal(text, identity.Quantity) && Has(hint, "quantity", "qty"))
        {
            return "job.quantity";
        }
        return null;
    }

    private bool IsFuture(int month, string year)
    {
        if (month is < 1 or > 12)
        {
            return false;
        }
        var y = int.Parse(year, CultureInfo.InvariantCulture);
        y = y < 100 ? 2000 + y : y;
        var now = time.GetUtcNow();
        return (y > now.Year || (y == now.Year && month >= now.Month)) && y <= now.Year + 25;
    }

    private bool IsFutureYear(string digits)
    {
        if (digits.Length is not (2 or 4))
        {
            return false;
        }
        var y = int.Parse(digits, CultureInfo.InvariantCulture);
        y = y < 100 ? 2000 + y : y;
        var now = time.GetUtcNow().Year;
        return y >= now && y <= now + 25;
    }

    /// <summary>1–12 from <c>4</c>, <c>04</c>, <c>April</c>, <c>Apr</c>, <c>04 - April</c>; null otherwise.</summary>
    private static int? MonthOf(string text)
    {
        var leading = LeadingNumber().Match(text);
        if (leading.Success && int.TryParse(leading.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 12)
        {
            return m;
        }
        for (var i = 0; i < 12; i++)
        {
            if (text.StartsWith(MonthNames[i][..3], StringComparison.OrdinalIgnoreCase))
            {
                return i + 1;
            }
        }
        return null;
    }

    private static string Digits(string text) => string.Concat(text.Where(char.IsAsciiDigit));

    private static bool Equal(string a, string b) =>
        string.Equals(Collapse().Replace(a, " "), Collapse().Replace(b, " "), StringComparison.OrdinalIgnoreCase);

    private static bool Has(string hint, params string[] words) => words.Any(w => hint.Contains(w, StringComparison.Ordinal));

    [GeneratedRegex(@"^[\d\s\-]+$")]
    private static partial Regex SeparatedDigits();

    [GeneratedRegex(@"^(?<m>0?[1-9]|1[0-2])\s*(?<sep>[/\-.]?)\s*(?<y>\d{2}|\d{4})$")]
    private static partial Regex ExpiryShape();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailShape();

    [GeneratedRegex(@"^\+?[\d\s().\-]+$")]
    private static partial Regex PhoneShape();

    [GeneratedRegex(@"^\d{1,2}")]
    private static partial Regex LeadingNumber();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Collapse();
}
