using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Service;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace CheckoutAgent.Tests.Clients;

/// <summary>
/// <c>checkout-agent mcp</c> as a real child process on stdio, driven by the SDK's client, forwarding to a real serve
/// host. Link approval is manual so purchases wait and can be canceled.
/// </summary>
public class McpServerTests
{
    private TestService _service = null!;
    private McpClient _client = null!;
    private HttpClient _api = null!;
    private readonly ConcurrentQueue<string> _stderr = new();

    [OneTimeSetUp]
    public async Task Start()
    {
        _service = await TestService.StartAsync(sandboxOptions: new LinkSandboxOptions { Approval = SandboxApprovalMode.Manual });
        var (api, agent) = await _service.AddAgentAsync("mcp-agent");
        _api = api;
        var transport = ClientCli.McpTransport(_service.BaseAddress, agent.Token, _stderr.Enqueue);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _client = await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
        await _service.DisposeAsync();
    }

    private Dictionary<string, object?> PurchaseArguments(string? context = null)
    {
        var body = _service.PurchaseBody();
        body.Remove("callback_url");
        if (context is not null)
        {
            body["context"] = context;
        }
        return body.ToDictionary(p => p.Key, p => (object?)JsonSerializer.SerializeToElement(p.Value));
    }

    private async Task<(CallToolResult Result, JsonElement Json)> Call(string tool, Dictionary<string, object?>? arguments = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await _client.CallToolAsync(tool, arguments ?? [], cancellationToken: timeout.Token);
        var text = result.Content.OfType<TextContentBlock>().First().Text;
        JsonElement json = default;
        if (result.IsError != true)
        {
            using var document = JsonDocument.Parse(text);
            json = document.RootElement.Clone();
        }
        return (result, json);
    }

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    [Test]
    public async Task Lists_the_five_tools_with_descriptions()
    {
        var tools = await _client.ListToolsAsync();

        Assert.That(tools.Select(t => t.Name), Is.EquivalentTo(new[] { "queue_purchase", "get_purchase", "list_purchases", "cancel_purchase", "list_recipes" }));
        var queue = tools.Single(t => t.Name == "queue_purchase");
        Assert.That(queue.Description, Does.Contain("derived from a SHA-256 hash"));
        var properties = queue.JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(properties, Is.SupersetOf(new[] { "recipe", "merchant_url", "items", "amount", "currency", "context", "buyer", "shipping", "callback_url", "metadata", "idempotency_key" }));
    }

    [Test]
    public async Task Queue_purchase_twice_with_the_same_arguments_gives_the_same_purchase()
    {
        var arguments = PurchaseArguments();
        arguments["metadata"] = JsonSerializer.SerializeToElement(new { run = Guid.NewGuid().ToString() });

        var (first, firstJson) = await Call("queue_purchase", arguments);
        var (second, secondJson) = await Call("queue_purchase", arguments);

        Assert.That(first.IsError, Is.Not.True, Text(first));
        Assert.That(secondJson.GetProperty("id").GetString(), Is.EqualTo(firstJson.GetProperty("id").GetString()));
        Assert.That(Text(first), Does.Contain("queued with idempotency_key mcp-"));
        Assert.That(Text(second), Does.Contain("replayed"));
        Assert.That(first.StructuredContent?.GetProperty("status").GetString(), Is.EqualTo(firstJson.GetProperty("status").GetString()));
        var page = await _api.GetFromJsonAsync<JsonElement>("/v1/purchases?limit=100");
        var run = ((JsonElement)arguments["metadata"]!).GetProperty("run").GetString();
        Assert.That(page.GetProperty("data").EnumerateArray().Count(p => p.GetProperty("metadata").TryGetProperty("run", out var r) && r.GetString() == run),
            Is.EqualTo(1), "one purchase on the server");
    }

    [Test]
    public async Task An_explicit_idempotency_key_makes_a_second_purchase_of_the_same_thing()
    {
        var arguments = PurchaseArguments();
        var (_, first) = await Call("queue_purchase", new Dictionary<string, object?>(arguments) { ["idempotency_key"] = Guid.NewGuid().ToString() });
        var (_, second) = await Call("queue_purchase", new Dictionary<string, object?>(arguments) { ["idempotency_key"] = Guid.NewGuid().ToString() });

        Assert.That(second.GetProperty("id").GetString(), Is.Not.EqualTo(first.GetProperty("id").GetString()));
    }

