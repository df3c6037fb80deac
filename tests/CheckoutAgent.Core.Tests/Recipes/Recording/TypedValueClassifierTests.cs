using CheckoutAgent.Core.Recipes.Recording;

namespace CheckoutAgent.Tests.Recipes.Recording;

/// <summary>Typed values become placeholders by the printed test identity and by card shapes; the rest only a length.</summary>
public class TypedValueClassifierTests
{
    private static readonly TypedValueClassifier Classifier =
        new(RecordingIdentity.Default, new FixedTime(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero)));

    private static string? Place(string value, FieldHints hints, RecordedKind kind = RecordedKind.Fill, bool inCardFrame = false) =>
        Classifier.Classify(value, hints, kind, inCardFrame) switch
        {
            TypedValue.Placeholder p => p.Name,
            TypedValue.Unplaced u => $"unplaced:{u.Length}",
            _ => null,
        };

    [TestCase("4242424242424242")]
    [TestCase("4242 4242 4242 4242")]
    [TestCase("4000-0566-5566-5556")]
    [TestCase("378282246310005")]
    public void CardNumber_AnyLuhnValidNumber_IsCardNumber(string typed) =>
        Assert.That(Place(typed, new FieldHints(Label: "Number")), Is.EqualTo("card.number"));

    [Test]
    public void CardNumber_LuhnInvalid_IsUnplaced_AndOnlyItsLengthIsKept() =>
        Assert.That(Place("4242424242424241", new FieldHints(Label: "Card number")), Is.EqualTo("unplaced:16"));

    [TestCase("12/29")]
    [TestCase("12 / 29")]
    [TestCase("12/2029")]
    [TestCase("1/30")]
    [TestCase("01-30")]
    public void Expiry_AnyShapeWithASeparator_IsCardExpiry(string typed) =>
        Assert.That(Place(typed, new FieldHints(Label: "Valid thru")), Is.EqualTo("card.expiry"));

    [Test]
    public void Expiry_WithoutSeparator_OnlyInAFieldThatAsksForIt()
    {
        Assert.That(Place("1229", new FieldHints(Label: "Expiry (MMYY)")), Is.EqualTo("card.expiry"));
        Assert.That(Place("1229", new FieldHints(Label: "Door code")), Is.EqualTo("unplaced:4"));
    }

    [Test]
    public void Expiry_InThePast_IsNotAnExpiry() =>
        Assert.That(Place("01/25", new FieldHints(Label: "Expiry")), Is.EqualTo("unplaced:5"));

    [TestCase("12", "exp-month", "card.exp_month")]
    [TestCase("December", "Expiry month", "card.exp_month")]
    [TestCase("2029", "Expiry year", "card.exp_year")]
    [TestCase("29", "exp_year", "card.exp_year")]
    public void ExpirySelects_MonthAndYear(string chosen, string label, string expected) =>
        Assert.That(Place(chosen, new FieldHints(Label: label), RecordedKind.Select), Is.EqualTo(expected));

    [TestCase("CVC")]
    [TestCase("Security code")]
    [TestCase("cvv")]
    public void Cvc_ThreeOrFourDigitsInACodeField(string label)
    {
        Assert.That(Place("737", new FieldHints(Label: label)), Is.EqualTo("card.cvc"));
        Assert.That(Place("1234", new FieldHints(Label: label)), Is.EqualTo("card.cvc"));
    }

    [Test]
    public void Cvc_ThreeDigitsElsewhere_IsUnplaced() =>
        Assert.That(Place("737", new FieldHints(Label: "Apartment")), Is.EqualTo("unplaced:3"));

    [Test]
    public void Password_IsAccountPassword_WhateverItSays()
    {
        Assert.That(Place("hunter2-secret", new FieldHints(Label: "Password", InputType: "password")), Is.EqualTo("account.password"));
        Assert.That(Place("4242424242424242", new FieldHints(Label: "PIN", InputType: "password")), Is.EqualTo("account.password"));
    }

    [Test]
    public void SignInForm_EmailBesideAPassword_IsAccountUsername_AndCodeIsTotp()
    {
        Assert.That(Place("me@shop.example", new FieldHints(Label: "Email", InputType: "email", FormHasPassword: true)), Is.EqualTo("account.username"));
        Assert.That(Place("someone", new FieldHints(Label: "Username", FormHasPassword: true)), Is.EqualTo("account.username"));
        Assert.That(Place("492039", new FieldHints(Label: "Verification code")), Is.EqualTo("account.totp"));
    }

    [TestCase("jane.doe@example.com", "Email", "buyer.email")]
    [TestCase("JANE.DOE@example.com ", "E-mail", "buyer.email")]
    [TestCase("Jane Doe", "Full name", "shipping.name")]
    [TestCase("Jane  Doe", "Name", "shipping.name")]
    [TestCase("Jane Doe", "Billing name", "buyer.name")]
    [TestCase("Jane Doe", "Name on card", "card.name")]
    [TestCase("510 Townsend St", "Address", "shipping.line1")]
    [TestCase("Suite 100", "Address line 2", "shipping.line2")]
    [TestCase("San Francisco", "City", "shipping.city")]
    [TestCase("CA", "State", "shipping.state")]
    [TestCase("California", "State", "shipping.state")]
    [TestCase("94103", "Postal code", "shipping.postal_code")]
    [TestCase("US", "Country", "shipping.country")]
    [TestCase("United States", "Country", "shipping.country")]
    [TestCase("(415) 555-0100", "Phone", "buyer.phone")]
    [TestCase("+1 415 555 0100", "Phone", "buyer.phone")]
    [TestCase("1", "Quantity", "job.quantity")]
    public void TestIdentity_BecomesItsPlaceholder(string typed, string label, string expected) =>
        Assert.That(Place(typed, new FieldHints(Label: label)), Is.EqualTo(expected));

    [Test]
    public void NameInACardFrame_IsCardName() =>
        Assert.That(Place("Jane Doe", new FieldHints(Label: "Name"), inCardFrame: true), Is.EqualTo("card.name"));

    [Test]
    public void Unmatched_KeepsOnlyTheLength()
    {
        Assert.That(Place("SPRING-SALE", new FieldHints(Label: "Coupon")), Is.EqualTo("unplaced:11"));
        Assert.That(Place("someone.else@example.com", new FieldHints(Label: "Email")), Is.EqualTo("unplaced:24"));
        Assert.That(Place("2", new FieldHints(Label: "Quantity")), Is.EqualTo("unplaced:1"));
    }

    [Test]
    public void Empty_IsNothing() => Assert.That(Place("  ", new FieldHints(Label: "Email")), Is.Null);

    [Test]
    public void Unplaced_PrintsNoValue()
    {
        var unplaced = Classifier.Classify("4242424242424241", new FieldHints(Label: "x"), RecordedKind.Fill);
        Assert.That(unplaced!.ToString(), Does.Not.Contain("4242"));
    }

    /// <summary>A clock stopped at one instant: expiry dates are judged against it.</summary>
    internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
