using System.Text.Json;
using CheckoutAgent.Link.Cards;

namespace CheckoutAgent.Tests.LinkClient;

public class CardSecretTests
{

    [Test]
    public void ToString_shows_brand_and_last4_only()
    {
        var secret = TestData.Secret();

        Assert.That(secret.ToString(), Is.EqualTo("visa •••• 5556"));
        Assert.That(secret.ToString(), Does.Not.Contain("4000056655665556").And.Not.Contain("987"));
    }

    [Test]
    public void Json_serialization_shows_no_number_or_cvc()
    {
        var json = JsonSerializer.Serialize(TestData.Secret());

        Assert.That(json, Does.Not.Contain("4000056655665556").And.Not.Contain("0566").And.Not.Contain("987"));
        using var document = JsonDocument.Parse(json);
        Assert.That(document.RootElement.GetString(), Is.EqualTo("visa •••• 5556"), "brand and last 4, as ToString prints them");
    }

    [Test]
    public void Json_deserialization_is_refused()
    {
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Deserialize<CardSecret>("\"visa •••• 5556\""));
    }
}
