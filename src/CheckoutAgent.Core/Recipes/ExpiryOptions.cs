using System.Globalization;
using CardPart = CheckoutAgent.Link.Cards.CardField;

namespace CheckoutAgent.Core.Recipes;

/// <summary>One option of a select element, as the page has it.</summary>
public sealed record SelectOption(string Value, string Text);

/// <summary>
/// Finds the option of an expiry drop-down that means the card's month or year, the way shops write them: months as
/// <c>4</c>, <c>04</c>, <c>April</c>, <c>Apr</c> or <c>04 - April</c>; years as <c>2029</c> or <c>29</c>. An option's
/// value is tried before its visible text, so <c>&lt;option value="04"&gt;April&lt;/option&gt;</c> matches by value.
/// </summary>
public static class ExpiryOptions
{
    private static readonly string[] Months =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    /// <summary>The index of the option for <paramref name="value"/> (month 1..12 or four-digit year), or -1 when none means it.</summary>
    public static int Find(IReadOnlyList<SelectOption> options, CardPart field, int value)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (field is not (CardPart.ExpMonth or CardPart.ExpYear))
        {
            throw new ArgumentOutOfRangeException(nameof(field), field, "only the expiry month and year are chosen from drop-downs");
        }
        Func<string, int?> read = field == CardPart.ExpMonth ? Month : Year;
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < options.Count; i++)
            {
                var parsed = read(pass == 0 ? options[i].Value : options[i].Text);
                if (parsed == value)
                {
                    return i;
                }
            }
        }
        return -1;
    }

    /// <summary>A month from <c>4</c>, <c>04</c>, <c>04 - April</c>, <c>April</c> or <c>Apr</c>; null when the text is no month.</summary>
    public static int? Month(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var digits = LeadingDigits(trimmed);
        if (digits.Length is 1 or 2)
        {
            var month = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            return month is >= 1 and <= 12 ? month : null;
        }
        if (digits.Length > 0 || trimmed.Length < 3)
        {
            return null;
        }
        var word = new string(trimmed.TakeWhile(char.IsAsciiLetter).ToArray()).ToLowerInvariant();
        for (var i = 0; i < Months.Length; i++)
        {
            if (word.Length >= 3 && Months[i].StartsWith(word, StringComparison.Ordinal))
            {
                return i + 1;
            }
        }
        return null;
    }

    /// <summary>A four-digit year from <c>2029</c> or <c>29</c> (this century); null when the text is no year.</summary>
    public static int? Year(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var digits = LeadingDigits(text.Trim());
        return digits.Length switch
        {
            4 => int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture),
            2 => 2000 + int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    private static string LeadingDigits(string text) => new(text.TakeWhile(char.IsAsciiDigit).ToArray());
}
