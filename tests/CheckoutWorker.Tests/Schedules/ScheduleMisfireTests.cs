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
            var created = (await Schedules.PurchasesAsync(service.Client(agent.Token), id)).Select(p => p.GetProperty("created_at").GetDateTimeOffset()).Order().ToList();
            string Times(IEnumerable<DateTimeOffset> times) => string.Join(", ", times.Select(t => t.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)));
            Assert.That(missed, Is.Empty, $"fire times while down were replayed: {Times(missed)} (stopped {Times([stopped])}, "
                + $"restarting {Times([restarting])}, restarted {Times([restarted])}, all fire times {Times(fireTimes.Order())}, created {Times(created)})");

            // Judged on the fire times the schedule submitted (its idempotency keys), not on when the purchases were
            // written: those are the scheduler's decisions, while a purchase's created_at also holds how long a busy
            // machine took to run the job.
            var afterRestart = fireTimes.Where(t => t >= restarting - Threshold - TimeSpan.FromSeconds(0.5)).Order().ToList();
            Assert.That(afterRestart.Count(t => t <= restarted), Is.LessThanOrEqualTo(1), "at most one missed fire (one within the misfire threshold) is fired late");
            Assert.That(afterRestart.Where(t => t > restarted), Is.Not.Empty, "the schedule fires again after the restart");
            Assert.That(afterRestart, Has.Count.LessThanOrEqualTo(5), "no burst: no more than the normal cadence (one every 2 s) after the restart");
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
