using System.Text.Json.Nodes;
using CheckoutAgent.Link.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CheckoutAgent.Link.Emulator;

// The OAuth device flow (link-api.md §3.1): form-encoded, no bearer, OAuth-shaped errors ({"error","error_description"}).
public sealed partial class LinkEmulatorServer
{
    private const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

    private void MapAuth(RouteGroupBuilder auth)
    {
        auth.MapPost("/device/code", StartDeviceAsync);
        auth.MapPost("/device/token", TokenAsync);
        auth.MapPost("/device/revoke", RevokeAsync);
    }

    private async Task StartDeviceAsync(HttpContext context)
    {
        if (await ReadOAuthFormAsync(context) is not { } form)
        {
            return;
        }
        var device = Sandbox.Auth.StartDeviceAuthorization(form["scope"], form["connection_label"]);
        var page = new Uri(Root, "device");
        await WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["device_code"] = device.DeviceCode,
            ["user_code"] = device.UserCode,
            ["verification_uri"] = page.AbsoluteUri,
            ["verification_uri_complete"] = new Uri(Root, "device?code=" + Uri.EscapeDataString(device.UserCode)).AbsoluteUri,
            ["expires_in"] = (int)Math.Ceiling((device.ExpiresAt - Sandbox.Time.GetUtcNow()).TotalSeconds),
            ["interval"] = device.Interval,
        });
    }

    private async Task TokenAsync(HttpContext context)
    {
        if (await ReadOAuthFormAsync(context) is not { } form)
        {
            return;
        }
        switch (form["grant_type"].ToString())
        {
            case DeviceCodeGrant:
                var (status, tokens) = Sandbox.Auth.PollDevice(form["device_code"].ToString());
                switch (status)
                {
                    case SandboxDevicePollStatus.Granted:
                        await WriteJsonAsync(context, StatusCodes.Status200OK, LinkJson.Tokens(tokens!));
                        return;
                    case SandboxDevicePollStatus.Pending:
                        await OAuthErrorAsync(context, "authorization_pending", "The person has not answered yet; poll again after the interval.");
                        return;
                    case SandboxDevicePollStatus.Denied:
                        await OAuthErrorAsync(context, "access_denied", "The person denied this login.");
                        return;
                    case SandboxDevicePollStatus.Expired:
                        await OAuthErrorAsync(context, "expired_token", "The device code expired; start the login again.");
                        return;
                    default:
                        await OAuthErrorAsync(context, "invalid_grant", "Unknown or already used device_code.");
                        return;
                }
            case "refresh_token":
                if (Sandbox.Auth.Refresh(form["refresh_token"].ToString()) is { } refreshed)
                {
                    await WriteJsonAsync(context, StatusCodes.Status200OK, LinkJson.Tokens(refreshed));
                }
                else
                {
                    await OAuthErrorAsync(context, "invalid_grant", "Unknown, revoked or already used refresh_token; log in again.");
                }
                return;
            default:
                await OAuthErrorAsync(context, "unsupported_grant_type",
                    $"grant_type must be {DeviceCodeGrant} or refresh_token.");
                return;
        }
    }

    private async Task RevokeAsync(HttpContext context)
    {
        if (await ReadOAuthFormAsync(context) is not { } form)
        {
            return;
        }
        Sandbox.Auth.Revoke(form["token"].ToString());
        await WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject());
    }

    /// <summary>Reads the form and checks <c>client_id</c>; on a bad request answers it and returns null.</summary>
    private static async Task<IFormCollection?> ReadOAuthFormAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            await OAuthErrorAsync(context, "invalid_request", "The body must be application/x-www-form-urlencoded.");
            return null;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (string.IsNullOrWhiteSpace(form["client_id"]))
        {
            await OAuthErrorAsync(context, "invalid_client", "client_id is required.");
            return null;
        }
        return form;
    }

    private static Task OAuthErrorAsync(HttpContext context, string error, string description) =>
        WriteJsonAsync(context, StatusCodes.Status400BadRequest, new JsonObject { ["error"] = error, ["error_description"] = description });
}
