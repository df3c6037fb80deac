using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CheckoutAgent.Tests.Service;

/// <summary>
/// A NUL in a body field, or a control character in a path id, is refused with 400 naming where it is, on either engine
/// (PostgreSQL refuses a NUL in text outright). The PostgreSQL pass of <c>make test</c> runs these on PostgreSQL.
/// </summary>
public class NulInputTests
{
    [Test]
    public async Task BodyFieldsAndPathIds_WithANul_Are400NamingWhere_AndStoreNothing()
    {
        await using var service = await TestService.StartWithoutApprovalAsync();
        var (client, _) = await service.AddAgentAsync("nul");

        var body = service.PurchaseBody();
        body["context"] = "Buying one pour-over dripper for the office kitchen, as asked in ticket 42, a one-time purchase\u0000 of it.";
        using (var response = await TestService.PostPurchaseAsync(client, body, "nul-context"))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await response.Content.ReadAsStringAsync());
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("invalid_field"));
            Assert.That(error.GetProperty("field").GetString(), Is.EqualTo("context"));
        }

        body = service.PurchaseBody();
        ((Dictionary<string, object?>[])body["items"]!)[0]["name"] = "drip\u0000per";
        using (var response = await TestService.PostPurchaseAsync(client, body, "nul-item"))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("field").GetString(), Is.EqualTo("items[0].name"));
        }

        // Kestrel itself refuses a NUL in the path (400 before any route); other control characters reach the API, which refuses them.
        foreach (var path in new[] { "/v1/purchases/pur_%00x", "/v1/purchases/pur_%01x", "/v1/schedules/sch_%1Fx", "/v1/purchases/pur_%01x/cancel" })
        {
            using var response = path.EndsWith("/cancel", StringComparison.Ordinal) ? await client.PostAsync(path, null) : await client.GetAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), path);
            if (!path.Contains("%00", StringComparison.Ordinal))
            {
                Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("must not contain control characters"), path);
            }
        }

        using var list = await client.GetFromJsonAsync<JsonDocument>("/v1/purchases");
        Assert.That(list!.RootElement.GetProperty("data").GetArrayLength(), Is.Zero, "nothing was stored");
    }
}
