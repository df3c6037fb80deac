using System.Globalization;

namespace CheckoutAgent.Core.Recipes.Recording;

/// <summary>
/// The test identity a recording author types: <c>recipe record</c> prints it, and typed values equal to one of its
/// parts become that part's placeholder. Card values are recognised by shape (any Luhn-valid number, any future
/// expiry, a 3–4 digit code in a field that asks for one), so any test card works.
/// </summary>
public sealed record RecordingIdentity
{
    /// <summary>The identity the command prints: the demo's buyer, shipping to San Francisco.</summary>
    public static RecordingIdentity Default { get; } = new();

    /// <value>The card number suggested in the banner: Stripe's public test Visa.</value>
    public string SuggestedCardNumber { get; init; } = "4242 4242 4242 4242";
    public string Email { get; init; } = "jane.doe@example.com";
    public string Name { get; init; } = "Jane Doe";
    public string Phone { get; init; } = "+1 415 555 0100";
    public string Line1 { get; init; } = "510 Townsend St";
    public string Line2 { get; init; } = "Suite 100";
    public string City { get; init; } = "San Francisco";
    public string State { get; init; } = "CA";
    public string PostalCode { get; init; } = "94103";
    public string Country { get; init; } = "US";
    public string Quantity { get; init; } = "1";

    /// <summary>The banner: what to type, one line each. Holds no secret: the card number is a public test number.</summary>
    public IEnumerable<string> Describe(TimeProvider time)
    {
        var year = time.GetUtcNow().Year + 3;
        yield return $"  card number   {SuggestedCardNumber} (or any test card number)";
        yield return string.Create(CultureInfo.InvariantCulture, $"  expiry        any future date, e.g. 12/{year % 100:00} (MM/YY, MM/YYYY, or the month and year drop-downs)");
        yield return "  CVC           any 3 digits, e.g. 123";
        yield return $"  name on card  {Name}";
        yield return $"  email         {Email}";
        yield return $"  name          {Name}";
        yield return $"  phone         {Phone}";
        yield return $"  address       {Line1}, {Line2} (if asked), {City}, {State} {PostalCode}, {Country}";
        yield return $"  quantity      {Quantity}";
        yield return "  shop account  your test account: a password field becomes ${account.password}, the email or username beside it ${account.username}";
    }
}
