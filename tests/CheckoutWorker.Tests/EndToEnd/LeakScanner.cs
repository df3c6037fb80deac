using System.Text;
using System.Text.RegularExpressions;
using CheckoutAgent.Link;

namespace CheckoutAgent.Tests.EndToEnd;

/// <summary>Searches text and files for a card's number (plain, spaced, dashed) and its CVC in a telling context.</summary>
internal sealed class LeakScanner
{
    private readonly string[] _numberForms;
    private readonly Regex _cvcInContext;

    public LeakScanner(string number, string cvc, int expMonth, int expYear)
    {
        var groups = Enumerable.Range(0, (number.Length + 3) / 4).Select(i => number.Substring(i * 4, Math.Min(4, number.Length - (i * 4)))).ToArray();
        _numberForms = [number, string.Join(' ', groups), string.Join('-', groups)];
        var expiry = $"{expMonth:00}\\W{{0,3}}(?:{expYear % 100:00}|{expYear})";
        // The CVC alone is three digits that occur everywhere; next to its label or the expiry it is the secret.
        _cvcInContext = new Regex($@"(?i)(?:cvc|cvv|csc|security code)\W{{0,12}}{cvc}(?!\d)|{expiry}\W{{0,12}}{cvc}(?!\d)|(?<!\d){cvc}\W{{0,12}}{expiry}",
            RegexOptions.CultureInvariant);
    }

    public List<string> Findings { get; } = [];

    public void ScanText(string where, string text)
    {
        foreach (var form in _numberForms)
        {
            if (text.Contains(form, StringComparison.Ordinal))
            {
                Findings.Add($"{where}: card number ({form.Length} chars)");
            }
        }
        if (_cvcInContext.IsMatch(text))
        {
            Findings.Add($"{where}: CVC next to its label or the expiry");
        }
    }

    /// <summary>Scans every file below <paramref name="root"/> (name and bytes), optionally only those written since <paramref name="since"/>.</summary>
    /// <param name="scanned">Receives the path of each file scanned, when given.</param>
    public int ScanDirectory(string root, DateTime? since = null, ICollection<string>? scanned = null) =>
        ReadFiles(root, since, (file, text) =>
        {
            ScanText($"file name {file}", file);
            ScanText(file, text);
        }, scanned);

    /// <summary>
    /// Hands every readable file below <paramref name="root"/> (optionally only those written since <paramref name="since"/>)
    /// to <paramref name="read"/> as Latin-1 text, which maps each byte to one char: digits in UTF-8 text and binary files
    /// alike are found. Returns how many files were read.
    /// </summary>
    public static int ReadFiles(string root, DateTime? since, Action<string, string> read, ICollection<string>? scanned = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (!Directory.Exists(root))
        {
            return 0;
        }
        var count = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var file in Directory.EnumerateFiles(root, "*", options))
        {
            try
            {
                var info = new FileInfo(file);
                // Length 0 also covers FIFOs and sockets (the runtime's clr-debug-pipe in /tmp): opening one would block.
                if ((since is not null && info.LastWriteTimeUtc < since) || info.Length == 0 || info.Length > 64 * 1024 * 1024)
                {
                    continue;
                }
                read(file, Encoding.Latin1.GetString(File.ReadAllBytes(file)));
                count++;
                scanned?.Add(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file that vanished or is locked while we look (other tests' browsers) is not ours to read.
            }
        }
        return count;
    }

    /// <summary>
    /// Any 13-19 digit Luhn-valid run starting with 4 (the sandbox issues Visa numbers): for outputs where the exact number
    /// is unknown. A run glued to a letter before it is not a card number but part of a name: Quartz's fired-trigger ids
    /// are the instance id and a time-based counter (<c>NON_CLUSTERED45146074928273</c>), Luhn-valid one time in ten.
    /// </summary>
    public static IReadOnlyList<string> FindVisaLikeNumbers(string text) =>
        Regex.Matches(text, @"(?<![\dA-Za-z_])4\d(?:[ -]?\d){11,17}(?!\d)")
            .Select(m => new string(m.Value.Where(char.IsAsciiDigit).ToArray()))
            .Where(digits => Luhn.IsValid(digits))
            .Select(digits => "•••• " + digits[^4..])
            .ToList();
}
