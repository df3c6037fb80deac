using System.Text.Json;
using System.Text.Json.Serialization;

namespace CheckoutAgent.Link.Cards;

/// <summary>Which secret part of a card to reveal at the moment of typing.</summary>
public enum CardField
{
    /// <summary>The full card number (PAN), digits only.</summary>
    Number,
    /// <summary>The card verification code.</summary>
    Cvc,
    /// <summary>Expiry month, two digits (<c>04</c>).</summary>
    ExpMonth,
    /// <summary>Expiry year, four digits (<c>2027</c>).</summary>
    ExpYear,
    /// <summary>Expiry as <c>MM/YY</c>.</summary>
    Expiry,
    /// <summary>Cardholder name from the billing address.</summary>
    Name,
}

/// <summary>
/// A one-time card read from a card file. Only brand and last 4 are properties: serializers and log destructuring see
/// nothing else, and <see cref="ToString"/> prints <c>visa •••• 4242</c>. The secret parts are reached only through
/// <see cref="Reveal"/>, at the moment of typing. JSON serialization writes the same masked text and refuses to read.
/// </summary>
[JsonConverter(typeof(CardSecretJsonConverter))]
public sealed class CardSecret
{
    private readonly string _number;
    private readonly string _cvc;
    private readonly string _name;

    /// <summary>Creates a card secret. The number must be digits only.</summary>
    public CardSecret(string number, string cvc, int expMonth, int expYear, string brand, string? name, DateTimeOffset? validUntil)
    {
        ArgumentException.ThrowIfNullOrEmpty(number);
        ArgumentException.ThrowIfNullOrEmpty(cvc);
        if (number.Length < 12 || !number.All(char.IsAsciiDigit))
        {
            throw new ArgumentException("A card number must be 12 or more digits.", nameof(number));
        }
        _number = number;
        _cvc = cvc;
        _name = name ?? "";
        ExpMonth = expMonth;
        ExpYear = expYear;
        Brand = brand;
        ValidUntil = validUntil;
    }

    /// <value>Card brand, e.g. <c>visa</c>.</value>
    public string Brand { get; }

    /// <value>Last four digits.</value>
    public string Last4 => _number[^4..];

    /// <value>Expiry month 1..12.</value>
    public int ExpMonth { get; }

    /// <value>Four-digit expiry year.</value>
    public int ExpYear { get; }

    /// <value>After this moment the issuer declines the card.</value>
    public DateTimeOffset? ValidUntil { get; }

    /// <summary>The secret value of one field, for typing into a checkout form and nothing else.</summary>
    public string Reveal(CardField field) => field switch
    {
        CardField.Number => _number,
        CardField.Cvc => _cvc,
        CardField.ExpMonth => ExpMonth.ToString("00", System.Globalization.CultureInfo.InvariantCulture),
        CardField.ExpYear => ExpYear.ToString("0000", System.Globalization.CultureInfo.InvariantCulture),
        CardField.Expiry => $"{ExpMonth:00}/{ExpYear % 100:00}",
        CardField.Name => _name,
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    /// <summary>Brand and last 4 only.</summary>
    public override string ToString() => $"{Brand} •••• {Last4}";
}

/// <summary>Serializes a <see cref="CardSecret"/> as <c>"visa •••• 4242"</c>; never reads one from JSON.</summary>
public sealed class CardSecretJsonConverter : MaskedJsonConverter<CardSecret>;

/// <summary>
/// For secrets whose <see cref="object.ToString"/> is their masked form: JSON gets exactly that text, and reading one
/// from JSON is refused, so a secret can neither be written out whole nor smuggled in.
/// </summary>
/// <typeparam name="T">The secret type.</typeparam>
public class MaskedJsonConverter<T> : JsonConverter<T>
    where T : class
{
    /// <inheritdoc />
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException($"A {typeof(T).Name} is never read from JSON.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.ToString());
    }
}
