using System.Text;

namespace CheckoutAgent.Link;

/// <summary>
/// The one masker for text that might hold a card number by mistake: log events (the worker's masking stage), CLI
/// output quoted in exceptions, page text and Playwright messages. Every run of digits (single spaces or dashes
/// allowed between them) that holds a Luhn-valid stretch of 13 to 19 digits is replaced whole by <c>•••• 1234</c>,
/// keeping only the run's last 4. Runs longer than 19 digits are checked window by window, so padding a card number
/// with more digits does not hide it. A second wall: card values are never meant to reach text at all.
/// </summary>
public static class CardNumberMasker
{
    /// <summary>The text with every run holding a Luhn-valid 13-19 digit card number replaced by <c>•••• 1234</c>.</summary>
    public static string Mask(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }
        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                result.Append(text[i]);
                i++;
                continue;
            }
            // A run: digits, with one separator allowed between two digits.
            var start = i;
            var digits = new StringBuilder();
            var end = i;
            while (i < text.Length)
            {
                if (char.IsAsciiDigit(text[i]))
                {
                    digits.Append(text[i]);
                    i++;
                    end = i;
                }
                else if ((text[i] == ' ' || text[i] == '-') && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
                {
                    i++;
                }
                else
                {
                    break;
                }
            }
            i = end;
            var run = digits.ToString();
            if (HoldsCardNumber(run))
            {
                result.Append("•••• ").Append(run[^4..]);
            }
            else
            {
                result.Append(text, start, end - start);
            }
        }
        return result.ToString();
    }

    private static bool HoldsCardNumber(string digits)
    {
        for (var length = 13; length <= Math.Min(19, digits.Length); length++)
        {
            for (var offset = 0; offset + length <= digits.Length; offset++)
            {
                if (Luhn.IsValid(digits.AsSpan(offset, length)))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
