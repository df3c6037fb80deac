using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace CheckoutAgent.Worker.OperatorConsole;

/// <summary>
/// Markup that is safe to send: built only from literal template text and values that are HTML-encoded on the way in
/// (<c>Html.Of($"&lt;td&gt;{name}&lt;/td&gt;")</c> encodes <c>name</c>), or from other <see cref="Html"/>. There is no
/// way to turn an arbitrary string into markup, so a value from a purchase, an agent or a page can never become a tag.
/// </summary>
public readonly struct Html
{
    private readonly string? _markup;

    private Html(string markup) => _markup = markup;

    public static Html Empty { get; } = new("");

    /// <summary>Encodes &lt; &gt; &amp; quotes and anything unsafe; letters of every script stay readable in the source.</summary>
    internal static HtmlEncoder Encoder { get; } = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    /// <summary>Markup from a template: the literal parts as written, every hole encoded (unless it is itself <see cref="Html"/>).</summary>
    public static Html Of([InterpolatedStringHandlerArgument] HtmlTemplate template) => new(template.ToString());

    /// <summary>A value as text: encoded.</summary>
    public static Html Text(string? text) => new(Html.Encoder.Encode(text ?? ""));

    /// <summary>Many pieces one after another.</summary>
    public static Html Join(IEnumerable<Html> parts) => new(string.Concat(parts.Select(p => p.ToString())));

    /// <summary>The markup.</summary>
    public override string ToString() => _markup ?? "";

    internal static Html Trusted(string markup) => new(markup);
}

/// <summary>The interpolated-string handler behind <see cref="Html.Of"/>: literals verbatim, holes encoded.</summary>
[InterpolatedStringHandler]
public ref struct HtmlTemplate
{
    private readonly StringBuilder _builder;

    public HtmlTemplate(int literalLength, int formattedCount) => _builder = new StringBuilder(literalLength + formattedCount * 16);

    public readonly void AppendLiteral(string literal) => _builder.Append(literal);

    public readonly void AppendFormatted(Html html) => _builder.Append(html.ToString());

    public readonly void AppendFormatted(IEnumerable<Html> parts)
    {
        foreach (var part in parts)
        {
            _builder.Append(part.ToString());
        }
    }

    public readonly void AppendFormatted<T>(T value)
    {
        switch (value)
        {
            case Html html:
                _builder.Append(html.ToString());
                return;
            case IEnumerable<Html> parts:
                AppendFormatted(parts);
                return;
            case IFormattable formattable:
                _builder.Append(Html.Encoder.Encode(formattable.ToString(null, CultureInfo.InvariantCulture)));
                return;
            default:
                _builder.Append(Html.Encoder.Encode(value?.ToString() ?? ""));
                return;
        }
    }

    public readonly void AppendFormatted<T>(T value, string format) where T : IFormattable =>
        _builder.Append(Html.Encoder.Encode(value.ToString(format, CultureInfo.InvariantCulture)));

    public override readonly string ToString() => _builder.ToString();
}
