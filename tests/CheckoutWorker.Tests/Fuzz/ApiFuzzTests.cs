using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Service;
using CsCheck;

namespace CheckoutAgent.Tests.Fuzz;

/// <summary>
/// Property-based fuzzing of the HTTP API on the real serve host (Kestrel, SQLite): purchase and schedule bodies,
/// query strings, path ids and the Idempotency-Key and Authorization headers, generated and mutated by the thousand.
/// Every answer is a 2xx or a 4xx with the API's error JSON, never a 5xx; nothing is stored for a refused request
/// (what is stored is exactly what was answered 201); and no answer echoes the planted card number unmasked. The
/// global pause is on, so an accepted purchase is stored (refused by policy) without reaching Link. Each test prints
/// how many inputs it tried.
/// </summary>
[NonParallelizable]
public sealed class ApiFuzzTests
{
    private TestService _service = null!;
    private HttpClient _client = null!;
    private string _token = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        // Callbacks of accepted purchases go to a closed loopback port: webhooks leave this machine never.
        _service = await TestService.StartAsync(sandboxOptions: new LinkSandboxOptions { Approval = SandboxApprovalMode.Manual },
            configuration: new Dictionary<string, string?> { ["Webhooks:AllowedTargets:0"] = "127.0.0.1" });
        await _service.Agents.SetPausedAsync(true, CancellationToken.None);
        (_client, var agent) = await _service.AddAgentAsync("fuzzer", policy: AgentPolicy.Unlimited);
        _token = agent.Token;
    }

    [OneTimeTearDown]
    public async Task Stop() => await _service.DisposeAsync();

    /// <summary>
    /// The status, after checking the answer: never 5xx; a refusal in the API's error shape (or Kestrel's own empty
    /// 400/414/431 for a request it could not parse) that echoes nothing unmasked. An accepted purchase shows the fields it was
    /// given, as GET does: that is the caller's own data, not an echo of a refused input.
    /// </summary>
    private static async Task<(int Status, string Body)> CheckAsync(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(status, Is.LessThan(500), $"{what} answered {status}: {body}");
        if (status >= 400)
        {
            Assert.That(body, Does.Not.Contain(Mutations.PlantedCardNumber), $"{what} echoed the card number in a refusal");
            // Kestrel answers a request it cannot parse (bad header, URI too long, headers too large) itself, with no body.
            if (body.Length > 0 || status is not (400 or 414 or 431))
            {
                using var json = JsonDocument.Parse(body);
                Assert.That(json.RootElement.GetProperty("error").GetProperty("code").GetString(), Is.Not.Empty, body);
            }
        }
        return (status, body);
    }

    private static ByteArrayContent Json(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    [Test]
    public async Task PurchaseBodiesAndKeys_AnyMutation_Answer2xxOr4x_AndStoreExactlyWhatWas201()
    {
        var seed = JsonSerializer.Serialize(_service.PurchaseBody(callbackUrl: "https://127.0.0.1:9/x"));
        var keys = Gen.Frequency((4, Gen.Guid.Select(g => g.ToString())), (1, Gen.Int[0, 20].Select(i => $"reused-{i}")), (1, Mutations.Text));
        var created = new HashSet<string>();
        var statuses = new Dictionary<int, int>();
        var tried = 0;
        await Gen.Select(Gen.OneOf(Mutations.OfJson(seed), Mutations.OfText(seed)), keys).SampleAsync(async (body, key) =>
        {
            tried++;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases") { Content = Json(body) };
            if (!request.Headers.TryAddWithoutValidation("Idempotency-Key", key))
            {
                return;
            }
            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(request);
            }
            catch (HttpRequestException)
            {
                // The client would not send this header value (a control character): no request, nothing to check.
                return;
            }
            using (response)
            {
                var (status, text) = await CheckAsync(response, "POST /v1/purchases");
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status is 200 or 201)
                {
                    created.Add(JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!);
                }
            }
        }, iter: Mutations.Iterations(2000), threads: 1);

        var stored = await _service.Store.ListAsync(new PurchaseQuery { Limit = 100_000 }, CancellationToken.None);
        TestContext.Out.WriteLine($"fuzz: {tried} purchase bodies and keys sent; answers {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; {created.Count} purchases stored");
        Assert.That(stored.Page.Select(p => p.Id).Order(), Is.EqualTo(created.Order()), "exactly the purchases answered 201 are stored");
        Assert.That(statuses.Keys.Count(s => s >= 400), Is.GreaterThan(3), "the mutations reach many refusals");
    }

    [Test]
    public async Task ScheduleBodies_AnyMutation_Answer2xxOr4xx_AndStoreExactlyWhatWas201()
    {
        var purchase = JsonSerializer.Serialize(_service.PurchaseBody());
        var seed = $$"""{"name":"weekly","cron":"0 0 9 ? * MON","time_zone":"Europe/Paris","purchase":{{purchase}}}""";
        var created = 0;
        var tried = 0;
        await Gen.OneOf(Mutations.OfJson(seed), Mutations.OfText(seed)).SampleAsync(async body =>
        {
            tried++;
            using var response = await _client.PostAsync("/v1/schedules", Json(body));
            var (status, _) = await CheckAsync(response, "POST /v1/schedules");
            if (status == 201)
            {
                created++;
            }
        }, iter: Mutations.Iterations(1000), threads: 1);
        var list = await _client.GetFromJsonAsync<JsonElement>("/v1/schedules");
        TestContext.Out.WriteLine($"fuzz: {tried} schedule bodies sent; {created} schedules created");
        Assert.That(list.GetProperty("data").GetArrayLength(), Is.EqualTo(created));
    }

    [Test]
    public async Task QueryStringsAndPathIds_AnyValue_Answer2xxOr4xx()
    {
        string[] names = ["status", "recipe", "schedule_id", "created_after", "created_before", "limit", "starting_after"];
        var query = Gen.Select(Gen.Int[0, names.Length], Mutations.Text, Gen.Int[0, 3]).Array[0, 4].Select(parts => string.Join("&", parts.Select(p =>
            $"{(p.Item1 == names.Length ? Uri.EscapeDataString(p.Item2) : names[p.Item1])}={(p.Item3 == 0 ? p.Item2 : Uri.EscapeDataString(p.Item2))}")));
        var tried = 0;
        await Gen.Select(query, Mutations.Text).SampleAsync(async (q, id) =>
        {
            tried++;
            Uri uri;
            try
            {
                uri = new Uri(_service.BaseAddress, "/v1/purchases?" + q);
            }
            catch (UriFormatException)
            {
                return;
            }
            using (var list = await _client.GetAsync(uri))
            {
                await CheckAsync(list, "GET /v1/purchases?…");
            }
            var path = "/v1/purchases/" + Uri.EscapeDataString(id.Length == 0 ? "x" : id);
            using (var one = await _client.GetAsync(path))
            {
                await CheckAsync(one, "GET /v1/purchases/{id}");
            }
            using var cancel = await _client.PostAsync(path + "/cancel", null);
            await CheckAsync(cancel, "POST /v1/purchases/{id}/cancel");
        }, iter: Mutations.Iterations(1000), threads: 1);
        TestContext.Out.WriteLine($"fuzz: {tried} query strings and {tried * 2} path ids sent");
    }

    [Test]
    public async Task AuthorizationHeaders_AnyValue_Are401Or403_NeverLetIn_NeverEchoed()
    {
        var header = Gen.OneOf(
            Mutations.Text,
            Mutations.Text.Select(t => "Bearer " + t),
            Mutations.OfText("Bearer " + _token),
            Mutations.OfText(_token));
        var tried = 0;
        var sent = 0;
        var allowed = 0;
        await header.SampleAsync(async value =>
        {
            tried++;
            using var plain = new HttpClient { BaseAddress = _service.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/purchases");
            if (!request.Headers.TryAddWithoutValidation("Authorization", value))
            {
                return;
            }
            HttpResponseMessage response;
            try
            {
                response = await plain.SendAsync(request);
            }
            catch (HttpRequestException)
            {
                return;
            }
            sent++;
            using (response)
            {
                var (status, body) = await CheckAsync(response, "GET /v1/purchases with a fuzzed Authorization");
                if (status == 200)
                {
                    // Only the real token lets in (a mutation may leave it intact, e.g. trailing spaces trimmed).
                    Assert.That(value.Trim(), Does.EndWith(_token).IgnoreCase.Or.EqualTo(_token));
                    allowed++;
                }
                else
                {
                    // 401 from the API, or Kestrel's own empty 400 for a header it cannot parse.
                    Assert.That(status == 401 || (status == 400 && body.Length == 0), Is.True, $"{status}: {body}");
                    Assert.That(body, Does.Not.Contain(_token));
                }
            }
        }, iter: Mutations.Iterations(2000), threads: 1);
        TestContext.Out.WriteLine($"fuzz: {tried} Authorization values generated, {sent} sent, {allowed} let in (the unmutated token)");
    }
}
