using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Tests.LinkEmulator;

/// <summary>Bearer checks on the API and the OAuth device flow, as link-cli uses them (link-api.md §2, §3.1, §5).</summary>
public class AuthTests : EmulatorTest
{
    private const string DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";
    private const string ClientId = "lwlpk_U7Qy7ThG69STZk";

    [TestCase(null)]
    [TestCase("Bearer wrong_token")]
    [TestCase("Basic dGVzdDp0ZXN0")]
    public async Task A_call_without_a_valid_bearer_is_a_401_json_error(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Api("/payment-details"));
        using var anonymous = new HttpClient();
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await anonymous.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
        Assert.That((string?)(await ReadJsonAsync(response))!["error"]!["code"], Is.EqualTo(ApiErrorCodes.Unauthorized));
    }

    [Test]
    public async Task A_401_on_create_creates_nothing()
    {
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "stale");

        var (status, _) = await PostAsync("/spend_requests", CardBody());

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(Server.Sandbox.SpendRequestCount, Is.Zero);
    }

    [Test]
    public async Task The_refresh_grant_mints_a_token_the_api_accepts_and_a_new_refresh_token_every_time()
    {
        var (status, tokens) = await PostFormAsync(Auth("/device/token"), new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = LinkSandboxOptions.DefaultRefreshToken,
            ["client_id"] = ClientId,
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)tokens!["access_token"]!);

        var (apiStatus, _) = await GetAsync("/payment-details");

        Assert.That(apiStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)tokens["refresh_token"], Is.Not.Empty);
        Assert.That((string?)tokens["token_type"], Is.EqualTo("Bearer"));
    }

    [Test]
    public async Task A_minted_refresh_token_is_used_up_by_its_refresh()
    {
        var first = await RefreshAsync(LinkSandboxOptions.DefaultRefreshToken);
        var second = await RefreshAsync((string)first.Json!["refresh_token"]!);

        var replay = await RefreshAsync((string)first.Json!["refresh_token"]!);

        Assert.That(second.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(replay.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)replay.Json!["error"], Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task A_minted_access_token_expires_after_its_lifetime()
    {
        var tokens = await RefreshAsync(LinkSandboxOptions.DefaultRefreshToken);
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)tokens.Json!["access_token"]!);

        Clock.Advance(TimeSpan.FromHours(1));

        Assert.That((await GetAsync("/userinfo")).Status, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Device_flow_in_manual_mode_is_pending_until_the_person_approves_on_the_device_page()
    {
        var (_, code) = await PostFormAsync(Auth("/device/code"), new Dictionary<string, string>
        {
            ["client_id"] = ClientId,
            ["scope"] = "userinfo:read payment_methods.agentic",
            ["connection_label"] = "Link CLI on testhost",
            ["client_hint"] = "Link CLI",
        });
        var deviceCode = (string)code!["device_code"]!;
        var poll = new Dictionary<string, string> { ["grant_type"] = DeviceGrant, ["device_code"] = deviceCode, ["client_id"] = ClientId };

        var pending = await PostFormAsync(Auth("/device/token"), poll);
        Assert.That(pending.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)pending.Json!["error"], Is.EqualTo("authorization_pending"));

        using var anonymous = new HttpClient();
        var page = await anonymous.GetStringAsync((string)code["verification_uri_complete"]!);
        Assert.That(page, Does.Contain((string)code["user_code"]!).And.Contain("Link CLI on testhost"));
        using var answer = new FormUrlEncodedContent(new Dictionary<string, string> { ["user_code"] = (string)code["user_code"]!, ["decision"] = "approve" });
        using var answered = await anonymous.PostAsync(Root("device"), answer);
        Assert.That(answered.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var granted = await PostFormAsync(Auth("/device/token"), poll);
        Assert.That(granted.Status, Is.EqualTo(HttpStatusCode.OK));
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)granted.Json!["access_token"]!);
        Assert.That((await GetAsync("/userinfo")).Status, Is.EqualTo(HttpStatusCode.OK));

        var again = await PostFormAsync(Auth("/device/token"), poll);
        Assert.That((string?)again.Json!["error"], Is.EqualTo("invalid_grant"), "a device code is redeemed once");
    }

    [Test]
    public async Task Device_flow_denied_on_the_page_answers_access_denied()
    {
        var (_, code) = await PostFormAsync(Auth("/device/code"), new Dictionary<string, string> { ["client_id"] = ClientId });
        Assert.That(Server.Sandbox.Auth.AnswerDevice((string)code!["user_code"]!, approve: false), Is.True);

        var (status, json) = await PostFormAsync(Auth("/device/token"), new Dictionary<string, string>
        {
            ["grant_type"] = DeviceGrant, ["device_code"] = (string)code["device_code"]!, ["client_id"] = ClientId,
        });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"], Is.EqualTo("access_denied"));
    }

    [Test]
    public async Task An_unanswered_device_code_expires()
    {
        var (_, code) = await PostFormAsync(Auth("/device/code"), new Dictionary<string, string> { ["client_id"] = ClientId });
        Clock.Advance(TimeSpan.FromMinutes(5));

        var (_, json) = await PostFormAsync(Auth("/device/token"), new Dictionary<string, string>
        {
            ["grant_type"] = DeviceGrant, ["device_code"] = (string)code!["device_code"]!, ["client_id"] = ClientId,
        });

        Assert.That((string?)json!["error"], Is.EqualTo("expired_token"));
    }

    [Test]
    public async Task Revoke_kills_a_minted_refresh_token_but_not_the_configured_one()
    {
        var minted = (string)(await RefreshAsync(LinkSandboxOptions.DefaultRefreshToken)).Json!["refresh_token"]!;

        var (status, _) = await PostFormAsync(Auth("/device/revoke"), new Dictionary<string, string> { ["client_id"] = ClientId, ["token"] = minted });
        await PostFormAsync(Auth("/device/revoke"), new Dictionary<string, string> { ["client_id"] = ClientId, ["token"] = LinkSandboxOptions.DefaultRefreshToken });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await RefreshAsync(minted)).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await RefreshAsync(LinkSandboxOptions.DefaultRefreshToken)).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Auth_calls_need_a_form_and_a_client_id()
    {
        var (noClient, json) = await PostFormAsync(Auth("/device/code"), new Dictionary<string, string> { ["scope"] = "x" });
        var (unknownGrant, grantJson) = await PostFormAsync(Auth("/device/token"), new Dictionary<string, string> { ["client_id"] = ClientId, ["grant_type"] = "password" });

        Assert.That(noClient, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)json!["error"], Is.EqualTo("invalid_client"));
        Assert.That(unknownGrant, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)grantJson!["error"], Is.EqualTo("unsupported_grant_type"));
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_auth_file_is_private_and_holds_the_token_link_cli_sends()
    {
        var dir = Directory.CreateTempSubdirectory("emulator-auth-");
        try
        {
            var path = Server.WriteAuthFile(Path.Combine(dir.FullName, "creds"));

            Assert.That(path, Is.EqualTo(Path.Combine(dir.FullName, "creds.json")));
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            var auth = JsonNode.Parse(await File.ReadAllTextAsync(path))!["auth"]!;
            Assert.That((string?)auth["access_token"], Is.EqualTo(LinkSandboxOptions.DefaultAccessToken));
            Assert.That((string?)auth["refresh_token"], Is.EqualTo(LinkSandboxOptions.DefaultRefreshToken));
            Assert.That((string?)auth["token_type"], Is.EqualTo("Bearer"));
            Assert.That((long?)auth["expires_at"], Is.GreaterThan(DateTimeOffset.UtcNow.AddYears(10).ToUnixTimeMilliseconds()));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private Task<(HttpStatusCode Status, JsonNode? Json)> RefreshAsync(string refreshToken) =>
        PostFormAsync(Auth("/device/token"), new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = ClientId,
        });
}

public class AutoDeviceFlowTests : EmulatorTest
{
    protected override LinkEmulatorOptions Options() => new() { Approval = EmulatorApprovalMode.Auto };

    [Test]
    public async Task In_auto_mode_the_first_poll_gets_tokens()
    {
        var (_, code) = await PostFormAsync(Auth("/device/code"), new Dictionary<string, string> { ["client_id"] = "lwlpk_U7Qy7ThG69STZk" });

        var (status, tokens) = await PostFormAsync(Auth("/device/token"), new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["device_code"] = (string)code!["device_code"]!, ["client_id"] = "lwlpk_U7Qy7ThG69STZk",
        });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)tokens!["access_token"], Does.StartWith("link_at_"));
    }
}
