using System.Text;
using System.Text.Json;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.EndToEnd;
using OtpNet;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>
/// A secret other than a card that must be in no output: an account password, a TOTP secret, a one-time code, a shop
/// session cookie. Searched in each form it could be written in (plain, URL- and JSON-escaped, base64, UTF-16); a
/// finding names the canary and the form, never the value.
/// </summary>
/// <param name="Name">What it is, for findings, e.g. "account password".</param>
/// <param name="Forms">The strings searched for, each with what kind of form it is.</param>
/// <param name="StandaloneDigits">A short run of digits (a one-time code): found only where no digit touches it on either side.</param>
internal sealed record LeakCanary(string Name, IReadOnlyList<(string Form, string Text)> Forms, bool StandaloneDigits = false)
{
    /// <summary>A text secret (password, cookie value), plain and in the encodings a program might write it in.</summary>
    public static LeakCanary Text(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        Assert.That(value.All(char.IsAscii), Is.True, "canaries are ASCII, so the Latin-1 reading of a file finds their UTF-8 bytes");
        var forms = new List<(string, string)> { ("plain", value) };
        AddIfNew(forms, "URL-encoded", Uri.EscapeDataString(value));
        AddIfNew(forms, "form-encoded", Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal));
        AddIfNew(forms, "JSON-escaped", JsonEncodedText.Encode(value).ToString());
        AddIfNew(forms, "base64", Convert.ToBase64String(Encoding.UTF8.GetBytes(value)));
        AddIfNew(forms, "UTF-16", Encoding.Latin1.GetString(Encoding.Unicode.GetBytes(value)));
        return new LeakCanary(name, forms);
    }

    /// <summary>A TOTP secret: its base32 text (upper and lower case) and its key's bytes as hex and base64.</summary>
    public static LeakCanary TotpSecret(string name, string base32)
    {
        var canary = Text(name, base32);
        var forms = canary.Forms.ToList();
        var key = Base32Encoding.ToBytes(base32);
        AddIfNew(forms, "lower-case base32", base32.ToLowerInvariant());
        AddIfNew(forms, "key as hex", Convert.ToHexStringLower(key));
        AddIfNew(forms, "key as HEX", Convert.ToHexString(key));
        AddIfNew(forms, "key as base64", Convert.ToBase64String(key));
        return canary with { Forms = forms };
    }

    /// <summary>A 6-digit one-time code, and the same digits as authenticator apps show them ("123 456").</summary>
    public static LeakCanary Code(string name, string code)
    {
        Assert.That(code, Does.Match("^[0-9]{6}$"));
        return new LeakCanary(name, [("digits", code), ("grouped", $"{code[..3]} {code[3..]}")], StandaloneDigits: true);
    }

    /// <summary>
    /// The codes of <paramref name="base32"/> for every 30-second step from one before <paramref name="from"/> to one
    /// after <paramref name="to"/>: whatever code the worker typed in that time is among them (it computes the current
    /// code when it types; the shop accepts the step either side too).
    /// </summary>
    public static IReadOnlyList<LeakCanary> CodesBetween(string what, string base32, DateTime from, DateTime to)
    {
        var totp = new Totp(Base32Encoding.ToBytes(base32));
        var codes = new SortedSet<string>(StringComparer.Ordinal);
        for (var at = from.AddSeconds(-30); at <= to.AddSeconds(30); at = at.AddSeconds(10))
        {
            codes.Add(totp.ComputeTotp(at));
        }
        return [.. codes.Select((code, i) => Code($"{what} one-time code #{i + 1}", code))];
    }

    private static void AddIfNew(List<(string, string)> forms, string form, string text)
    {
        if (!forms.Any(f => f.Item2 == text))
        {
            forms.Add((form, text));
        }
    }

    /// <summary>Whether <paramref name="text"/> holds <paramref name="form"/> (as a standalone digit run, for codes).</summary>
    public bool IsIn(string text, string form)
    {
        if (!StandaloneDigits)
        {
            return text.Contains(form, StringComparison.Ordinal);
        }
        for (var at = text.IndexOf(form, StringComparison.Ordinal); at >= 0; at = text.IndexOf(form, at + 1, StringComparison.Ordinal))
        {
            var end = at + form.Length;
            if ((at == 0 || !char.IsAsciiDigit(text[at - 1])) && (end == text.Length || !char.IsAsciiDigit(text[end])))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>
/// Searches text and files for the cards of a scenario (through <see cref="LeakScanner"/>: number in its forms, CVC in
/// context) and for its other canaries, each file read once.
/// </summary>
internal sealed class CanaryScanner
{
    private readonly IReadOnlyList<LeakScanner> _cards;
    private readonly IReadOnlyList<LeakCanary> _canaries;
    private readonly List<string> _findings = [];

    public CanaryScanner(IEnumerable<SandboxIssuedCard> cards, IEnumerable<LeakCanary> canaries)
    {
        _cards = [.. cards.Select(c => new LeakScanner(c.Number, c.Cvc, c.ExpMonth, c.ExpYear))];
        _canaries = [.. canaries];
        Assert.That(_cards.Count + _canaries.Count, Is.GreaterThan(0), "a sweep needs a canary");
    }

    /// <value>The canaries other than cards, by name: what the sweep says it searched for.</value>
    public IEnumerable<string> CanaryNames => _canaries.Select(c => c.Name);

    /// <value>Every finding so far: where, and which canary in which form (never the value).</value>
    public IReadOnlyList<string> Findings => [.. _findings, .. _cards.SelectMany(c => c.Findings)];

    public void ScanText(string where, string text)
    {
        foreach (var card in _cards)
        {
            card.ScanText(where, text);
        }
        foreach (var canary in _canaries)
        {
            foreach (var (form, value) in canary.Forms)
            {
                if (canary.IsIn(text, value))
                {
                    _findings.Add($"{where}: {canary.Name} ({form})");
                }
            }
        }
    }

    /// <summary>
    /// Scans every file below <paramref name="root"/> (name and bytes, read as Latin-1 so every byte is one char),
    /// optionally only those written since <paramref name="since"/>; as <see cref="LeakScanner.ScanDirectory"/> does.
    /// </summary>
    /// <param name="scanned">Receives the path of each file scanned, when given.</param>
    public int ScanDirectory(string root, DateTime? since = null, ICollection<string>? scanned = null) =>
        EndToEnd.LeakScanner.ReadFiles(root, since, (file, text) =>
        {
            ScanText($"file name {file}", file);
            ScanText(file, text);
        }, scanned);
}
