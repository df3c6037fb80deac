using System.Text;
using System.Text.RegularExpressions;
using CardPart = CheckoutAgent.Link.Cards.CardField;

namespace CheckoutAgent.Core.Recipes;

/// <summary>The merchant-account value a secret placeholder types: <c>${account.username}</c>, <c>.password</c>, <c>.totp</c>.</summary>
public enum AccountField
{
    Username,
    Password,
    /// <summary>The current RFC 6238 one-time code, computed at the moment of typing.</summary>
    Totp,
}

/// <summary>Where a template stands in a recipe, which decides the secret placeholders it may hold.</summary>
public enum TemplateUse
{
    /// <summary>A navigate URL, or any other text: no secret placeholder.</summary>
    Text,
    /// <summary>A fill value: any card or account placeholder, alone.</summary>
    Fill,
    /// <summary>A select value: <c>${card.exp_month}</c> or <c>${card.exp_year}</c>, alone (expiry drop-downs).</summary>
    Select,
}

/// <summary>
/// A recipe value with <c>${namespace.key}</c> placeholders from a closed set. A secret placeholder (card or account)
/// must stand alone as a fill value (or, for the expiry month and year, a select value), so a secret can only ever be
/// typed into a field, never built into a URL, selector or text.
/// </summary>
public sealed partial class Template
{
    private static readonly IReadOnlyDictionary<string, Recipes.AccountField> AccountPlaceholders = new Dictionary<string, Recipes.AccountField>(StringComparer.Ordinal)
    {
        ["account.username"] = Recipes.AccountField.Username,
        ["account.password"] = Recipes.AccountField.Password,
        ["account.totp"] = Recipes.AccountField.Totp,
    };

    private static readonly HashSet<CardPart> SelectableCardParts = new HashSet<CardPart> { CardPart.ExpMonth, CardPart.ExpYear };

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

    private Template(string source, CardPart? cardField, Recipes.AccountField? accountField)
    {
        Source = source;
        CardField = cardField;
        AccountField = accountField;
    }

    /// <value>The text as written in the recipe (placeholders unexpanded: safe to print).</value>
    public string Source { get; }

    /// <value>The card field this template types, when it is a lone card placeholder.</value>
    public CardPart? CardField { get; }

    /// <value>The merchant-account field this template types, when it is a lone account placeholder.</value>
    public Recipes.AccountField? AccountField { get; }

    /// <value>True when the value is a card or account placeholder: the step types a secret.</value>
    public bool IsSecret => CardField is not null || AccountField is not null;

    /// <summary>Parses a template; <paramref name="cardAllowed"/> is true only for a fill step's value.</summary>
    /// <exception cref="FormatException">An unknown placeholder, or a secret placeholder out of place (message says which).</exception>
    public static Template Parse(string source, bool cardAllowed) => Parse(source, cardAllowed ? TemplateUse.Fill : TemplateUse.Text);

    /// <summary>Parses a template used as <paramref name="use"/>.</summary>
    /// <exception cref="FormatException">An unknown placeholder, or a secret placeholder out of place (message says which).</exception>
    public static Template Parse(string source, TemplateUse use)
    {
        ArgumentNullException.ThrowIfNull(source);
        CardPart? cardField = null;
        Recipes.AccountField? accountField = null;
        foreach (Match match in PlaceholderPattern().Matches(source))
        {
            var name = match.Groups[1].Value.Trim();
            var isCard = CardPlaceholders.TryGetValue(name, out var field);
            var isAccount = AccountPlaceholders.TryGetValue(name, out var account);
            if (isCard || isAccount)
            {
                var kind = isCard ? "card" : "account";
                var allowed = use == TemplateUse.Fill || (use == TemplateUse.Select && isCard && SelectableCardParts.Contains(field));
                if (!allowed)
                {
                    throw new FormatException(use == TemplateUse.Select
                        ? $"{kind} placeholder ${{{name}}} cannot be a select value: only ${{card.exp_month}} and ${{card.exp_year}} can (expiry drop-downs)"
                        : $"{kind} placeholder ${{{name}}} may appear only as the value of a fill step{(isCard && SelectableCardParts.Contains(field) ? " or a select step" : "")}");
                }
                if (match.Value != source.Trim())
                {
                    throw new FormatException($"{kind} placeholder ${{{name}}} must be the whole {(use == TemplateUse.Select ? "select" : "fill")} value, with nothing around it");
                }
                if (isCard)
                {
                    cardField = field;
                }
                else
                {
                    accountField = account;
                }
            }
            else if (!ValuePlaceholders.Contains(name))
            {
                throw new FormatException(
                    $"unknown placeholder ${{{name}}}; known: {string.Join(", ", CardPlaceholders.Keys.Concat(AccountPlaceholders.Keys).Concat(ValuePlaceholders).Order(StringComparer.Ordinal))}");
            }
        }
        return new Template(source, cardField, accountField);
    }

    /// <summary>Expands non-card placeholders. Card values are never expanded here: the runner reveals them at typing.</summary>
    public string Expand(IReadOnlyDictionary<string, string> values)
    {
        if (IsSecret)
        {
            throw new InvalidOperationException("A card or account template is typed from its secret, not expanded to text.");
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
