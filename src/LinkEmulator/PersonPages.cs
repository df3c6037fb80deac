using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Link.Emulator;

/// <summary>
/// The person's side of the emulator, standing in for the Link app: the approval page of a spend request and the
/// device-login page. Every value shown is HTML-encoded; the pages run no script.
/// </summary>
internal static class PersonPages
{
    public static string Approval(SpendRequest request, string? notice)
    {
        var body = new StringBuilder();
        body.Append("<h1>Approve a purchase?</h1>");
        if (notice is not null)
        {
            body.Append("<p class=\"notice\">").Append(E(notice)).Append("</p>");
        }
        body.Append("<dl>");
        Row(body, "Merchant", request.MerchantName ?? (request.NetworkId is null ? "—" : "Machine payment (network " + request.NetworkId + ")"));
        if (request.MerchantUrl is not null)
        {
            Row(body, "Merchant URL", request.MerchantUrl);
        }
        Row(body, "Amount", Money(request.Amount, request.Currency));
        Row(body, "Credential", request.CredentialType == SpendRequestValidator.CardCredential ? "One-time virtual card" : "Shared Payment Token");
        Row(body, "Status", request.Status.ToWire());
        if (request.ExpiresAt is { } expiresAt && request.Status is SpendRequestStatus.Created or SpendRequestStatus.PendingApproval)
        {
            Row(body, "Expires", expiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        }
        if (request.Test)
        {
            Row(body, "Mode", "[TEST]");
        }
        body.Append("</dl>");

        body.Append("<h2>Why the agent asks</h2><p class=\"context\">").Append(E(request.Context ?? "")).Append("</p>");
        if (request.LineItems.Count > 0)
        {
            body.Append("<h2>Items</h2><table><tr><th>Item</th><th>Qty</th><th>Unit price</th></tr>");
            foreach (var item in request.LineItems)
            {
                body.Append("<tr><td>").Append(E(item.Name)).Append("</td><td>")
                    .Append(item.Quantity.ToString(CultureInfo.InvariantCulture)).Append("</td><td>")
                    .Append(E(Money(item.UnitAmount, request.Currency))).Append("</td></tr>");
            }
            body.Append("</table>");
        }
        if (request.Totals.Count > 0)
        {
            body.Append("<h2>Totals</h2><table>");
            foreach (var total in request.Totals)
            {
                body.Append("<tr><td>").Append(E(total.DisplayText)).Append("</td><td>").Append(E(Money(total.Amount, request.Currency))).Append("</td></tr>");
            }
            body.Append("</table>");
        }

        if (request.Status == SpendRequestStatus.PendingApproval)
        {
            body.Append("<form method=\"post\">")
                .Append("<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button> ")
                .Append("<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>")
                .Append("</form>");
        }
        else if (request.NextAction is { Type: NextActionTypes.ThreeDSecure } action)
        {
            // The bank's confirmation after the card was used at the merchant (3-D Secure), out of band as in the Link app.
            body.Append("<h2>Confirm the payment</h2><p class=\"action\">").Append(E(action.DisplayMessage ?? "")).Append("</p>")
                .Append("<form method=\"post\">")
                .Append("<button type=\"submit\" name=\"decision\" value=\"approve_action\" id=\"approve-action\">Confirm payment</button> ")
                .Append("<button type=\"submit\" name=\"decision\" value=\"deny_action\" id=\"deny-action\">Refuse</button>")
                .Append("</form>");
        }
        else
        {
            body.Append("<p class=\"closed\">This request is ").Append(E(request.Status.ToWire())).Append(": nothing to answer.</p>");
        }
        return Page("Approve " + request.Id, body.ToString());
    }

    public static string Device(SandboxDeviceAuthorization? device, string? typedCode, string? notice)
    {
        var body = new StringBuilder("<h1>Connect a device to your Link wallet</h1>");
        if (notice is not null)
        {
            body.Append("<p class=\"notice\">").Append(E(notice)).Append("</p>");
        }
        if (device is null)
        {
            if (typedCode is not null)
            {
                body.Append("<p>No pending login with the phrase ").Append(E(typedCode)).Append(".</p>");
            }
            body.Append("<form method=\"get\"><label>Phrase <input name=\"code\" autocomplete=\"off\"></label> <button type=\"submit\">Look up</button></form>");
            return Page("Link login", body.ToString());
        }
        body.Append("<dl>");
        Row(body, "Phrase", device.UserCode);
        Row(body, "Device", device.ConnectionLabel ?? "(unnamed)");
        Row(body, "Access", device.Scope);
        body.Append("</dl><form method=\"post\"><input type=\"hidden\" name=\"user_code\" value=\"").Append(E(device.UserCode)).Append("\">")
            .Append("<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button> ")
            .Append("<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form>");
        return Page("Link login", body.ToString());
    }

    public static string Message(string title, string message) => Page(title, "<h1>" + E(title) + "</h1><p>" + E(message) + "</p>");

    private static void Row(StringBuilder body, string name, string value) =>
        body.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(E(value)).Append("</dd>");

    private static string Money(long cents, string currency) =>
        (cents / 100m).ToString("#,##0.00", CultureInfo.InvariantCulture) + " " + currency.ToUpperInvariant();

    private static string E(string text) => HtmlEncoder.Default.Encode(text);

    private static string Page(string title, string body) =>
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + E(title) + " · Link emulator</title>"
        + "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}dt{font-weight:bold}.context{white-space:pre-wrap}"
        + ".notice{background:#eef;padding:.5em}button{font-size:1.1em;margin:.5em}</style></head><body>"
        + "<p><small>Link emulator — a stand-in for the Link app. No real money moves.</small></p>" + body + "</body></html>";
}
