using CheckoutAgent.Worker.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Worker.Mcp;

/// <summary>Where the MCP server finds the API it forwards to.</summary>
public sealed record McpSettings(Uri ServerUrl, string Token);

/// <summary>
/// <c>checkout-agent mcp</c>: an MCP server on stdio whose tools call a running <c>checkout-agent serve</c> through its
/// HTTP API with one agent's token. stdout carries only the MCP protocol; every log line goes to stderr.
/// </summary>
public static class McpServerHost
{
    public const string ServerUrlKey = "Mcp:ServerUrl";
    public const string TokenKey = "Mcp:Token";

    /// <summary>
    /// Reads <c>Mcp:ServerUrl</c> / <c>Mcp:Token</c> (appsettings.json, <c>Mcp__Token</c>…) falling back to
    /// <c>CHECKOUT_AGENT_URL</c> / <c>CHECKOUT_AGENT_TOKEN</c>; the URL defaults to the local serve. Returns an error
    /// message (never containing the token) when unusable.
    /// </summary>
    public static (McpSettings? Settings, string? Error) ReadSettings(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var url = configuration[ServerUrlKey] is { Length: > 0 } configured ? configured
            : configuration[CheckoutApiClient.ServerUrlVariable] is { Length: > 0 } fromEnvironment ? fromEnvironment
            : CheckoutApiClient.DefaultServerUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var serverUrl) || serverUrl.Scheme is not ("http" or "https"))
        {
            return (null, $"the server URL must be an http(s) URL such as {CheckoutApiClient.DefaultServerUrl}; got '{url}' " +
                          $"(from {ServerUrlKey} or {CheckoutApiClient.ServerUrlVariable})");
        }
        var token = configuration[TokenKey] is { Length: > 0 } configuredToken ? configuredToken : configuration[CheckoutApiClient.TokenVariable];
        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, $"no agent token: set {CheckoutApiClient.TokenVariable} (or {TokenKey}) in the MCP client's configuration for this server; " +
                          "create one with 'checkout-agent agent add NAME --scopes purchases:write,purchases:read'");
        }
        return (new McpSettings(serverUrl, token.Trim()), null);
    }

    /// <summary>Runs the stdio server until stdin closes or the process is stopped. Returns the exit code.</summary>
    public static async Task<int> RunAsync(TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = false,
        });
        var (settings, problem) = ReadSettings(builder.Configuration);
        CheckoutApiClient client;
        try
        {
            client = settings is null ? throw new ArgumentException(problem) : new CheckoutApiClient(settings.ServerUrl, settings.Token);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"checkout-agent mcp: {ex.Message.Split(" (Parameter")[0]}");
            return 2;
        }

        // stdout is the protocol channel: the console logger writes every level to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(client);
        builder.Services
            .AddMcpServer(options =>
            {
                options.ServerInfo = new ModelContextProtocol.Protocol.Implementation
                {
                    Name = "checkout-agent",
                    Version = typeof(McpServerHost).Assembly.GetName().Version?.ToString(3) ?? "1.0.0",
                };
                options.ServerInstructions =
                    "Buys from web shops on the user's behalf with one-time Stripe Link cards. queue_purchase queues a purchase; the user " +
                    "approves it in Link, then it is checked out in a headless browser. Follow it with get_purchase. list_recipes shows the shops it can buy from.";
            })
            .WithStdioServerTransport()
            .WithTools<CheckoutTools>();
        using var host = builder.Build();
        await error.WriteLineAsync($"checkout-agent mcp: forwarding to {client.ServerDisplay} (MCP on stdio)");
        await host.RunAsync(cancellationToken);
        return 0;
    }
}
