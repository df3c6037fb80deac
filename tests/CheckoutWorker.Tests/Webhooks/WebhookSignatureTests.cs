using System.Security.Cryptography;
using System.Text;
using CheckoutAgent.Worker.Webhooks;

namespace CheckoutAgent.Tests.Webhooks;

public class WebhookSignatureTests
{
    private const string Secret = "whsec_0123456789abcdefghijklmnopqrstuv";
    private const string Body = """{"id":"evt_1","type":"purchase.succeeded","created_at":"2025-01-01T00:00:00Z","data":{"purchase":{"id":"pur_1","note":"café"}}}""";
    private static readonly DateTimeOffset At = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Sign_ThenVerify_RoundTrips()
    {
        var header = WebhookSignature.Sign(Secret, At, Body);

        Assert.That(header, Does.Match("^t=[0-9]+,v1=[0-9a-f]{64}$"));
        Assert.That(header, Does.StartWith($"t={At.ToUnixTimeSeconds()},"));
        Assert.That(WebhookSignature.Verify(Secret, header, Body, At.AddSeconds(30)), Is.True);
    }

    [Test]
    public void Sign_IsHmacSha256OfTimestampDotBody_KeyedWithTheSecretsUtf8Bytes()
    {
        var seconds = At.ToUnixTimeSeconds();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{seconds}.{Body}")));

        Assert.That(WebhookSignature.Sign(Secret, At, Body), Is.EqualTo($"t={seconds},v1={expected}"));
    }

    [Test]
    public void Verify_TamperedBody_IsRejected()
    {
        var header = WebhookSignature.Sign(Secret, At, Body);

        Assert.That(WebhookSignature.Verify(Secret, header, Body.Replace("succeeded", "failed", StringComparison.Ordinal), At), Is.False);
        Assert.That(WebhookSignature.Verify(Secret, header, Body + " ", At), Is.False);
    }

    [Test]
    public void Verify_WrongSecret_IsRejected()
    {
        var header = WebhookSignature.Sign(Secret, At, Body);

        Assert.That(WebhookSignature.Verify("whsec_someoneelse0000000000000000000", header, Body, At), Is.False);
    }

    [Test]
    public void Verify_TimestampOutsideTolerance_IsRejected()
    {
        var header = WebhookSignature.Sign(Secret, At, Body);

        Assert.That(WebhookSignature.Verify(Secret, header, Body, At.AddMinutes(5)), Is.True, "exactly at the default tolerance");
        Assert.That(WebhookSignature.Verify(Secret, header, Body, At.AddMinutes(5).AddSeconds(1)), Is.False, "stale beyond 5 min");
        Assert.That(WebhookSignature.Verify(Secret, header, Body, At.AddMinutes(-6)), Is.False, "too far in the future");
        Assert.That(WebhookSignature.Verify(Secret, header, Body, At.AddMinutes(20), TimeSpan.FromMinutes(30)), Is.True, "a wider tolerance on request");
    }

    [Test]
    public void Verify_ChangedTimestamp_IsRejected()
    {
        var header = WebhookSignature.Sign(Secret, At, Body);
        var replayed = header.Replace($"t={At.ToUnixTimeSeconds()}", $"t={At.ToUnixTimeSeconds() + 60}", StringComparison.Ordinal);

        Assert.That(WebhookSignature.Verify(Secret, replayed, Body, At.AddSeconds(60)), Is.False);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("garbage")]
    [TestCase("t=abc,v1=00")]
    [TestCase("v1=0000000000000000000000000000000000000000000000000000000000000000")]
    public void Verify_MalformedHeader_IsRejected(string? header)
    {
        Assert.That(WebhookSignature.Verify(Secret, header, Body, At), Is.False);
    }

    [Test]
    public void Verify_SeveralSignatures_AcceptsWhenOneMatches()
    {
        var header = WebhookSignature.Sign(Secret, At, Body);
        var other = WebhookSignature.Sign("whsec_previoussecret000000000000000", At, Body);
        var combined = $"{other},v1={header.Split("v1=")[1]}";

        Assert.That(WebhookSignature.Verify(Secret, combined, Body, At), Is.True);
    }
}
