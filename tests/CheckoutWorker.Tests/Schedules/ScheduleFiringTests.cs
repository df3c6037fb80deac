using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Schedules;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace CheckoutAgent.Tests.Schedules;

/// <summary>
/// Schedules firing on the real service. The sandbox never answers approval requests, so scheduled purchases stay in
/// flight (and count against budgets) without a shop or a browser.
/// </summary>
[NonParallelizable]
public sealed class ScheduleFiringTests
{
    private const string EverySecond = "* * * * * ?";
    private TestService _service = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _service = await TestService.StartWithoutApprovalAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _service.DisposeAsync();

    private ScheduleService Service => _service.Services.GetRequiredService<ScheduleService>();

    private async Task<(HttpClient Client, NewAgent Agent)> AgentAsync(AgentPolicy? policy = null) =>
        await _service.AddAgentAsync("fire-" + Guid.NewGuid().ToString("N")[..10], policy: policy);

    private static string Id(JsonElement schedule) => schedule.GetProperty("id").GetString()!;

    /// <summary>Creates a schedule firing every second (UTC) and waits for its first purchase; returns its id.</summary>
    private async Task<string> FiringEverySecondAsync(HttpClient client, string name)
    {
        var id = Id(await Schedules.CreateAsync(client, Schedules.Body(_service, name: name, cron: EverySecond, timeZone: "UTC")));
        await Schedules.WaitForPurchasesAsync(client, id, 1, TimeSpan.FromSeconds(15));
        return id;
    }

    /// <summary>After <paramref name="settle"/> (a fire already under way may finish), asserts that the schedule makes no
    /// purchase during <paramref name="watch"/>; returns how many it had made.</summary>
    private static async Task<int> AssertNoMorePurchasesAsync(HttpClient client, string id, TimeSpan settle, TimeSpan watch, string? message = null)
    {
        await Task.Delay(settle);
        var before = (await Schedules.PurchasesAsync(client, id)).Count;
        await Task.Delay(watch);
        Assert.That((await Schedules.PurchasesAsync(client, id)).Count, Is.EqualTo(before), message);
        return before;
    }

    /// <remarks>
    /// The allowed purchases wait for approval and hold every purchase thread (Worker:Concurrency is 2): fires keep
    /// coming only because schedules have a thread and execution group of their own.
    /// </remarks>
    [Test]
    public async Task EverySecond_CreatesPurchasesWithScheduleId_UntilTheDailyBudgetRefusesThem()
    {
        var (client, _) = await AgentAsync(new AgentPolicy { DailyBudget = 3 * 2400 });
        var id = Id(await Schedules.CreateAsync(client, Schedules.Body(_service, name: "budgeted", cron: EverySecond, timeZone: "UTC")));
        try
        {
            var purchases = await Schedules.WaitForPurchasesAsync(client, id, 5, TimeSpan.FromSeconds(30));
            var oldestFirst = purchases.OrderBy(p => p.GetProperty("created_at").GetDateTimeOffset()).ToList();
            var timelines = new List<JsonElement>();
            foreach (var purchase in oldestFirst)
            {
                Assert.That(purchase.GetProperty("schedule_id").GetString(), Is.EqualTo(id));
                timelines.Add(await client.GetFromJsonAsync<JsonElement>($"/v1/purchases/{purchase.GetProperty("id").GetString()}"));
            }
            string Policy(JsonElement p) => p.GetProperty("timeline").EnumerateArray().First(e => e.GetProperty("kind").GetString() == "policy")
                .GetProperty("message").GetString()!;
            Assert.Multiple(() =>
            {
                for (var i = 0; i < 3; i++)
                {
                    Assert.That(Policy(timelines[i]), Does.StartWith("allowed"), timelines[i].ToString());
                    Assert.That(timelines[i].GetProperty("status").GetString(), Is.Not.EqualTo("failed"), timelines[i].ToString());
                    Assert.That(timelines[i].GetProperty("timeline")[0].GetProperty("message").GetString(), Does.Contain($"by schedule {id}"));
                }
                for (var i = 3; i < timelines.Count; i++)
                {
                    Assert.That(Policy(timelines[i]), Does.StartWith("refused (daily_budget)"), timelines[i].ToString());
                    Assert.That(timelines[i].GetProperty("status").GetString(), Is.EqualTo("failed"));
                    Assert.That(timelines[i].GetProperty("outcome").GetProperty("code").GetString(), Is.EqualTo("policy_refused"));
                }
            });
        }
        finally
        {
            await client.DeleteAsync($"/v1/schedules/{id}");
        }
    }

