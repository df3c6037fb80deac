using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Tests.EndToEnd;

namespace CheckoutAgent.Tests.Service;

/// <summary>An agent's purchase over HTTP, all the way: Link sandbox approval, Chromium at the demo shop, the confirmed order.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class HttpPurchaseTests
{
    [Test]
    public async Task Purchase_QueuedOverHttp_WithTheWalletsDetails_IsConfirmed_AndTheResponsesHoldNoCardData()
    {
        await using var service = await TestService.StartAsync(withShop: true);
        var (client, _) = await service.AddAgentAsync("shopper");
        var body = service.PurchaseBody();
        body["buyer"] = "wallet";
        body["shipping"] = "wallet";
        body["metadata"] = new Dictionary<string, string> { ["ticket"] = "42" };
        using var created = await TestService.PostPurchaseAsync(client, body, Guid.NewGuid().ToString());
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var purchase = await TestService.WaitForEndAsync(client, id);
        Assert.That(purchase.GetProperty("status").GetString(), Is.EqualTo("succeeded"), purchase.ToString());
        var outcome = purchase.GetProperty("outcome");
        Assert.That(outcome.GetProperty("order_number").GetString(), Is.Not.Empty);
        Assert.That(outcome.GetProperty("card_last4").GetString(), Has.Length.EqualTo(4));
        Assert.That(purchase.GetProperty("metadata").GetProperty("ticket").GetString(), Is.EqualTo("42"));
        var kinds = purchase.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.That(kinds, Is.SupersetOf(new[] { "queued", "policy", "spend_request", "approved", "submitting", "succeeded" }));
        Assert.That(service.Shop!.Orders, Has.Count.EqualTo(1));
        // The order went to the wallet's person and address, read from Link at checkout time.
        var wallet = service.Sandbox.GetUserInfo();
        Assert.That(service.Shop.Orders[0].Email, Is.EqualTo(wallet.Email));

        var everything = await client.GetStringAsync($"/v1/purchases/{id}") + await client.GetStringAsync("/v1/purchases");
        var card = service.Sandbox.IssuedCards.Single();
        var scanner = new LeakScanner(card.Number, card.Cvc, card.ExpMonth, card.ExpYear);
        scanner.ScanText("API responses", everything);
        scanner.ScanDirectory(service.DataDirectory);
        Assert.That(scanner.Findings, Is.Empty);
        Assert.That(LeakScanner.FindVisaLikeNumbers(everything), Is.Empty);
    }
}
