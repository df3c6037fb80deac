using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.EndToEnd;
using CheckoutAgent.Worker.Bench;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Tests.Bench;

/// <summary>The benchmark's baseline is an output path too: when it fails on a card field, its error names the stage, not the card.</summary>
[Category("Browser")]
public class BaselineCheckoutTests
{
    [Test]
    public async Task A_baseline_failing_on_a_disabled_card_field_reports_the_stage_without_Playwrights_text()
    {
        // The disabled-number fault makes Playwright's own message quote the typed number (CardFieldFaultTests shows it).
        var options = new DemoShopOptions { CardFieldFault = CardFieldFault.NumberDisabled };
        await using var shop = await DemoShop.StartAsync(options, new SandboxIssuer(new LinkSandbox(new LinkSandboxOptions())));
        const string number = "4000056655665556";
        const string cvc = "737";
        var card = new CardSecret(number, cvc, 12, 2031, "visa", "Jane Doe", null);
        await using var baseline = await BaselineCheckout.StartAsync(ChromiumLocator.Find(null));

        var failure = Assert.ThrowsAsync<InvalidOperationException>(() => baseline.RunAsync(shop.ProductUrl(options.Products[0].Sku), card,
            new Buyer("jane.doe@example.com", "Jane Doe"), new ShippingAddress("Jane Doe", "510 Townsend St", null, "San Francisco", "CA", "94103", "US"),
            TimeSpan.FromSeconds(1.5)));

        Assert.That(failure!.Message, Does.Contain("typing the card"));
        var scanner = new LeakScanner(number, cvc, card.ExpMonth, card.ExpYear);
        scanner.ScanText("baseline error", failure.ToString());
        Assert.That(scanner.Findings, Is.Empty);
    }
}
