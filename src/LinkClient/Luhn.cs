namespace CheckoutAgent.Link;

/// <summary>The Luhn (mod 10) check digit that every card number carries.</summary>
public static class Luhn
{
    /// <summary>
    /// True when <paramref name="digits"/> is two or more ASCII digits whose Luhn checksum is zero.
    /// Anything else (empty, spaces, dashes, letters) is false: callers strip formatting first.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> digits)
    {
        if (digits.Length < 2)
        {
            return false;
        }
        var sum = 0;
        var doubleIt = false;
        // Walk from the right: the check digit is never doubled, every second digit left of it is.
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var c = digits[i];
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            sum += Weigh(c - '0', doubleIt);
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }

    /// <summary>
    /// A random number of <paramref name="length"/> digits that starts with <paramref name="prefix"/> and ends with a
    /// correct check digit.
    /// </summary>
    internal static string Generate(string prefix, int length, Random random)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(random);
        if (!prefix.All(char.IsAsciiDigit))
        {
            throw new ArgumentException("The prefix must be digits only.", nameof(prefix));
        }
        if (length < 2 || length <= prefix.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The length must leave room for at least the check digit.");
        }

        var buffer = new char[length];
        prefix.CopyTo(0, buffer, 0, prefix.Length);
        for (var i = prefix.Length; i < length - 1; i++)
        {
            // Sandbox numbers only need to look real and differ; they are not secrets worth a CSPRNG.
#pragma warning disable CA5394
            buffer[i] = (char)('0' + random.Next(10));
#pragma warning restore CA5394
        }

        // The check digit sits at the right, so the digit left of it is the first one doubled.
        var sum = 0;
        var doubleIt = true;
        for (var i = length - 2; i >= 0; i--)
        {
            sum += Weigh(buffer[i] - '0', doubleIt);
            doubleIt = !doubleIt;
        }
        buffer[length - 1] = (char)('0' + ((10 - (sum % 10)) % 10));
        return new string(buffer);
    }

    private static int Weigh(int digit, bool doubleIt)
    {
        if (!doubleIt)
        {
            return digit;
        }
        var doubled = digit * 2;
        return doubled > 9 ? doubled - 9 : doubled;
    }
}
