using System.Text;
using System.Text.RegularExpressions;
using CheckoutAgent.Link;

namespace CheckoutAgent.Worker.Observability;

/// <summary>
/// Masks anything that looks like a card number (a Luhn-valid run of 13-19 digits, spaces or dashes allowed between
/// them), keeping the last 4. A second wall: card values are never meant to reach text in the first place.
/// </summary>
public static partial class CardNumberMasker
{
    [GeneratedRegex(@"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)", RegexOptions.CultureInvariant)]
    private static partial Regex CandidateRun();

    /// <summary>The text with every Luhn-valid 13-19 digit run replaced by <c>•••• 1234</c>.</summary>
    public static string Mask(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }
        return CandidateRun().Replace(text, match =>
        {
            var digits = new StringBuilder(match.Length);
            foreach (var c in match.ValueSpan)
            {
                if (char.IsAsciiDigit(c))
                {
                    digits.Append(c);
                }
            }
            return Luhn.IsValid(digits.ToString()) ? "•••• " + digits.ToString(digits.Length - 4, 4) : match.Value;
        });
    }
}
