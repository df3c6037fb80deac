using System.Text.Json.Nodes;
using CheckoutAgent.Link.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CheckoutAgent.Link.Emulator;

// The person's pages (stand-in for the Link app) and the emulator-only controls: no bearer token, because these act
// for the person, the card network or a merchant, never for the agent.
public sealed partial class LinkEmulatorServer
{
    private static readonly string[] _authorizeFields = ["number", "cvc", "exp_month", "exp_year", "merchant_url", "amount", "currency", "three_d_secure"];

    private void MapPersonPages()
    {
        _app.MapGet("/approve/{id}", context => ShowApprovalAsync(context, null, StatusCodes.Status200OK));
        _app.MapPost("/approve/{id}", AnswerApprovalAsync);
        _app.MapGet("/device", ShowDeviceAsync);
        _app.MapPost("/device", AnswerDeviceAsync);
    }

    private void MapSandboxControls()
    {
        _app.MapPost("/_sandbox/spend_requests/{id}/approve", context => AnswerJsonAsync(context, approve: true));
        _app.MapPost("/_sandbox/spend_requests/{id}/deny", context => AnswerJsonAsync(context, approve: false));
        _app.MapPost("/_sandbox/spend_requests/{id}/approve_action", context => AnswerActionJsonAsync(context, confirm: true));
        _app.MapPost("/_sandbox/spend_requests/{id}/deny_action", context => AnswerActionJsonAsync(context, confirm: false));
        _app.MapPost("/_sandbox/authorize", AuthorizeCardAsync);
        _app.MapPost("/_sandbox/authentications/{id}", CompleteAuthenticationAsync);
    }

    private Task ShowApprovalAsync(HttpContext context, string? notice, int status)
    {
        SpendRequest request;
        try
        {
            request = Sandbox.Get(RouteId(context));
        }
        catch (LinkException ex) when (ex.Code == LinkErrorCodes.NotFound)
        {
            return HtmlAsync(context, StatusCodes.Status404NotFound, PersonPages.Message("Not found", ex.Message));
        }
        return HtmlAsync(context, status, PersonPages.Approval(request, notice));
    }

    private async Task AnswerApprovalAsync(HttpContext context)
    {
        if (!await SameOriginFormAsync(context))
        {
            return;
        }
        var decision = (await context.Request.ReadFormAsync(context.RequestAborted))["decision"].ToString();
        if (decision is not ("approve" or "deny" or "approve_action" or "deny_action"))
        {
            await ShowApprovalAsync(context, "Choose Approve or Deny.", StatusCodes.Status400BadRequest);
            return;
        }
        try
        {
            if (decision is "approve_action" or "deny_action")
            {
                var confirmed = AnswerAction(RouteId(context), decision == "approve_action");
                await ShowApprovalAsync(context, confirmed.Status == SpendRequestStatus.Succeeded ? "Payment confirmed. The merchant's page carries on by itself." : "Payment refused.", StatusCodes.Status200OK);
                return;
            }
            var answered = Answer(RouteId(context), decision == "approve");
            await ShowApprovalAsync(context, answered.Status == SpendRequestStatus.Approved ? "Approved. The agent can now use the credential." : "Denied.", StatusCodes.Status200OK);
        }
        catch (LinkException ex) when (ex.Code != LinkErrorCodes.NotFound)
        {
            await ShowApprovalAsync(context, ex.Message, StatusCodes.Status409Conflict);
        }
    }

    private async Task AnswerJsonAsync(HttpContext context, bool approve)
    {
        var answered = Answer(RouteId(context), approve);
        await WriteJsonAsync(context, StatusCodes.Status200OK, SpendRequestJson(answered, includeCard: false, includeToken: false));
    }

    private async Task AnswerActionJsonAsync(HttpContext context, bool confirm)
    {
        var answered = AnswerAction(RouteId(context), confirm);
        await WriteJsonAsync(context, StatusCodes.Status200OK, SpendRequestJson(answered, includeCard: false, includeToken: false));
    }

    private SpendRequest AnswerAction(string id, bool confirm)
    {
        var answered = confirm ? Sandbox.ApproveAction(id) : Sandbox.DenyAction(id);
        Log.StatusChanged(_logger, answered.Id, answered.Status);
        return answered;
    }

