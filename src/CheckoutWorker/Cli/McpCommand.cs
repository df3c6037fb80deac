using System.CommandLine;
using CheckoutAgent.Worker.Client;
using CheckoutAgent.Worker.Mcp;

namespace CheckoutAgent.Worker.Cli;

/// <summary><c>checkout-agent mcp</c>: an MCP server on stdio for AI agents, forwarding to a running <c>serve</c>.</summary>
internal static class McpCommand
{
    public static Command Create()
    {
        var command = new Command("mcp",
            "Run an MCP server on stdio (for Claude Desktop, IDEs and other MCP clients) with the tools queue_purchase, get_purchase, " +
            "list_purchases, cancel_purchase and list_recipes. Each tool calls a running 'checkout-agent serve' through its HTTP API as one agent: " +
            $"set {CheckoutApiClient.TokenVariable} (or {McpServerHost.TokenKey}) to the agent's token and optionally {CheckoutApiClient.ServerUrlVariable} " +
            $"(or {McpServerHost.ServerUrlKey}; default {CheckoutApiClient.DefaultServerUrl}). stdout carries only the protocol; logs go to stderr. " +
            "The MCP client starts this command; it is not run by hand.");
        command.SetAction((parse, cancellationToken) => McpServerHost.RunAsync(parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }
}
