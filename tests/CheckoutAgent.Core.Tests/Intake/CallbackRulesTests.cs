using System.Net;
using System.Text.Json;
using CheckoutAgent.Core.Intake;

namespace CheckoutAgent.Tests.Intake;

/// <summary>Which callback addresses are refused, at intake and for the webhook sender's connect-time check.</summary>
public sealed class CallbackRulesTests
{
    [TestCase("169.254.169.254", "link-local")]
    [TestCase("10.0.0.5", "private address (RFC 1918)")]
    [TestCase("172.16.4.4", "private address (RFC 1918)")]
    [TestCase("192.168.1.1", "private address (RFC 1918)")]
    [TestCase("127.0.0.1", "loopback")]
    [TestCase("127.9.9.9", "loopback")]
    [TestCase("100.64.0.1", "carrier-grade NAT")]
    [TestCase("224.0.0.251", "multicast")]
    [TestCase("0.0.0.0", "unspecified")]
    [TestCase("255.255.255.255", "broadcast")]
    [TestCase("::1", "loopback")]
    [TestCase("::", "unspecified")]
    [TestCase("fe80::1", "link-local")]
    [TestCase("fd12:3456::1", "unique-local")]
    [TestCase("ff02::1", "multicast")]
    [TestCase("::ffff:127.0.0.1", "loopback address (this machine), in IPv6 form")]
    [TestCase("::ffff:169.254.169.254", "link-local")]
    [TestCase("::ffff:10.0.0.5", "RFC 1918")]
    [TestCase("64:ff9b::a00:5", "RFC 1918")]
    [TestCase("2002:a9fe:a9fe::1", "link-local")]
    public void Classify_NonPublicAddresses_NameTheirRange(string address, string rule)
    {
        Assert.That(CallbackRules.Classify(IPAddress.Parse(address)), Does.Contain(rule));
        Assert.That(CallbackRules.Strict.Refusal(IPAddress.Parse(address)), Does.Contain(rule));
    }

    [TestCase("93.184.216.34")]
    [TestCase("8.8.8.8")]
    [TestCase("172.32.0.1")]
    [TestCase("100.128.0.1")]
    [TestCase("2606:4700:4700::1111")]
    [TestCase("::ffff:93.184.216.34")]
    public void Classify_PublicAddresses_AreAllowed(string address)
    {
        Assert.That(CallbackRules.Classify(IPAddress.Parse(address)), Is.Null);
    }

    [TestCase("https://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address")]
    [TestCase("https://10.0.0.5/hook", "10.0.0.5 is a private address (RFC 1918)")]
    [TestCase("https://localhost:9/hook", "localhost is a loopback address")]
    [TestCase("https://[::ffff:127.0.0.1]/x", "is a loopback address")]
    [TestCase("http://127.0.0.1:8080/x", "127.0.0.1 is a loopback address")]
    [TestCase("https://hooks.localhost/x", "hooks.localhost is a loopback address")]
    public void Parse_CallbackIntoThePrivateNetwork_Is422NamingFieldAndRule(string url, string rule)
    {
        var (request, errors) = PurchaseBody.Parse(Body(url));
        Assert.That(request, Is.Null);
        var error = errors.Single();
        Assert.That(error.Code, Is.EqualTo(ApiErrorCodes.CallbackNotAllowed));
        Assert.That(error.Field, Is.EqualTo("callback_url"));
        Assert.That(error.Message, Does.Contain(rule).And.Contain("Webhooks:AllowedTargets"));
    }

    [Test]
    public void Parse_ScheduleTemplateCallback_IsCheckedToo_UnderItsPath()
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(new
        {
            name = "weekly", cron = "0 9 * * 1", purchase = JsonSerializer.Deserialize<JsonElement>(Body("https://10.1.2.3/hook").GetRawText()),
        }));
        var (draft, errors) = ScheduleBody.Parse(document.RootElement, DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(draft, Is.Null);
        Assert.That(errors.Single().Field, Is.EqualTo("purchase.callback_url"));
        Assert.That(errors.Single().Code, Is.EqualTo(ApiErrorCodes.CallbackNotAllowed));
    }

    [Test]
    public void Parse_PublicHostName_IsLeftToTheConnectTimeCheck()
    {
        Assert.That(PurchaseBody.Parse(Body("https://hooks.example.com/x")).Errors, Is.Empty);
    }

    [Test]
    public void AllowPrivateNetworks_OrAnAllowlistedHostOrCidr_OpensIt()
    {
        var open = CallbackRules.Create(true, null).Rules;
        Assert.That(PurchaseBody.Parse(Body("http://127.0.0.1:9/x"), callbacks: open).Errors, Is.Empty);

        var (listed, errors) = CallbackRules.Create(false, ["10.20.0.0/16", "hooks.corp.example", "192.168.1.7", "fd00::/8"]);
        Assert.That(errors, Is.Empty);
        Assert.That(listed.Refusal(IPAddress.Parse("10.20.3.4")), Is.Null);
        Assert.That(listed.Refusal(IPAddress.Parse("::ffff:10.20.3.4")), Is.Null, "the mapped form of an allowed address is allowed too");
        Assert.That(listed.Refusal(IPAddress.Parse("10.21.0.1")), Does.Contain("RFC 1918"), "outside the CIDR stays refused");
        Assert.That(listed.Refusal(IPAddress.Parse("192.168.1.7")), Is.Null);
        Assert.That(listed.Refusal(IPAddress.Parse("fd00::5")), Is.Null);
        Assert.That(listed.Refusal(IPAddress.Parse("127.0.0.1")), Does.Contain("loopback"));
        Assert.That(listed.IsAllowedHost("HOOKS.corp.example."), Is.True);
        Assert.That(PurchaseBody.Parse(Body("https://10.20.0.9/x"), callbacks: listed).Errors, Is.Empty);
        Assert.That(PurchaseBody.Parse(Body("https://10.30.0.9/x"), callbacks: listed).Errors.Single().Code, Is.EqualTo(ApiErrorCodes.CallbackNotAllowed));
    }

    [Test]
    public void Create_BadAllowlistEntries_AreEachNamed()
    {
        var (_, errors) = CallbackRules.Create(false, ["10.0.0.1/33", "not a host", "ok.example", "fd00::/200"]);
        Assert.That(errors, Has.Count.EqualTo(3));
        Assert.That(errors[0], Does.Contain("'10.0.0.1/33'").And.Contain("CIDR"));
        Assert.That(errors[1], Does.Contain("'not a host'"));
        Assert.That(errors[2], Does.Contain("'fd00::/200'"));
    }

    private static JsonElement Body(string callbackUrl) => JsonSerializer.SerializeToElement(new Dictionary<string, object?>
    {
        ["recipe"] = "demo-shop",
        ["items"] = new[] { new Dictionary<string, object?> { ["name"] = "Dripper", ["quantity"] = 1, ["unit_amount"] = 2400 } },
        ["amount"] = 2400,
        ["context"] = "Buying one pour-over dripper for the office kitchen, as asked in ticket 42 by the facilities team; a one-time purchase approved in Link.",
        ["buyer"] = "wallet",
        ["shipping"] = "wallet",
        ["callback_url"] = callbackUrl,
    });
}
