using CheckoutAgent.Core.Purchases;

namespace CheckoutAgent.Tests.Purchases;

public class PurchaseValidatorTests
{
    internal static PurchaseRequest ValidRequest(string merchantUrl = "http://127.0.0.1:9") => new()
    {
        Recipe = "demo-shop",
        MerchantUrl = merchantUrl,
        Items = [new PurchaseItem("Ceramic pour-over coffee dripper", 1, 2400, merchantUrl + "/products/pour-over-dripper")],
        Amount = 2400,
        Context = new string('x', 20) + " one ceramic dripper from the demo shop for the kitchen, approved by Jane for the team's coffee corner.",
        Buyer = new Buyer("jane@example.com", "Jane Doe"),
        Shipping = new ShippingAddress("Jane Doe", "510 Townsend St", null, "San Francisco", "CA", "94103", "US"),
    };

    [Test]
    public void Validate_GoodRequest_HasNoProblems() => Assert.That(PurchaseValidator.Validate(ValidRequest()), Is.Empty);

    [Test]
    public void Validate_EveryBadField_IsNamedWithItsRule()
    {
        var request = ValidRequest() with
        {
            Amount = 60_000,
            Currency = "dollars",
            Context = "too short",
            MerchantUrl = "javascript:alert(1)",
            Items = [new PurchaseItem("", 0, -1, "not a url")],
            Buyer = new Buyer("nobody", "N"),
        };

        var problems = PurchaseValidator.Validate(request);

        Assert.That(problems, Has.Some.StartWith("amount: must be 1 to 50000 cents"));
        Assert.That(problems, Has.Some.StartWith("currency: must be a 3-letter ISO code"));
        Assert.That(problems, Has.Some.StartWith("context: must be at least 100 characters"));
        Assert.That(problems, Has.Some.StartWith("merchant_url:"));
        Assert.That(problems, Has.Some.StartWith("items[0].name"));
        Assert.That(problems, Has.Some.StartWith("items[0].quantity"));
        Assert.That(problems, Has.Some.StartWith("items[0].unit_amount"));
        Assert.That(problems, Has.Some.StartWith("items[0].product_url"));
        Assert.That(problems, Has.Some.StartWith("buyer.email"));
    }
}
