using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CheckoutAgent.Link;

namespace CheckoutAgent.Tests.Service;

/// <summary>The HTTP API against the real serve host: auth, idempotency, validation, lists, cancel, OpenAPI. No browser.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class ApiTests : NoApprovalServiceTest
{
    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private async Task<long> CountAsync(string table)
    {
        await using var connection = await Server.Services.GetDatabase().OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Test]
    public async Task Create_SameKeyAndBody_ReplaysTheFirstResponse_DifferentBody_Is409()
    {
        var (client, _) = await Server.AddAgentAsync("shopper");
        var body = Server.PurchaseBody();
        using var first = await TestService.PostPurchaseAsync(client, body, "key-1");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created), await first.Content.ReadAsStringAsync());
        var firstText = await first.Content.ReadAsStringAsync();
        var id = JsonDocument.Parse(firstText).RootElement.GetProperty("id").GetString();
        Assert.That(first.Headers.Location?.ToString(), Is.EqualTo($"/v1/purchases/{id}"));

        using var again = await TestService.PostPurchaseAsync(client, body, "key-1");
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await again.Content.ReadAsStringAsync(), Is.EqualTo(firstText), "a retry gets the original response byte for byte");
        Assert.That(again.Headers.GetValues("Idempotent-Replayed"), Is.EqualTo(new[] { "true" }));

        body["amount"] = 2500L;
        ((Dictionary<string, object?>[])body["items"]!)[0]["unit_amount"] = 2500L;
        using var changed = await TestService.PostPurchaseAsync(client, body, "key-1");
        Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        var error = (await JsonOf(changed)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("idempotency_key_reused"));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain(id));

        Assert.That(await CountAsync("purchases"), Is.EqualTo(1));
        await WaitForSpendRequestsAsync(1);
        Assert.That(Server.Sandbox.SpendRequestCount, Is.EqualTo(1), "one spend request however often the agent retries");
    }

    [Test]
    public async Task Create_SameKeyFromAnotherAgent_IsAnotherPurchase()
    {
        var (one, _) = await Server.AddAgentAsync("one");
        var (two, _) = await Server.AddAgentAsync("two");
        using var a = await TestService.PostPurchaseAsync(one, Server.PurchaseBody(), "shared-key");
        using var b = await TestService.PostPurchaseAsync(two, Server.PurchaseBody(), "shared-key");
        Assert.That(a.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(b.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((await JsonOf(a)).GetProperty("id").GetString(), Is.Not.EqualTo((await JsonOf(b)).GetProperty("id").GetString()));
    }

    [Test]
    public async Task Create_ConcurrentRetriesWithOneKey_CreateOnePurchase()
    {
        var (client, _) = await Server.AddAgentAsync("eager");
        var body = Server.PurchaseBody();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => TestService.PostPurchaseAsync(client, body, "same")));
        var ids = new HashSet<string>();
        foreach (var response in responses)
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            ids.Add((await JsonOf(response)).GetProperty("id").GetString()!);
            response.Dispose();
        }
        Assert.That(ids, Has.Count.EqualTo(1));
        Assert.That(await CountAsync("purchases"), Is.EqualTo(1));
    }

    [Test]
    public async Task Auth_NoToken401_WrongToken401_RevokedToken401_MissingScope403()
    {
        var (reader, created) = await Server.AddAgentAsync("reader", "purchases:read");
        using var anonymous = await TestService.PostPurchaseAsync(Server.Client(), Server.PurchaseBody(), "k");
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(anonymous.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
        Assert.That((await JsonOf(anonymous)).GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("unauthenticated"));

        using var wrong = await TestService.PostPurchaseAsync(Server.Client("cat_" + new string('x', 40)), Server.PurchaseBody(), "k");
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        using var noScope = await TestService.PostPurchaseAsync(reader, Server.PurchaseBody(), "k");
        Assert.That(noScope.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var error = (await JsonOf(noScope)).GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("insufficient_scope"));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("purchases:write"));

        using var admin = await reader.PostAsync("/v1/admin/pause", null);
        Assert.That(admin.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        using (var list = await reader.GetAsync("/v1/purchases"))
        {
            Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        Assert.That(await Server.Agents.RevokeAsync("reader", CancellationToken.None), Is.True);
        using var revoked = await reader.GetAsync("/v1/purchases");
        Assert.That(revoked.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await CountAsync("purchases"), Is.Zero);

        await using var connection = await Server.Services.GetDatabase().OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT token_hash FROM agents";
        var hash = (string)(await command.ExecuteScalarAsync())!;
        Assert.That(hash, Is.Not.EqualTo(created.Token).And.Not.Contains(created.Token[4..]), "tokens are stored only as hashes");
    }

    [Test]
    public async Task Agents_SeeOnlyTheirOwnPurchases()
    {
        var (one, _) = await Server.AddAgentAsync("one");
        var (two, _) = await Server.AddAgentAsync("two");
        using var created = await TestService.PostPurchaseAsync(one, Server.PurchaseBody(), "k");
        var id = (await JsonOf(created)).GetProperty("id").GetString();
        using var get = await two.GetAsync($"/v1/purchases/{id}");
        Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        using var cancel = await two.PostAsync($"/v1/purchases/{id}/cancel", null);
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var list = await two.GetFromJsonAsync<JsonElement>("/v1/purchases");
        Assert.That(list.GetProperty("data").GetArrayLength(), Is.Zero);
        var own = await one.GetFromJsonAsync<JsonElement>($"/v1/purchases/{id}");
        Assert.That(own.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()), Does.Contain("policy"));
    }

    [Test]
    public async Task Create_BadBodies_AreRefusedWithCodeFieldAndMessage_AndStoreNothing()
    {
        var (client, _) = await Server.AddAgentAsync("sloppy");
        async Task<JsonElement> Refused(HttpResponseMessage response, HttpStatusCode status)
        {
            Assert.That(response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
            return (await JsonOf(response)).GetProperty("error");
        }
        HttpRequestMessage Post(string json, string? key = "k", string contentType = "application/json")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases") { Content = new StringContent(json, Encoding.UTF8) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            if (key is not null)
            {
                request.Headers.Add("Idempotency-Key", key);
            }
            return request;
        }

        var malformed = await Refused(await client.SendAsync(Post("{\"recipe\": \"demo-shop\",")), HttpStatusCode.BadRequest);
        Assert.That(malformed.GetProperty("code").GetString(), Is.EqualTo("invalid_json"));
        Assert.That(malformed.GetProperty("message").GetString(), Does.Contain("line 1"));

        var noKey = await Refused(await client.SendAsync(Post(JsonSerializer.Serialize(Server.PurchaseBody()), key: null)), HttpStatusCode.BadRequest);
        Assert.That(noKey.GetProperty("code").GetString(), Is.EqualTo("idempotency_key_missing"));
        Assert.That(noKey.GetProperty("field").GetString(), Is.EqualTo("Idempotency-Key"));

        var text = await Refused(await client.SendAsync(Post("recipe=demo-shop", contentType: "application/x-www-form-urlencoded")), HttpStatusCode.UnsupportedMediaType);
        Assert.That(text.GetProperty("code").GetString(), Is.EqualTo("unsupported_media_type"));

        var huge = Server.PurchaseBody();
        huge["metadata"] = new Dictionary<string, string> { ["notes"] = new string('x', 100_000) };
        var large = await Refused(await client.SendAsync(Post(JsonSerializer.Serialize(huge))), HttpStatusCode.RequestEntityTooLarge);
        Assert.That(large.GetProperty("code").GetString(), Is.EqualTo("body_too_large"));

        var bad = Server.PurchaseBody();
        bad["amount"] = "24.00";
        bad["currency"] = "dollars";
        bad["callback_url"] = "http://hooks.example.com/x";
        bad["items"] = new[] { new Dictionary<string, object?> { ["name"] = "", ["quantity"] = 0 } };
        bad["colour"] = "red";
        bad["buyer"] = "someone";
        var response = await client.SendAsync(Post(JsonSerializer.Serialize(bad)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        var errors = (await JsonOf(response)).GetProperty("errors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("field").GetString()!, e => (Code: e.GetProperty("code").GetString(), Message: e.GetProperty("message").GetString()));
        Assert.That(errors.Keys, Is.SupersetOf(new[] { "amount", "currency", "callback_url", "items[0].name", "items[0].quantity", "colour", "buyer" }));
        Assert.That(errors["colour"].Code, Is.EqualTo("unknown_field"));
        Assert.That(errors["callback_url"].Message, Does.Contain("https"));
        Assert.That(errors["amount"].Message, Does.Contain("cents"));

        var card = Server.PurchaseBody();
        card["buyer"] = "4242424242424242";
        var echoed = await client.SendAsync(Post(JsonSerializer.Serialize(card)));
        Assert.That(await echoed.Content.ReadAsStringAsync(), Does.Not.Contain("4242424242424242"), "values echoed in errors are masked");

        var unknownRecipe = Server.PurchaseBody();
        unknownRecipe["recipe"] = "no-such-shop";
        var recipe = await Refused(await client.SendAsync(Post(JsonSerializer.Serialize(unknownRecipe))), HttpStatusCode.UnprocessableEntity);
        Assert.That(recipe.GetProperty("code").GetString(), Is.EqualTo("unknown_recipe"));
        Assert.That(recipe.GetProperty("field").GetString(), Is.EqualTo("recipe"));

        Assert.That(await CountAsync("purchases"), Is.Zero, "nothing is stored for a refused request");
        Assert.That(await CountAsync("idempotency_keys"), Is.Zero);
        Assert.That(Server.Sandbox.SpendRequestCount, Is.Zero);

        // The server still serves others after all that.
        using var fine = await TestService.PostPurchaseAsync(client, Server.PurchaseBody(), "k");
        Assert.That(fine.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task SlowClient_DoesNotHoldUpOthers_AndIsDropped()
    {
        var (client, created) = await Server.AddAgentAsync("patient");
        using var slow = new System.Net.Sockets.TcpClient();
        await slow.ConnectAsync(Server.BaseAddress.Host, Server.BaseAddress.Port);
        var stream = slow.GetStream();
        var head = $"POST /v1/purchases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {created.Token}\r\nIdempotency-Key: slow\r\n" +
                   "Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"recipe\":";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        // While that body trickles in (not at all), everyone else is served.
        using var fine = await TestService.PostPurchaseAsync(client, Server.PurchaseBody(), "fast");
        Assert.That(fine.StatusCode, Is.EqualTo(HttpStatusCode.Created));

        // Kestrel's minimum data rate (1 KiB/s after a 5 s grace) ends the slow request; nothing of it is stored.
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new StringBuilder();
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        Assert.That(answer.ToString(), Does.StartWith("HTTP/1.1 4").Or.Empty, "the slow request ends with a 4xx or a closed connection");
        Assert.That(await CountAsync("purchases"), Is.EqualTo(1));
    }

    [Test]
    public async Task List_FiltersAndPages_NewestFirst()
    {
        var (client, _) = await Server.AddAgentAsync("lister");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await TestService.PostPurchaseAsync(client, Server.PurchaseBody(), $"k{i}");
            ids.Add((await JsonOf(response)).GetProperty("id").GetString()!);
        }
        var first = await client.GetFromJsonAsync<JsonElement>("/v1/purchases?limit=2");
        var page1 = first.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.That(page1, Is.EqualTo(new[] { ids[4], ids[3] }));
        Assert.That(first.GetProperty("has_more").GetBoolean(), Is.True);
        Assert.That(first.GetProperty("data")[0].TryGetProperty("timeline", out _), Is.False, "lists leave timelines out");
        var second = await client.GetFromJsonAsync<JsonElement>($"/v1/purchases?limit=2&starting_after={page1[1]}");
        Assert.That(second.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()), Is.EqualTo(new[] { ids[2], ids[1] }));
        var last = await client.GetFromJsonAsync<JsonElement>($"/v1/purchases?limit=2&starting_after={ids[1]}");
        Assert.That(last.GetProperty("has_more").GetBoolean(), Is.False);
        Assert.That(last.GetProperty("data").GetArrayLength(), Is.EqualTo(1));

        var none = await client.GetFromJsonAsync<JsonElement>("/v1/purchases?status=succeeded");
        Assert.That(none.GetProperty("data").GetArrayLength(), Is.Zero);
        var byRecipe = await client.GetFromJsonAsync<JsonElement>("/v1/purchases?recipe=demo-shop&limit=100");
        Assert.That(byRecipe.GetProperty("data").GetArrayLength(), Is.EqualTo(5));

        using var badQuery = await client.GetAsync("/v1/purchases?status=done&limit=1000&colour=red");
        Assert.That(badQuery.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var fields = (await JsonOf(badQuery)).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString());
        Assert.That(fields, Is.SupersetOf(new[] { "status", "limit", "colour" }));
    }

    [Test]
    public async Task Cancel_WhileAwaitingApproval_CancelsTheSpendRequestAtLink_ThenRefusesASecondCancel()
    {
        var (client, _) = await Server.AddAgentAsync("canceler");
        using var created = await TestService.PostPurchaseAsync(client, Server.PurchaseBody(), "k");
        var id = (await JsonOf(created)).GetProperty("id").GetString()!;
        var spendRequestId = await WaitForStatusAsync(client, id, "awaiting_approval");

        using var cancel = await client.PostAsync($"/v1/purchases/{id}/cancel", null);
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.OK), await cancel.Content.ReadAsStringAsync());
        var purchase = await JsonOf(cancel);
        Assert.That(purchase.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(purchase.GetProperty("outcome").GetProperty("code").GetString(), Is.EqualTo("canceled"));
        Assert.That(Server.Sandbox.Get(spendRequestId).Status, Is.EqualTo(SpendRequestStatus.Canceled));
        Assert.That(purchase.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()), Does.Contain("link_canceled"));

        using var again = await client.PostAsync($"/v1/purchases/{id}/cancel", null);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((await JsonOf(again)).GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("purchase_ended"));

        // The interrupted job does not bring the purchase back to life.
        await Task.Delay(500);
        var after = await client.GetFromJsonAsync<JsonElement>($"/v1/purchases/{id}");
        Assert.That(after.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(Server.Sandbox.SpendRequestCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Cancel_WhileSubmitting_IsRefused()
    {
        var (client, created) = await Server.AddAgentAsync("late");
        using var response = await TestService.PostPurchaseAsync(client, Server.PurchaseBody(), "k");
        var id = (await JsonOf(response)).GetProperty("id").GetString()!;
        await WaitForStatusAsync(client, id, "awaiting_approval");
        // Put the purchase where a crash would leave it just before the click.
        await using (var connection = await Server.Services.GetDatabase().OpenAsync(CancellationToken.None))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE purchases SET status = 'submitting' WHERE id = @id";
            command.AddParameter("@id", id);
            await command.ExecuteNonQueryAsync();
        }
        using var cancel = await client.PostAsync($"/v1/purchases/{id}/cancel", null);
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((await JsonOf(cancel)).GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("purchase_submitting"));
        Assert.That(created.Agent.Name, Is.EqualTo("late"));
    }

    [Test]
    public async Task OpenApi_DescribesTheOperations()
    {
        using var anonymous = Server.Client();
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.That(paths.TryGetProperty("/v1/purchases", out var purchases), Is.True);
        Assert.That(purchases.TryGetProperty("post", out var post), Is.True);
        Assert.That(post.GetProperty("operationId").GetString(), Is.EqualTo("createPurchase"));
        Assert.That(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _), Is.True);
        Assert.That(post.GetProperty("description").GetString(), Does.Contain("purchases:write"));
        Assert.That(paths.TryGetProperty("/v1/purchases/{id}/cancel", out _), Is.True);
        Assert.That(paths.TryGetProperty("/v1/recipes", out _), Is.True);
        using var unknown = await anonymous.GetAsync("/v2/anything");
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await JsonOf(unknown)).GetProperty("error").GetProperty("message").GetString(), Does.Contain("/openapi/v1.json"));
    }

    [Test]
    public async Task Recipes_ListsTheShippedRecipes()
    {
        var (client, _) = await Server.AddAgentAsync("browser", "purchases:read");
        var recipes = await client.GetFromJsonAsync<JsonElement>("/v1/recipes");
        var names = recipes.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.That(names, Does.Contain("demo-shop"));
    }

    private static async Task<string> WaitForStatusAsync(HttpClient client, string id, string status)
    {
        var purchase = await Poll.UntilAsync(
            () => client.GetFromJsonAsync<JsonElement>($"/v1/purchases/{id}"),
            purchase => purchase.GetProperty("status").GetString() == status,
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50),
            purchase => $"purchase never reached {status}: {purchase}");
        return purchase.TryGetProperty("spend_request_id", out var spend) ? spend.GetString()! : "";
    }

    private async Task WaitForSpendRequestsAsync(int count)
    {
        await Poll.TryUntilAsync(() => Server.Sandbox.SpendRequestCount >= count, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
        await Task.Delay(300);
    }
}

internal static class ServiceProviderExtensions
{
    public static CheckoutDatabase GetDatabase(this IServiceProvider services) =>
        (CheckoutDatabase)services.GetService(typeof(CheckoutDatabase))!;
}
