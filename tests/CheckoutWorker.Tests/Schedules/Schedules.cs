using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Tests.Service;

namespace CheckoutAgent.Tests.Schedules;

/// <summary>Requests the schedule tests share.</summary>
internal static class Schedules
{
    public static Dictionary<string, object?> Body(TestService service, string name = "weekly-coffee", string cron = "0 0 9 ? * MON",
        string? timeZone = "Europe/Paris", long amount = 2400)
    {
        var body = new Dictionary<string, object?> { ["name"] = name, ["cron"] = cron, ["purchase"] = service.PurchaseBody(amount) };
        if (timeZone is not null)
        {
            body["time_zone"] = timeZone;
        }
        return body;
    }

    public static async Task<JsonElement> CreateAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/v1/schedules", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((int)response.StatusCode, Is.EqualTo(201), json.ToString());
        return json;
    }

    /// <summary>The purchases a schedule made, newest first.</summary>
    public static async Task<IReadOnlyList<JsonElement>> PurchasesAsync(HttpClient client, string scheduleId)
    {
        var page = await client.GetFromJsonAsync<JsonElement>($"/v1/purchases?schedule_id={scheduleId}&limit=100");
        return page.GetProperty("data").EnumerateArray().ToList();
    }

    /// <summary>Polls until the schedule has made at least <paramref name="count"/> purchases.</summary>
    public static async Task<IReadOnlyList<JsonElement>> WaitForPurchasesAsync(HttpClient client, string scheduleId, int count, TimeSpan timeout)
    {
        return await Poll.UntilAsync(
            () => PurchasesAsync(client, scheduleId), purchases => purchases.Count >= count,
            timeout, TimeSpan.FromMilliseconds(100),
            purchases => $"schedule {scheduleId} made {purchases.Count} purchase(s) in {timeout}, expected {count}");
    }
}
