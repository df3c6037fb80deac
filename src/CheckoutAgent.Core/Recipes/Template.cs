using System.Text;
using System.Text.RegularExpressions;
using CardPart = CheckoutAgent.Link.Cards.CardField;

namespace CheckoutAgent.Core.Recipes;

/// <summary>
/// A recipe value with <c>${namespace.key}</c> placeholders from a closed set. A card placeholder must stand alone as
/// a fill value, so a card value can only ever be typed into a field, never built into a URL, selector or text.
/// </summary>
public sealed partial class Template
{
    private static readonly IReadOnlyDictionary<string, CardPart> CardPlaceholders = new Dictionary<string, CardPart>(StringComparer.Ordinal)
    {
        ["card.number"] = CardPart.Number,
        ["card.cvc"] = CardPart.Cvc,
        ["card.exp_month"] = CardPart.ExpMonth,
        ["card.exp_year"] = CardPart.ExpYear,
        ["card.expiry"] = CardPart.Expiry,
        ["card.name"] = CardPart.Name,
    };

    /// <summary>Every non-card placeholder a recipe may use.</summary>
    public static readonly IReadOnlySet<string> ValuePlaceholders = new HashSet<string>(StringComparer.Ordinal)
    {
        "buyer.email", "buyer.name", "buyer.phone",
        "shipping.name", "shipping.line1", "shipping.line2", "shipping.city", "shipping.state", "shipping.postal_code", "shipping.country",
        "job.amount", "job.currency", "job.merchant_url", "job.product_url", "job.quantity", "job.item_name",
        "job.item_count", "job.line_items", "job.product_urls",
    };

    [GeneratedRegex(@"\$\{([^}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();

    private Template(string source, CardPart? cardField)
    {
        Source = source;
        CardField = cardField;
    }

    /// <value>The text as written in the recipe (placeholders unexpanded: safe to print).</value>
    public string Source { get; }

    /// <value>The card field this template types, when it is a lone card placeholder.</value>
    public CardPart? CardField { get; }

    /// <summary>Parses a template; <paramref name="cardAllowed"/> is true only for a fill step's value.</summary>
    /// <exception cref="FormatException">An unknown placeholder, or a card placeholder out of place (message says which).</exception>
    public static Template Parse(string source, bool cardAllowed)
    {
        CardPart? cardField = null;
        foreach (Match match in PlaceholderPattern().Matches(source))
        {
            var name = match.Groups[1].Value.Trim();
            if (CardPlaceholders.TryGetValue(name, out var field))
            {
                if (!cardAllowed)
                {
                    throw new FormatException($"card placeholder ${{{name}}} may appear only as the value of a fill step");
                }
                if (match.Value != source.Trim())
                {
                    throw new FormatException($"card placeholder ${{{name}}} must be the whole fill value, with nothing around it");
                }
                cardField = field;
            }
            else if (!ValuePlaceholders.Contains(name))
            {
                throw new FormatException(
                    $"unknown placeholder ${{{name}}}; known: {string.Join(", ", CardPlaceholders.Keys.Concat(ValuePlaceholders).Order(StringComparer.Ordinal))}");
            }
        }
        return new Template(source, cardField);
    }

    /// <summary>Expands non-card placeholders. Card values are never expanded here: the runner reveals them at typing.</summary>
    public string Expand(IReadOnlyDictionary<string, string> values)
    {
        if (CardField is not null)
        {
            throw new InvalidOperationException("A card template is typed from the card secret, not expanded to text.");
        }
        var result = new StringBuilder(Source.Length);
        var last = 0;
        foreach (Match match in PlaceholderPattern().Matches(Source))
        {
            result.Append(Source, last, match.Index - last);
            result.Append(values.TryGetValue(match.Groups[1].Value.Trim(), out var value) ? value : "");
            last = match.Index + match.Length;
        }
        result.Append(Source, last, Source.Length - last);
        return result.ToString();
    }
}
