using System.Net.Http.Headers;
using System.Text.Json;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Worker.Observability;
using Serilog.Events;

namespace CheckoutAgent.Tests.Observability;

/// <summary>
/// Requests to the <c>serve</c> host are logged by Serilog.AspNetCore's middleware as method, path, status and time:
/// never the query string or the Authorization header, in any sink.
/// </summary>
[NonParallelizable]
public class RequestLoggingTests : DataDirectoryTest
{
    private const string QueryToken = "qtok_7d1e44b09c3a";
    private const string BogusBearer = "cat_bogus_5f0c2a9e81d7";

    [Test]
    public async Task A_request_with_a_token_in_the_query_and_a_bearer_header_leaves_neither_in_the_logs()
    {
        await using var seq = await FakeSeq.StartAsync();
        var stderr = new StringWriter();
        var original = Console.Error;
        Console.SetError(TextWriter.Synchronized(stderr));
        string agentToken;
        try
        {
            await using var service = await TestService.StartAsync(dataDirectory: DataDirectory, consoleLevel: LogEventLevel.Information,
                configuration: new Dictionary<string, string?> { ["Seq:ServerUrl"] = seq.BaseUrl.ToString() });
            var (client, agent) = await service.AddAgentAsync("request-log-agent");
            agentToken = agent.Token;
            using (var response = await client.GetAsync("/v1/purchases?limit=5"))
            {
                Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
            }
            using (var response = await client.GetAsync($"/v1/purchases?token={QueryToken}"))
            {
                // The API refuses the unknown parameter, naming it in its answer; the log must not repeat it.
                Assert.That((int)response.StatusCode, Is.EqualTo(400), await response.Content.ReadAsStringAsync());
            }
            using var bogus = service.Client();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/purchases?token={QueryToken}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", BogusBearer);
            using (var response = await bogus.SendAsync(request))
            {
                Assert.That((int)response.StatusCode, Is.EqualTo(401));
            }
            // Disposing the service flushes the file and Seq.
        }
        finally
        {
            Console.SetError(original);
        }

        var console = stderr.ToString();
        Assert.That(console, Does.Contain("HTTP GET /v1/purchases responded 200 in").And.Contain("for agent request-log-agent"));
        Assert.That(console, Does.Contain("HTTP GET /v1/purchases responded 400 in"), "the request with the query token");
        Assert.That(console, Does.Contain("HTTP GET /v1/purchases responded 401 in"), "the request with the bogus bearer");

        var fileLines = Directory.GetFiles(Path.Combine(DataDirectory, "logs")).SelectMany(File.ReadAllLines).ToList();
        foreach (var (sink, lines) in new[] { ("file", fileLines), ("seq", seq.Lines.ToList()) })
        {
            var requests = lines.Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => e.TryGetProperty("@mt", out var mt) && mt.GetString() == RequestLogging.MessageTemplate).ToList();
            Assert.That(requests.Select(r => r.GetProperty("StatusCode").GetInt32()), Is.SupersetOf(new[] { 200, 400, 401 }), $"{sink} holds the requests");
            Assert.That(requests.Select(r => r.GetProperty("RequestPath").GetString()).Distinct(), Is.EqualTo(new[] { "/v1/purchases" }), sink);
            Assert.That(requests.Select(r => r.GetProperty("RequestMethod").GetString()).Distinct(), Is.EqualTo(new[] { "GET" }), sink);
            Assert.That(requests.Single(r => r.GetProperty("StatusCode").GetInt32() == 200).GetProperty("Agent").GetString(), Is.EqualTo("request-log-agent"), sink);
            Assert.That(requests.All(r => r.GetProperty("Elapsed").GetDouble() >= 0), Is.True, sink);
        }

        foreach (var (sink, text) in new[] { ("console", console), ("file", string.Join('\n', fileLines)), ("seq", string.Join('\n', seq.Lines)) })
        {
            Assert.That(text, Does.Not.Contain(QueryToken), $"{sink} holds the query string's token");
            Assert.That(text, Does.Not.Contain("token=").And.Not.Contain("limit=5").And.Not.Contain("?"), $"{sink} holds a query string");
            Assert.That(text, Does.Not.Contain(BogusBearer).And.Not.Contain(agentToken), $"{sink} holds a bearer token");
            Assert.That(text, Does.Not.Contain("Bearer").And.Not.Contain("Authorization"), $"{sink} holds the Authorization header");
        }
    }
}