    [Test]
    public async Task Get_list_and_cancel_a_purchase()
    {
        var (_, queued) = await Call("queue_purchase", new Dictionary<string, object?>(PurchaseArguments()) { ["idempotency_key"] = Guid.NewGuid().ToString() });
        var id = queued.GetProperty("id").GetString()!;

        var (_, got) = await Call("get_purchase", new() { ["id"] = id });
        var (_, list) = await Call("list_purchases", new() { ["recipe"] = "demo-shop", ["limit"] = 100 });
        var (canceled, canceledJson) = await Call("cancel_purchase", new() { ["id"] = id });
        var (again, _) = await Call("cancel_purchase", new() { ["id"] = id });

        Assert.That(got.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(got.GetProperty("timeline").GetArrayLength(), Is.GreaterThan(0));
        Assert.That(list.GetProperty("object").GetString(), Is.EqualTo("list"));
        Assert.That(list.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()), Does.Contain(id));
        Assert.That(canceled.IsError, Is.Not.True, Text(canceled));
        Assert.That(canceledJson.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(again.IsError, Is.True);
        Assert.That(Text(again), Does.StartWith("error: purchase_ended:"));
    }

    [Test]
    public async Task List_recipes_returns_the_api_json()
    {
        var (result, json) = await Call("list_recipes");

        Assert.That(result.IsError, Is.Not.True, Text(result));
        Assert.That(json.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("name").GetString()), Does.Contain("demo-shop"));
    }

    [Test]
    public async Task An_invalid_purchase_is_a_tool_error_naming_the_field()
    {
        var (result, _) = await Call("queue_purchase", PurchaseArguments(context: "too short"));

        Assert.That(result.IsError, Is.True);
        Assert.That(Text(result), Does.StartWith("error: invalid_field (context): "));
        Assert.That(Text(result), Does.Not.Contain("   at "), "no stack trace");
        var error = result.StructuredContent!.Value.GetProperty("error");
        Assert.That(error.GetProperty("field").GetString(), Is.EqualTo("context"));
        Assert.That(error.GetProperty("status").GetInt32(), Is.EqualTo(422));
    }

    [Test]
    public async Task An_unknown_purchase_is_a_tool_error()
    {
        var (result, _) = await Call("get_purchase", new() { ["id"] = "pur_nope" });

        Assert.That(result.IsError, Is.True);
        Assert.That(Text(result), Does.StartWith("error: not_found: no purchase 'pur_nope'"));
    }

    [Test]
    public async Task Without_a_token_the_server_refuses_to_start_and_says_why_on_stderr()
    {
        var run = await ClientCli.RunProcessAsync(new Dictionary<string, string> { ["CHECKOUT_AGENT_URL"] = _service.BaseAddress.ToString() }, "mcp");

        Assert.That(run.Code, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.Contain("no agent token: set CHECKOUT_AGENT_TOKEN (or Mcp:Token)"));
        Assert.That(run.Out, Is.Empty, "stdout is only for the protocol");
    }

    [Test]
    public void Derived_keys_do_not_depend_on_the_order_of_arguments()
    {
        var a = System.Text.Json.Nodes.JsonNode.Parse("""{"recipe":"r","buyer":{"email":"e","name":"n"},"amount":1}""")!;
        var b = System.Text.Json.Nodes.JsonNode.Parse("""{"amount":1,"buyer":{"name":"n","email":"e"},"recipe":"r"}""")!;
        var c = System.Text.Json.Nodes.JsonNode.Parse("""{"amount":2,"buyer":{"name":"n","email":"e"},"recipe":"r"}""")!;

        Assert.That(Worker.Mcp.CheckoutTools.DeriveIdempotencyKey(a), Is.EqualTo(Worker.Mcp.CheckoutTools.DeriveIdempotencyKey(b)));
        Assert.That(Worker.Mcp.CheckoutTools.DeriveIdempotencyKey(a), Is.Not.EqualTo(Worker.Mcp.CheckoutTools.DeriveIdempotencyKey(c)));
    }
}