    private async Task CompleteAuthenticationAsync(HttpContext context)
    {
        var id = RouteId(context);
        var result = Sandbox.CompleteAuthentication(id);
        Log.Authentication(_logger, id, result.Approved, result.Pending);
        await WriteJsonAsync(context, StatusCodes.Status200OK, AuthorizationJson(result));
    }

    private static JsonObject AuthorizationJson(PaymentAuthorizationResult result) => new()
    {
        ["approved"] = result.Approved,
        ["pending"] = result.Pending,
        ["decline_code"] = result.DeclineCode,
        ["authorization_id"] = result.AuthorizationId,
        ["authentication_id"] = result.AuthenticationId,
        ["message"] = result.Message,
    };

    private SpendRequest Answer(string id, bool approve)
    {
        var answered = approve ? Sandbox.Approve(id) : Sandbox.Deny(id);
        Log.StatusChanged(_logger, answered.Id, answered.Status);
        return answered;
    }

    private Task ShowDeviceAsync(HttpContext context)
    {
        var code = context.Request.Query["code"].ToString();
        var device = code.Length > 0 ? Sandbox.Auth.FindByUserCode(code) : null;
        return HtmlAsync(context, StatusCodes.Status200OK, PersonPages.Device(device, code.Length > 0 ? code : null, null));
    }

    private async Task AnswerDeviceAsync(HttpContext context)
    {
        if (!await SameOriginFormAsync(context))
        {
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var decision = form["decision"].ToString();
        var code = form["user_code"].ToString();
        if (decision is not ("approve" or "deny") || !Sandbox.Auth.AnswerDevice(code, decision == "approve"))
        {
            await HtmlAsync(context, StatusCodes.Status400BadRequest, PersonPages.Device(null, code, "Nothing to answer: unknown phrase, already answered, or expired."));
            return;
        }
        await HtmlAsync(context, StatusCodes.Status200OK, PersonPages.Message(decision == "approve" ? "Device connected" : "Login denied",
            decision == "approve" ? "You can go back to your terminal." : "The device was not connected."));
    }

    private async Task AuthorizeCardAsync(HttpContext context)
    {
        var body = await JsonBody.ReadAsync(context.Request, _authorizeFields, context.RequestAborted);
        string Required(string name) => body.String(name) ?? throw ApiException.Invalid(name, $"{name} is required.");
        long RequiredInteger(string name) => body.Integer(name) ?? throw ApiException.Invalid(name, $"{name} is required.");
        var expMonth = RequiredInteger("exp_month");
        var expYear = RequiredInteger("exp_year");
        if (expMonth is < 1 or > 12)
        {
            throw ApiException.Invalid("exp_month", "exp_month must be from 1 to 12.");
        }
        if (expYear is < 0 or > 9999)
        {
            throw ApiException.Invalid("exp_year", "exp_year must be two or four digits.");
        }
        var result = Sandbox.Authorize(Required("number"), Required("cvc"), (int)expMonth, (int)expYear,
            Required("merchant_url"), RequiredInteger("amount"), Required("currency"), body.Boolean("three_d_secure") ?? false);
        Log.Authorized(_logger, result.Approved, result.DeclineCode);
        await WriteJsonAsync(context, StatusCodes.Status200OK, AuthorizationJson(result));
    }

    /// <summary>Refuses a form posted from another site (a page elsewhere must not approve for the person).</summary>
    private async Task<bool> SameOriginFormAsync(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && origin != "null" && !string.Equals(origin, Root.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            await HtmlAsync(context, StatusCodes.Status403Forbidden, PersonPages.Message("Refused", "This form may only be posted from the emulator's own pages."));
            return false;
        }
        if (!context.Request.HasFormContentType)
        {
            await HtmlAsync(context, StatusCodes.Status400BadRequest, PersonPages.Message("Bad request", "Expected a form post."));
            return false;
        }
        return true;
    }

    private static Task HtmlAsync(HttpContext context, int status, string html)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
        return context.Response.WriteAsync(html, context.RequestAborted);
    }
}
