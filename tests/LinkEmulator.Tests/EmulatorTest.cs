using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Link.Sandbox;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Tests.LinkEmulator;

/// <summary>
/// Starts a real emulator (Kestrel on 127.0.0.1, a free port) per test, with a clock the test can move, a log that
/// records everything down to Trace, and an HttpClient that speaks to it as link-cli does.
/// </summary>
public abstract class EmulatorTest
{
    public const string Context =
        "Buying one 'Blue Widget' (size M) from Shop Example for Jane, who asked for it in chat today; shipping to the address on file.";

    public const string MerchantUrl = "https://shop.example";

    protected LinkEmulatorServer Server { get; private set; } = null!;

    protected TestClock Clock { get; private set; } = null!;

    protected CapturingLoggerProvider Logs { get; private set; } = null!;

    protected HttpClient Http { get; private set; } = null!;

    private ILoggerFactory _loggerFactory = null!;

    protected virtual LinkEmulatorOptions Options() => new();

    [SetUp]
    public async Task StartEmulatorAsync()
    {
        Clock = new TestClock();
        Logs = new CapturingLoggerProvider();
        _loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        Server = await LinkEmulatorServer.StartAsync(Options(), _loggerFactory, Clock, CancellationToken.None);
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LinkSandboxOptions.DefaultAccessToken);
    }

    [TearDown]
    public async Task StopEmulatorAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        _loggerFactory.Dispose();
        Logs.Dispose();
    }

    /// <summary>A URL under the API base, built the way link-cli builds it: <c>${base}/path</c>.</summary>
    protected Uri Api(string path) => new(Server.ApiBaseUrl + path);

    protected Uri Auth(string path) => new(Server.AuthBaseUrl + path);

    protected Uri Root(string path) => new(Server.ApiBaseUrl, "/" + path.TrimStart('/'));

    protected async Task<(HttpStatusCode Status, JsonNode? Json)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(Api(path));
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    protected async Task<(HttpStatusCode Status, JsonNode? Json)> PostAsync(string path, JsonNode? body) =>
        await PostRawAsync(path, body?.ToJsonString());

    protected async Task<(HttpStatusCode Status, JsonNode? Json)> PostRawAsync(string path, string? body)
    {
        using var content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(Api(path), content);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    protected static async Task<(HttpStatusCode Status, JsonNode? Json)> PostFormAsync(Uri url, IDictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        // Auth calls carry no bearer, as link-cli sends them.
        request.Headers.Authorization = null;
        using var anonymous = new HttpClient();
        using var response = await anonymous.SendAsync(request);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    protected static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>A create body as link-cli sends it for a card (link-api.md §3.3).</summary>
    protected static JsonObject CardBody(long amount = 2500, bool requestApproval = true, string merchantUrl = MerchantUrl) => new()
    {
        ["payment_details"] = LinkSandboxOptions.DefaultPaymentMethodId,
        ["credential_type"] = "card",
        ["amount"] = amount,
        ["currency"] = "usd",
        ["merchant_name"] = "Shop Example",
        ["merchant_url"] = merchantUrl,
        ["context"] = Context,
        ["line_items"] = new JsonArray(new JsonObject { ["name"] = "Blue Widget", ["quantity"] = 1, ["unit_amount"] = amount }),
        ["totals"] = new JsonArray(new JsonObject { ["type"] = "total", ["display_text"] = "Total", ["amount"] = amount }),
        ["request_approval"] = requestApproval,
    };

    /// <summary>A create body as <c>mpp pay</c> sends it for a Shared Payment Token.</summary>
    protected static JsonObject TokenBody(long amount = 500, string networkId = LinkEmulatorServer.DemoNetworkId) => new()
    {
        ["payment_details"] = LinkSandboxOptions.DefaultPaymentMethodId,
        ["credential_type"] = "shared_payment_token",
        ["network_id"] = networkId,
        ["amount"] = amount,
        ["currency"] = "usd",
        ["context"] = Context,
        ["request_approval"] = true,
    };

    /// <summary>Creates a token spend request from <paramref name="body"/>, approves it, and reads back its Shared Payment Token id.</summary>
    protected async Task<(string Id, string Token)> ApprovedTokenAsync(JsonObject body)
    {
        var id = await CreateAsync(body);
        await ApproveAsync(id);
        var token = (string)(await GetAsync($"/spend_requests/{id}?include=shared_payment_token")).Json!["shared_payment_token"]!["id"]!;
        return (id, token);
    }

    protected async Task<string> CreateAsync(JsonObject body)
    {
        var (status, json) = await PostAsync("/spend_requests", body);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json?.ToJsonString());
        return (string)json!["id"]!;
    }

    protected async Task<JsonNode> ApproveAsync(string id)
    {
        using var response = await Http.PostAsync(Root($"_sandbox/spend_requests/{id}/approve"), null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await ReadJsonAsync(response))!;
    }
}

/// <summary>A clock the test moves by hand; the emulator's sandbox judges expiry and validity by it.</summary>
public sealed class TestClock : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }
}

/// <summary>Keeps every formatted log message and exception text, at every level.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public string All => string.Join('\n', Lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lock (_gate)
        {
            _lines.Add(line);
        }
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner.Add(category + " scope " + state);
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => p.Key + "=" + p.Value)) : "";
            owner.Add($"{logLevel} {category}: {formatter(state, exception)} [{properties}] {exception}");
        }
    }
}
