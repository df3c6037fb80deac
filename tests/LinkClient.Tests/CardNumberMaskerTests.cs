using CheckoutAgent.Link;

namespace CheckoutAgent.Tests.LinkClient;

public sealed class CardNumberMaskerTests
{
    [TestCase("card 4242424242424242 declined", "4242424242424242")]
    [TestCase("card 4242 4242 4242 4242 declined", "4242 4242 4242 4242")]
    [TestCase("card 4242-4242-4242-4242 declined", "4242-4242-4242-4242")]
    [TestCase("{\"number\":\"378282246310005\"}", "378282246310005")]
    [TestCase("padded 0004242424242424242000 digits", "0004242424242424242000")]
    public void Luhn_valid_runs_are_removed_keeping_last_4(string text, string number)
    {
        var masked = CardNumberMasker.Mask(text);
        Assert.That(masked, Does.Not.Contain(number));
        Assert.That(masked, Does.Contain("•••• " + number[^4..]));
    }

    [TestCase("Failed to create spend request (400): amount too large")]
    [TestCase("order 1234567890123 is not Luhn")]
    [TestCase("Spend request lsrq_123 not found")]
    [TestCase("")]
    public void Other_text_is_unchanged(string text) => Assert.That(CardNumberMasker.Mask(text), Is.EqualTo(text));
}
