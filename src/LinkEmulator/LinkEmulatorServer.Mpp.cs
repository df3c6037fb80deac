using CheckoutAgent.Link.Sandbox;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CheckoutAgent.Link.Emulator;

// A demo merchant resource paid over HTTP 402 (Machine Payment Protocol), emulator-only: it challenges, then redeems the
// presented Shared Payment Token with the sandbox, as a merchant's processor would with Link.
public sealed partial class LinkEmulatorServer
{
    /// <summary>The payment network the demo resource asks for; mint tokens for it (<c>network_id</c>).</summary>
    internal const string DemoNetworkId = "net_link_emulator_demo";

    private static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DemoChallenge> _challenges = new(StringComparer.Ordinal);

    private void MapDemoMpp() => _app.MapMethods("/demo/mpp/pay", ["GET", "POST"], PayDemoAsync);

    private async Task PayDemoAsync(HttpContext context)
    {
        var (amount, currency) = ReadDemoPrice(context.Request.Query);
        var authorization = context.Request.Headers.Authorization.ToString();
        const string scheme = "Payment ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            await ChallengeAsync(context, amount, currency, ApiErrorCodes.PaymentRequired,
                "Payment required: answer the WWW-Authenticate: Payment challenge with a Shared Payment Token (mpp pay).");
            return;
        }
        if (ReadCredential(authorization[scheme.Length..].Trim()) is not var (challengeId, token) || token is null)
        {
            await ChallengeAsync(context, amount, currency, ApiErrorCodes.InvalidCredential,
                "The Authorization: Payment credential is not base64url JSON {challenge:{id,…}, payload:{spt}}.");
            return;
        }
        if (!_challenges.TryGetValue(challengeId, out var challenge) || challenge.Amount != amount
            || !string.Equals(challenge.Currency, currency, StringComparison.Ordinal) || Sandbox.Time.GetUtcNow() > challenge.ExpiresAt)
        {
            await ChallengeAsync(context, amount, currency, ApiErrorCodes.InvalidCredential,
                "The credential does not answer a live challenge of this resource at this price; answer the new challenge.");
            return;
        }
        _challenges.TryRemove(challengeId, out _);

        var redemption = Sandbox.RedeemSharedPaymentToken(token, DemoNetworkId, amount, currency, "Link emulator demo resource");
        Log.MppPayment(_logger, amount, currency, redemption.Accepted, redemption.DeclineCode);
        if (!redemption.Accepted)
        {
            await WriteJsonAsync(context, StatusCodes.Status403Forbidden, LinkJson.Error(redemption.DeclineCode!, redemption.Message));
            return;
        }
        await WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["paid"] = true,
            ["payment_id"] = redemption.PaymentId,
            ["spend_request_id"] = redemption.SpendRequestId,
            ["amount"] = amount,
            ["currency"] = currency,
            ["network_id"] = DemoNetworkId,
        });
    }

    private static (long Amount, string Currency) ReadDemoPrice(IQueryCollection query)
    {
        var amountText = query["amount"].ToString();
        if (!long.TryParse(amountText, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount is < 1 or > 100_000_000)
        {
            throw ApiException.Invalid("amount", $"amount must be whole cents from 1 to 100000000, e.g. ?amount=500; got '{amountText}'.");
        }
        var currency = query["currency"].ToString();
        currency = currency.Length == 0 ? "usd" : currency.ToLowerInvariant();
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterLower))
        {
            throw ApiException.Invalid("currency", $"currency must be 3 letters, e.g. usd; got '{currency}'.");
        }
        return (amount, currency);
    }

    private Task ChallengeAsync(HttpContext context, long amount, string currency, string code, string message)
    {
        var now = Sandbox.Time.GetUtcNow();
        foreach (var stale in _challenges.Where(c => now > c.Value.ExpiresAt).Select(c => c.Key).ToList())
        {
            _challenges.TryRemove(stale, out _);
        }
        var id = ObjectIds.New("ch_", 24);
        var expiresAt = now + ChallengeLifetime;
        _challenges[id] = new DemoChallenge(amount, currency, expiresAt);
        var request = new JsonObject
        {
            ["amount"] = amount.ToString(CultureInfo.InvariantCulture),
            ["currency"] = currency,
            ["methodDetails"] = new JsonObject { ["networkId"] = DemoNetworkId, ["paymentMethodTypes"] = new JsonArray("card") },
        };
        var encoded = MppChallenge.Base64UrlEncode(Encoding.UTF8.GetBytes(request.ToJsonString()));
        context.Response.Headers.WWWAuthenticate = string.Create(CultureInfo.InvariantCulture,
            $"Payment id=\"{id}\", realm=\"{Root.Authority}\", method=\"stripe\", intent=\"charge\", request=\"{encoded}\", description=\"Link emulator demo resource\", expires=\"{LinkJson.Iso(expiresAt)}\"");
        return WriteJsonAsync(context, StatusCodes.Status402PaymentRequired, LinkJson.Error(code, message));
    }

    private static (string ChallengeId, string? Token)? ReadCredential(string encoded)
    {
        try
        {
            if (JsonNode.Parse(MppChallenge.Base64UrlDecode(encoded)) is not JsonObject credential
                || credential["challenge"]?["id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var id))
            {
                return null;
            }
            var payload = credential["payload"] as JsonObject;
            var token = (payload?["spt"] ?? payload?["grantedToken"]) is JsonValue tokenValue && tokenValue.TryGetValue<string>(out var t) ? t : null;
            return (id, token);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private sealed record DemoChallenge(long Amount, string Currency, DateTimeOffset ExpiresAt);
}
