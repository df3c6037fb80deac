using System.Globalization;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Service;
using Microsoft.Extensions.DependencyInjection;

namespace CheckoutAgent.Tests.Schedules;

/// <summary>
/// Fires missed while the service was down are skipped: stopped for several fire times and restarted on the same
/// database, a schedule resumes its cadence with no burst of catch-up purchases.
/// </summary>
[NonParallelizable]
public sealed class ScheduleMisfireTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(1);

    [Test]
    public async Task Restart_AfterMissedFires_SkipsThemAndKeepsTheCadence()
    {
        var dataDirectory = DataDirectoryTest.NewDataDirectory();
        var configuration = new Dictionary<string, string?> { ["Schedules:MisfireThreshold"] = Threshold.ToString("c", CultureInfo.InvariantCulture) };
        var sandbox = new LinkSandboxOptions { Approval = SandboxApprovalMode.Never };
        TestService? service = null;
        try
        {
            service = await TestService.StartAsync(sandboxOptions: sandbox, configuration: configuration, dataDirectory: dataDirectory);
            var (client, agent) = await service.AddAgentAsync("misfire");
            var schedule = await Schedules.CreateAsync(client, Schedules.Body(service, name: "every-two-seconds", cron: "0/2 * * * * ?", timeZone: "UTC"));
            var id = schedule.GetProperty("id").GetString()!;
            await Schedules.WaitForPurchasesAsync(client, id, 1, TimeSpan.FromSeconds(10));

            await service.DisposeAsync();
            service = null;
            var stopped = DateTimeOffset.UtcNow;
            await Task.Delay(TimeSpan.FromSeconds(7));
            var restarting = DateTimeOffset.UtcNow;
            service = await TestService.StartAsync(sandboxOptions: sandbox, configuration: configuration, dataDirectory: dataDirectory);
            var restarted = DateTimeOffset.UtcNow;
            await Task.Delay(TimeSpan.FromSeconds(6.5));

            var fireTimes = await ScheduledFireTimesAsync(service, id);
            var missed = fireTimes.Where(t => t > stopped.AddSeconds(0.1) && t < restarting - Threshold - TimeSpan.FromSeconds(0.5)).ToList();
            Assert.That(missed, Is.Empty, $"fire times while down were replayed: {string.Join(", ", missed.Select(t => t.ToString("O", CultureInfo.InvariantCulture)))}");

            var purchases = await Schedules.PurchasesAsync(service.Client(agent.Token), id);
            var afterRestart = purchases.Select(p => p.GetProperty("created_at").GetDateTimeOffset()).Where(t => t >= restarting).Order().ToList();
            Assert.That(afterRestart.Count(t => t <= restarted.AddSeconds(1)), Is.LessThanOrEqualTo(1), "at most one purchase right after the restart");
            Assert.That(afterRestart, Is.Not.Empty, "the schedule fires again after the restart");
            Assert.That(afterRestart, Has.Count.LessThanOrEqualTo(5), "no more than the normal cadence (one every 2 s)");
            for (var i = 1; i < afterRestart.Count; i++)
            {
                Assert.That(afterRestart[i] - afterRestart[i - 1], Is.GreaterThan(TimeSpan.FromSeconds(1)), "no burst: purchases keep the 2 s cadence");
            }
        }
        finally
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
            DataDirectoryTest.Delete(dataDirectory);
        }
    }

    /// <summary>The scheduled fire times a schedule submitted, read back from its idempotency keys (<c>schedule:ID:TIME</c>).</summary>
    private static async Task<List<DateTimeOffset>> ScheduledFireTimesAsync(TestService service, string scheduleId)
    {
        await using var connection = await service.Services.GetRequiredService<CheckoutDatabase>().OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key FROM idempotency_keys WHERE key LIKE @prefix";
        command.AddParameter("@prefix", $"schedule:{scheduleId}:%");
        var result = new List<DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var key = reader.GetString(0);
            result.Add(DateTimeOffset.Parse(key[$"schedule:{scheduleId}:".Length..], CultureInfo.InvariantCulture));
        }
        return result;
    }
}