    [Test]
    public async Task Pause_StopsFiring_Resume_StartsAgain()
    {
        var (client, _) = await AgentAsync();
        var id = await FiringEverySecondAsync(client, "pausable");
        try
        {
            using (var pause = await client.PostAsync($"/v1/schedules/{id}/pause", null))
            {
                Assert.That(pause.IsSuccessStatusCode, Is.True);
            }
            // A fire already under way when the pause landed may still finish.
            var whilePaused = await AssertNoMorePurchasesAsync(client, id, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3), "no fire while paused");

            using (var resume = await client.PostAsync($"/v1/schedules/{id}/resume", null))
            {
                Assert.That(resume.IsSuccessStatusCode, Is.True);
            }
            var after = await Schedules.WaitForPurchasesAsync(client, id, whilePaused + 2, TimeSpan.FromSeconds(15));
            Assert.That(after, Has.Count.GreaterThanOrEqualTo(whilePaused + 2));
        }
        finally
        {
            await client.DeleteAsync($"/v1/schedules/{id}");
        }
    }

    [Test]
    public async Task Delete_RemovesTheQuartzJob_AndFiringStops()
    {
        var (client, _) = await AgentAsync();
        var id = await FiringEverySecondAsync(client, "deletable");
        using (var delete = await client.DeleteAsync($"/v1/schedules/{id}"))
        {
            Assert.That(delete.IsSuccessStatusCode, Is.True);
        }
        var scheduler = await _service.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.That(await scheduler.Exists(new JobKey(id, ScheduleFireJob.Group)), Is.False);
        Assert.That(await scheduler.GetTrigger(new TriggerKey(id, ScheduleFireJob.Group)), Is.Null);
        await AssertNoMorePurchasesAsync(client, id, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(2500));
    }

    [Test]
    public async Task Fire_SameScheduledTimeTwice_MakesOnePurchase()
    {
        var (client, agent) = await AgentAsync();
        var id = Id(await Schedules.CreateAsync(client, Schedules.Body(_service, name: "yearly", cron: "0 0 9 1 1 ?")));
        var at = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

        var first = await Service.FireAsync(id, at, CancellationToken.None);
        var again = await Service.FireAsync(id, at.ToOffset(TimeSpan.FromHours(1)), CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(first!.StatusCode, Is.EqualTo(201));
            Assert.That(first.Replayed, Is.False);
            Assert.That(again!.Replayed, Is.True, "the same instant, however written, is the same fire");
            Assert.That(again.PurchaseId, Is.EqualTo(first.PurchaseId));
        });
        Assert.That(await Schedules.PurchasesAsync(client, id), Has.Count.EqualTo(1));

        var next = await Service.FireAsync(id, at.AddDays(7), CancellationToken.None);
        Assert.That(next!.PurchaseId, Is.Not.EqualTo(first!.PurchaseId), "another fire time is another purchase");
        Assert.That(await Schedules.PurchasesAsync(client, id), Has.Count.EqualTo(2));

        await client.PostAsync($"/v1/schedules/{id}/pause", null);
        Assert.That(await Service.FireAsync(id, at.AddDays(14), CancellationToken.None), Is.Null, "a paused schedule skips");
        await client.PostAsync($"/v1/schedules/{id}/resume", null);
        await _service.Agents.RevokeAsync(agent.Agent.Name, CancellationToken.None);
        Assert.That(await Service.FireAsync(id, at.AddDays(21), CancellationToken.None), Is.Null, "a revoked agent's schedule skips");
        // The revoked agent's token no longer reads its purchases: count them in the store.
        var (page, _) = await _service.Store.ListAsync(new PurchaseQuery { ScheduleId = id, Limit = 100 }, CancellationToken.None);
        Assert.That(page, Has.Count.EqualTo(2));
    }
}
