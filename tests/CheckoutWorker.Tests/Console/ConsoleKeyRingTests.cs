using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CheckoutAgent.Tests.Service;
using Microsoft.Extensions.DependencyInjection;

namespace CheckoutAgent.Tests.OperatorConsole;

/// <summary>
/// The console's cookie keys live in the database, sealed with the account key: a session survives a restart without any
/// key file in the data directory, works on another node of the same PostgreSQL database, and the stored keys hold no
/// key material in clear.
/// </summary>
[NonParallelizable]
public sealed partial class ConsoleKeyRingTests
{
    [Test]
    public async Task A_session_survives_a_restart_and_the_stored_keys_are_sealed()
    {
        var dataDirectory = DataDirectoryTest.NewDataDirectory();
        try
        {
            string cookie;
            await using (var first = await TestService.StartAsync(dataDirectory: dataDirectory))
            {
                cookie = await SignInAsync(first);
                Assert.That(await PageStatusAsync(first, cookie), Is.EqualTo(HttpStatusCode.OK), "signed in on the service that made the session");
                var stored = await StoredKeysAsync(first);
                Assert.That(stored, Is.Not.Empty, "the key ring is in the database");
                Assert.That(stored, Has.All.Contain("sealed:v1:"));
                Assert.That(stored, Has.None.Contain("<masterKey").And.None.Contain("<value>"), "no key material in clear");
            }
            Assert.That(Directory.Exists(Path.Combine(dataDirectory, "console-keys")), Is.False, "no key files in the data directory");

            await using var second = await TestService.StartAsync(dataDirectory: dataDirectory);
            Assert.That(await PageStatusAsync(second, cookie), Is.EqualTo(HttpStatusCode.OK), "the session still opens pages after the restart");
            Assert.That(await PageStatusAsync(second, "checkout-agent.console=CfDJ8forged"), Is.EqualTo(HttpStatusCode.Redirect), "a made-up cookie does not");
        }
        finally
        {
            DataDirectoryTest.Delete(dataDirectory);
        }
    }

    [Test]
    public async Task A_session_opened_on_one_node_works_on_another_node_of_the_same_database()
    {
        // Two nodes as a cluster runs them: their own data directories, one PostgreSQL database, one account key.
        var configuration = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = await TestPostgres.CreateDatabaseAsync("console"),
            ["Accounts:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        await using var nodeA = await TestService.StartAsync(configuration: configuration);
        await using var nodeB = await TestService.StartAsync(configuration: configuration);

        var cookie = await SignInAsync(nodeA);

        Assert.That(await PageStatusAsync(nodeB, cookie), Is.EqualTo(HttpStatusCode.OK), "node B reads node A's session cookie");
    }

    /// <summary>Signs in over HTTP as a browser does (the form's anti-forgery token, then the admin token) and returns the session cookie.</summary>
    private static async Task<string> SignInAsync(TestService service)
    {
        var (_, admin) = await service.AddAgentAsync("operator-" + Guid.NewGuid().ToString("N")[..8], "admin,purchases:read");
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { BaseAddress = service.BaseAddress };
        var form = await client.GetStringAsync("/console/sign-in");
        var antiforgery = AntiforgeryField().Match(form);
        Assert.That(antiforgery.Success, Is.True, form);
        using var signedIn = await client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__csrf"] = WebUtility.HtmlDecode(antiforgery.Groups[1].Value), ["token"] = admin.Token,
        }));
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await signedIn.Content.ReadAsStringAsync());
        var session = cookies.GetCookies(new Uri(service.BaseAddress, "/console/")).Single(c => c.Name == "checkout-agent.console");
        return $"{session.Name}={session.Value}";
    }

    private static async Task<HttpStatusCode> PageStatusAsync(TestService service, string cookie)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = service.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/console/purchases");
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<List<string>> StoredKeysAsync(TestService service)
    {
        await using var connection = await service.Services.GetRequiredService<CheckoutDatabase>().OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT xml FROM console_keys";
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(reader.GetString(0));
        }
        return result;
    }

    [GeneratedRegex("name=\"__csrf\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
