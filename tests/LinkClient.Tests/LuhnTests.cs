using CheckoutAgent.Link;

namespace CheckoutAgent.Tests.LinkClient;

public class LuhnTests
{
    [TestCase("4242424242424242")]
    [TestCase("4111111111111111")]
    [TestCase("5555555555554444")]
    [TestCase("79927398713")]
    public void IsValid_accepts_numbers_with_a_correct_check_digit(string number) =>
        Assert.That(Luhn.IsValid(number), Is.True);

    [TestCase("4242424242424241")]
    [TestCase("4111111111111112")]
    [TestCase("79927398710")]
    [TestCase("")]
    [TestCase("0")]
    [TestCase("4242 4242 4242 4242")]
    [TestCase("4242-4242-4242-4242")]
    [TestCase("42424242424242a2")]
    public void IsValid_rejects_wrong_check_digits_and_anything_but_digits(string number) =>
        Assert.That(Luhn.IsValid(number), Is.False);

    [Test]
    public void Generate_gives_valid_numbers_of_the_requested_prefix_and_length()
    {
        var random = new Random(1234);
        for (var i = 0; i < 1000; i++)
        {
            var number = Luhn.Generate("4", 16, random);
            Assert.That(number, Has.Length.EqualTo(16).And.StartsWith("4"));
            Assert.That(Luhn.IsValid(number), Is.True, "generated number fails the Luhn check");
        }
    }

    [Test]
    public void Generate_refuses_a_length_without_room_for_the_check_digit() =>
        Assert.That(() => Luhn.Generate("4242", 4, new Random(1)), Throws.TypeOf<ArgumentOutOfRangeException>());
}
