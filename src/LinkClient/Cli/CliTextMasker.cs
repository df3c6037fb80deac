using System.Text;

namespace CheckoutAgent.Link.Cli;

/// <summary>
/// Defence in depth for text that came from the CLI (stdout, stderr) and goes into exception messages: every run of
/// digits (single spaces or dashes allowed between them) that holds a Luhn-valid stretch of 13 to 19 digits is
/// replaced whole, keeping only its last 4. Runs longer than 19 digits are checked window by window, so padding a
/// card number with more digits does not hide it.
/// </summary>
internal static class CliTextMasker
{
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
                result.Append("[card number removed, ends ").Append(run[^4..]).Append(']');
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
