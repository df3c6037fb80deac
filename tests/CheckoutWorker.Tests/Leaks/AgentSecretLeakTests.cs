using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Clients;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Tests.Webhooks;
using Microsoft.Data.Sqlite;
using Serilog.Events;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>
/// The output paths issue 20 added, swept for agent tokens and webhook secrets (current and rotated-out): 429, 401 and
/// 422 answers with their headers, the webhook a rotation double-signs, <c>agent audit</c> and <c>agent list</c>, the
/// console at verbose level, the log files and the database file, where tokens are only hashes and webhook secrets are
/// sealed with the account key.
/// </summary>
[NonParallelizable]
public sealed class AgentSecretLeakTests
{
    [Test]
    [Category(TestStorage.SqliteOnly)] // the owner's CLI (agent audit) reads the data directory's SQLite file
    public async Task RotationRateLimitsAndRefusals_NeverPrintATokenOrWebhookSecret()
    {
        var console = new StringWriter();
        var (stdout, stderr) = (Console.Out, Console.Error);
        var synchronized = TextWriter.Synchronized(console);
        Console.SetOut(synchronized);
        Console.SetError(synchronized);
        var answers = new StringBuilder();
        string audit, list;
        NewAgent agent;
        string? newToken, newSecret;
        // Owned here, not by the service: it is swept after the service stopped.
        var dataDirectory = DataDirectoryTest.NewDataDirectory();
        // The receiver's loopback address alone is allowed, so the metadata address is still refused.
        await using var receiver = await WebhookReceiver.StartAsync();
        try
        {
            await using var service = await TestService.StartAsync(sandboxOptions: new LinkSandboxOptions { Approval = SandboxApprovalMode.Manual },
                configuration: new Dictionary<string, string?> { ["Webhooks:AllowedTargets:0"] = "127.0.0.1" }, dataDirectory: dataDirectory, consoleLevel: LogEventLevel.Verbose);
            HttpClient client;
            (client, agent) = await service.AddAgentAsync("leaky", policy: new AgentPolicy { MaxRequestsPerSecond = 3, MaxPerPurchase = 100 });
            newToken = await service.Agents.RotateTokenAsync("leaky", TimeSpan.FromSeconds(1), CancellationToken.None);
            newSecret = await service.Agents.RotateWebhookSecretAsync("leaky", TimeSpan.FromHours(1), CancellationToken.None);

            async Task Record(HttpResponseMessage response)
            {
                answers.Append((int)response.StatusCode).Append(' ').Append(response.Headers).Append(response.Content.Headers)
                    .AppendLine(await response.Content.ReadAsStringAsync());
                response.Dispose();
            }
            var fresh = service.Client(newToken);
            for (var i = 0; i < 8; i++)
            {
                await Record(await (i % 2 == 0 ? client : fresh).GetAsync("/v1/purchases"));
            }
            await Task.Delay(1100);
            using (var refused = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases") { Content = JsonContent.Create(service.PurchaseBody(callbackUrl: "https://169.254.169.254/x")) })
            {
                refused.Headers.Add("Idempotency-Key", "leak-1");
                await Record(await fresh.SendAsync(refused));
            }
            using (var signed = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases") { Content = JsonContent.Create(service.PurchaseBody(callbackUrl: receiver.Url())) })
            {
                signed.Headers.Add("Idempotency-Key", "leak-2");
                await Record(await fresh.SendAsync(signed));
            }
            await Record(await client.GetAsync("/v1/purchases"));
            await receiver.WaitForAsync(1);
            audit = (await ClientCli.RunAsync("agent", "audit", "--data-dir", dataDirectory)).ToString();
            list = (await ClientCli.RunAsync("agent", "list", "--json", "--all", "--data-dir", dataDirectory)).ToString();
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
        var statuses = string.Join(",", answers.ToString().Split('\n').Where(l => l.Length > 3 && char.IsAsciiDigit(l[0]) && l[3] == ' ').Select(l => l[..3]));
        Assert.That(answers.ToString(), Does.Contain("Retry-After").And.Contain("callback_not_allowed"), "the sweep saw each new answer: " + statuses);
        Assert.That(statuses, Does.Contain("429").And.Contain("401").And.Contain("422"), "the sweep saw each new answer");
        Assert.That(audit, Does.Contain("rotate-token").And.Contain("rotate-webhook-secret"));

        var secrets = new[]
        {
            LeakCanary.Text("old token", agent.Token), LeakCanary.Text("new token", newToken!),
            LeakCanary.Text("old webhook secret", agent.Agent.WebhookSecret), LeakCanary.Text("new webhook secret", newSecret!),
        };
        var scanner = new CanaryScanner([], secrets);
        scanner.ScanText("HTTP answers", answers.ToString());
        scanner.ScanText("webhook as received", string.Join("\n", receiver.Received.Select(r => string.Join("\n", r.Headers.Select(h => $"{h.Key}: {h.Value}")) + r.Body)));
        scanner.ScanText("agent audit", audit);
        scanner.ScanText("agent list", list);
        scanner.ScanText("console", console.ToString());
        foreach (var file in Directory.EnumerateFiles(Path.Combine(dataDirectory, "logs"), "*", SearchOption.AllDirectories))
        {
            scanner.ScanText(file, File.ReadAllText(file));
        }
        SqliteConnection.ClearAllPools();
        // The database too: tokens are kept as hashes, webhook secrets sealed (current and rotated-out alike).
        foreach (var file in Directory.EnumerateFiles(dataDirectory, "checkout-agent.db*"))
        {
            scanner.ScanText(file, Encoding.Latin1.GetString(File.ReadAllBytes(file)));
        }
        Assert.That(scanner.Findings, Is.Empty);
        Assert.That(console.ToString(), Is.Not.Empty, "the console was captured");
        DataDirectoryTest.Delete(dataDirectory);
    }
}
