using CheckoutAgent.Link;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Tests.Purchases;

public class MoneyAndMaskingTests
{
    [TestCase("$24.00", 2400)]
    [TestCase("Total: $1,024.50", 102450)]
    [TestCase("USD 7", 700)]
    [TestCase("24,00 €", 2400)]
    [TestCase("1.024,50 EUR", 102450)]
    [TestCase("$0.99", 99)]
    [TestCase("$1,234.56", 123456)]
    [TestCase("1.234,56 €", 123456)]
    [TestCase("USD 12.00", 1200)]
    [TestCase("12.5 EUR", 1250)]
    [TestCase("1\u00A0234,56 €", 123456)]
    [TestCase("Total (2 items): $48.00", 4800)]
    public void TryParse_ReadsPageTotalsAsCents(string text, long expected)
    {
        Assert.That(Money.TryParse(text, out var cents), Is.True);
        Assert.That(cents, Is.EqualTo(expected));
    }

    [TestCase("$1,234.56", "$")]
    [TestCase("1.234,56 €", "eur")]
    [TestCase("USD 12.00", "usd")]
    [TestCase("£9.99", "gbp")]
    [TestCase("24.00", null)]
    [TestCase("24.00 incl. VAT", null)]
    public void TryParse_ReportsTheCurrencyShown(string text, string? currency)
    {
        Assert.That(Money.TryParse(text, out _, out var shown), Is.True);
        Assert.That(shown, Is.EqualTo(currency));
    }

    [TestCase("$", "usd", true)]
    [TestCase("$", "eur", false)]
    [TestCase("eur", "usd", false)]
    [TestCase(null, "usd", true)]
    public void CurrencyMatches_ComparesWhatThePageShowsWithTheApprovedCurrency(string? shown, string approved, bool matches) =>
        Assert.That(Money.CurrencyMatches(shown, approved), Is.EqualTo(matches));

    [TestCase("2 x $24.00 = $48.00")]
    [TestCase("Subtotal 24.00 Shipping 5.00")]
    public void TryParse_SeveralCandidateAmounts_IsRefusedRatherThanGuessed(string text) =>
        Assert.That(Money.TryParse(text, out _), Is.False);

    [TestCase("")]
    [TestCase("free")]
    [TestCase("$")]
    public void TryParse_TextWithoutAmount_Fails(string text) => Assert.That(Money.TryParse(text, out _), Is.False);

    [TestCase(2400, "usd", "$24.00")]
    [TestCase(5, "eur", "0.05 EUR")]
    public void Format_WritesMinorUnitsAsMoney(long cents, string currency, string expected) =>
        Assert.That(Money.Format(cents, currency), Is.EqualTo(expected));

    [TestCase("card 4242424242424242 typed", "card •••• 4242 typed")]
    [TestCase("fill(\"4242 4242 4242 4242\")", "fill(\"•••• 4242\")")]
    [TestCase("4242-4242-4242-4242", "•••• 4242")]
    [TestCase("order 1234567890123 at 1763731234567", "order 1234567890123 at 1763731234567")]
    public void Mask_HidesLuhnValidCardNumbersOnly(string text, string expected) =>
        Assert.That(CardNumberMasker.Mask(text), Is.EqualTo(expected));
}
