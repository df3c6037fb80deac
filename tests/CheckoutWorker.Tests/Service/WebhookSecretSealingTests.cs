using System.Net.Http.Json;
using System.Security.Cryptography;
using CheckoutAgent.Tests.Webhooks;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CheckoutAgent.Tests.Service;

/// <summary>
/// The agents' webhook signing secrets in a running service: sealed with the account key in the database, a secret an
/// earlier version stored in clear sealed at the next start and still signing, and a start with another key refused
/// with what to do.
/// </summary>
[NonParallelizable]
public sealed class WebhookSecretSealingTests
{
    [Test]
    public async Task A_secret_stored_in_clear_is_sealed_at_the_next_start_and_still_signs_and_another_key_is_refused()
    {
        var dataDirectory = DataDirectoryTest.NewDataDirectory();
        await using var receiver = await WebhookReceiver.StartAsync();
        var configuration = new Dictionary<string, string?>(WebhookReceiver.AllowingLoopback());
        try
        {
            string secret, agentId, token;
            await using (var first = await TestService.StartAsync(configuration: configuration, dataDirectory: dataDirectory))
            {
                // Its policy refuses the purchase at intake, which queues the purchase.failed webhook at once.
                var (_, agent) = await first.AddAgentAsync("sealed", policy: new AgentPolicy { MaxPerPurchase = 100 });
                (secret, agentId, token) = (agent.Agent.WebhookSecret, agent.Agent.Id, agent.Token);
                Assert.That(await StoredSecretAsync(first, agentId), Does.StartWith("sealed:v1:").And.Not.Contain(secret));
                // As an earlier version left it: the secret in clear.
                await SetStoredSecretAsync(first, agentId, secret);
            }

            await using (var second = await TestService.StartAsync(configuration: configuration, dataDirectory: dataDirectory))
            {
                var stored = await StoredSecretAsync(second, agentId);
                Assert.That(stored, Does.StartWith("sealed:v1:").And.Not.Contain(secret), "sealed at the start");
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/purchases")
                {
                    Content = JsonContent.Create(second.PurchaseBody(callbackUrl: receiver.Url())),
                };
                request.Headers.Add("Idempotency-Key", "sealed-1");
                using var created = await second.Client(token).SendAsync(request);
                Assert.That((int)created.StatusCode, Is.EqualTo(201), await created.Content.ReadAsStringAsync());
                await receiver.WaitForAsync(1);
                var received = receiver.Received.Single();
                Assert.That(WebhookSignature.Verify(secret, received.Header(WebhookSignature.Header)!, received.Body, DateTimeOffset.UtcNow), Is.True,
                    "the webhook is signed with the same secret as before");
            }

            configuration["Accounts:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var refused = Assert.CatchAsync(async () => await (await TestService.StartAsync(configuration: configuration, dataDirectory: dataDirectory)).DisposeAsync());
            var keyError = Unwrap<AccountKeyException>(refused);
            Assert.That(keyError, Is.Not.Null, refused!.ToString());
            Assert.That(keyError!.Message, Does.Contain("Accounts__Key").And.Contain("Accounts:Key").And.Not.Contain(secret));
        }
        finally
        {
            DataDirectoryTest.Delete(dataDirectory);
        }
    }

    private static T? Unwrap<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
            if (ex is AggregateException { InnerExceptions.Count: > 0 } many)
            {
                return many.InnerExceptions.Select(Unwrap<T>).FirstOrDefault(e => e is not null);
            }
        }
        return null;
    }

    private static async Task<string> StoredSecretAsync(TestService service, string agentId)
    {
        await using var connection = await service.Services.GetRequiredService<CheckoutDatabase>().OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT webhook_secret FROM agents WHERE id = @id";
        command.AddParameter("@id", agentId);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task SetStoredSecretAsync(TestService service, string agentId, string value)
    {
        await using var connection = await service.Services.GetRequiredService<CheckoutDatabase>().OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE agents SET webhook_secret = @value WHERE id = @id";
        command.AddParameter("@id", agentId);
        command.AddParameter("@value", value);
        Assert.That(await command.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }
}
