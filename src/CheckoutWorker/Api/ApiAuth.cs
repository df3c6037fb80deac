using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CheckoutAgent.Worker.Api;

/// <summary>
/// Bearer tokens: <c>Authorization: Bearer cat_…</c>. No or an unknown/revoked token is 401 with
/// <c>WWW-Authenticate</c>; an agent over its requests per second is 429 (<see cref="ApiRateLimiter"/>); a known token
/// without the endpoint's scope is 403. The agent is put on the request.
/// </summary>
internal static class ApiAuth
{
    private const string AgentItem = "checkout-agent.agent";

    public static Agent Agent(this HttpContext context) => (Agent)context.Items[AgentItem]!;

    public static RouteHandlerBuilder RequireScope(this RouteHandlerBuilder builder, string scope) =>
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            var header = http.Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return Refuse(http, 401, "invalid_request", ApiErrorCodes.Unauthenticated,
                    "send the agent's token as 'Authorization: Bearer cat_…' (checkout-agent agent add NAME --scopes … prints one)");
            }
            var agents = http.RequestServices.GetRequiredService<AgentStore>();
            var agent = await agents.AuthenticateAsync(header["Bearer ".Length..].Trim(), http.RequestAborted);
            if (agent is null)
            {
                return Refuse(http, 401, "invalid_token", ApiErrorCodes.Unauthenticated,
                    "the token is unknown or was revoked; ask the owner for a new one (checkout-agent agent add)");
            }
            http.Items[AgentItem] = agent;
            if (http.RequestServices.GetRequiredService<ApiRateLimiter>().Check(http, agent) is { } limited)
            {
                return limited;
            }
            if (!agent.Has(scope))
            {
                return Refuse(http, 403, "insufficient_scope", ApiErrorCodes.InsufficientScope,
                    $"this agent's token lacks the '{scope}' scope (it has: {string.Join(", ", agent.Scopes)}); the owner can add an agent with it");
            }
            return await next(invocation);
        }).WithMetadata(new RequiredScope(scope));

    private static IResult Refuse(HttpContext http, int status, string bearerError, string code, string message)
    {
        http.Response.Headers.WWWAuthenticate = status == 401
            ? $"Bearer realm=\"checkout-agent\", error=\"{bearerError}\""
            : $"Bearer realm=\"checkout-agent\", error=\"{bearerError}\"";
        return ApiResults.Error(status, new ApiError(code, message));
    }
}

/// <summary>The scope an endpoint needs (read by the OpenAPI document).</summary>
public sealed record RequiredScope(string Scope);
