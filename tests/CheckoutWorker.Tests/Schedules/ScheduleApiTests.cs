using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Worker.Api;
using CheckoutAgent.Worker.Schedules;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace CheckoutAgent.Tests.Schedules;

/// <summary>The schedules API against the real service: create, list, get, pause, resume, delete, and every refusal.</summary>
[NonParallelizable]
public sealed class ScheduleApiTests
{
    private TestService _service = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _service = await TestService.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _service.DisposeAsync();

    private async Task<(HttpClient Client, string AgentId)> AgentAsync(string scopes = "purchases:write,purchases:read,schedules:write")
    {
        var (client, agent) = await _service.AddAgentAsync("sched-" + Guid.NewGuid().ToString("N")[..10], scopes);
        return (client, agent.Agent.Id);
    }

    private Task<IReadOnlyList<ScheduleRecord>> StoredAsync(string agentId) =>
        _service.Services.GetRequiredService<ScheduleStore>().ListByAgentAsync(agentId, CancellationToken.None);

    private async Task<bool> JobExistsAsync(string scheduleId)
    {
        var scheduler = await _service.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        return await scheduler.Exists(new JobKey(scheduleId, "schedules"));
    }

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, int status)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((int)response.StatusCode, Is.EqualTo(status), json.ToString());
        return json.GetProperty("error");
    }

    [Test]
    public async Task Crud_CreateListGetPauseResumeDelete_KeepsRowAndJobInStep()
    {
        var (client, agentId) = await AgentAsync();
        var body = Schedules.Body(_service);

        using var created = await client.PostAsJsonAsync("/v1/schedules", body);
        var schedule = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), schedule.ToString());
        var id = schedule.GetProperty("id").GetString()!;
        Assert.Multiple(() =>
        {
            Assert.That(created.Headers.Location?.ToString(), Is.EqualTo($"/v1/schedules/{id}"));
            Assert.That(id, Does.StartWith("sch_"));
            Assert.That(schedule.GetProperty("object").GetString(), Is.EqualTo("schedule"));
            Assert.That(schedule.GetProperty("name").GetString(), Is.EqualTo("weekly-coffee"));
            Assert.That(schedule.GetProperty("cron").GetString(), Is.EqualTo("0 0 9 ? * MON"));
            Assert.That(schedule.GetProperty("time_zone").GetString(), Is.EqualTo("Europe/Paris"));
            Assert.That(schedule.GetProperty("paused").GetBoolean(), Is.False);
            Assert.That(schedule.GetProperty("purchase").GetProperty("amount").GetInt64(), Is.EqualTo(2400));
            Assert.That(schedule.GetProperty("purchase").GetProperty("recipe").GetString(), Is.EqualTo("demo-shop"));
            Assert.That(schedule.GetProperty("next_fire_at").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UtcNow));
            Assert.That(schedule.GetProperty("created_at").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
        });
        Assert.That(await JobExistsAsync(id), Is.True);

        var list = await client.GetFromJsonAsync<JsonElement>("/v1/schedules");
        Assert.That(list.GetProperty("object").GetString(), Is.EqualTo("list"));
        Assert.That(list.GetProperty("has_more").GetBoolean(), Is.False);
        Assert.That(list.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetString()), Is.EqualTo(new[] { id }));
        var got = await client.GetFromJsonAsync<JsonElement>($"/v1/schedules/{id}");
        Assert.That(got.GetProperty("name").GetString(), Is.EqualTo("weekly-coffee"));

        using var pause = await client.PostAsync($"/v1/schedules/{id}/pause", null);
        var paused = await pause.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(pause.StatusCode, Is.EqualTo(HttpStatusCode.OK), paused.ToString());
        Assert.That(paused.GetProperty("paused").GetBoolean(), Is.True);
        Assert.That(paused.GetProperty("next_fire_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var scheduler = await _service.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.That(await scheduler.GetTriggerState(new TriggerKey(id, "schedules")), Is.EqualTo(TriggerState.Paused));
        Assert.That((await StoredAsync(agentId))[0].Paused, Is.True);

        using var resume = await client.PostAsync($"/v1/schedules/{id}/resume", null);
        var resumed = await resume.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(resumed.GetProperty("paused").GetBoolean(), Is.False);
        Assert.That(resumed.GetProperty("next_fire_at").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UtcNow));
        Assert.That(await scheduler.GetTriggerState(new TriggerKey(id, "schedules")), Is.Not.EqualTo(TriggerState.Paused));

        using var delete = await client.DeleteAsync($"/v1/schedules/{id}");
        var deleted = await delete.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.OK), deleted.ToString());
        Assert.That(deleted.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(deleted.GetProperty("object").GetString(), Is.EqualTo("schedule"));
        Assert.That(deleted.GetProperty("deleted").GetBoolean(), Is.True);
        Assert.That(await JobExistsAsync(id), Is.False, "the Quartz job goes with the schedule");
        Assert.That(await StoredAsync(agentId), Is.Empty);
        using var gone = await client.GetAsync($"/v1/schedules/{id}");
        Assert.That((await ErrorAsync(gone, 404)).GetProperty("code").GetString(), Is.EqualTo(ApiErrorCodes.NotFound));
    }

    [Test]
    public async Task Create_FiveFieldCrontab_IsStoredInQuartzForm()
    {
        var (client, _) = await AgentAsync();
        var schedule = await Schedules.CreateAsync(client, Schedules.Body(_service, cron: "30 4 * * 1", timeZone: null));
        Assert.That(schedule.GetProperty("cron").GetString(), Is.EqualTo("0 30 4 ? * MON"));
        Assert.That(schedule.GetProperty("time_zone").GetString(), Is.EqualTo("UTC"), "UTC when no time zone is given");
        var next = schedule.GetProperty("next_fire_at").GetDateTimeOffset();
        Assert.That((next.DayOfWeek, next.Hour, next.Minute, next.Second), Is.EqualTo((DayOfWeek.Monday, 4, 30, 0)));
    }

    [TestCase("Europe/Paris")]
    [TestCase("America/New_York")]
    [TestCase("Asia/Kolkata")]
    public async Task NextFireAt_DailyAtNine_IsNineOClockInTheScheduleTimeZone(string zoneId)
    {
        var (client, _) = await AgentAsync();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var before = DateTimeOffset.UtcNow;
        var schedule = await Schedules.CreateAsync(client, Schedules.Body(_service, name: "daily", cron: "0 0 9 * * ?", timeZone: zoneId));

        // The next 09:00 wall-clock time in that zone after now (09:00 is never inside a DST gap or overlap).
        var local = TimeZoneInfo.ConvertTime(before, zone).DateTime;
        var nine = local.Date.AddHours(9);
        if (nine <= local)
        {
            nine = nine.AddDays(1);
        }
        var expected = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(nine, DateTimeKind.Unspecified), zone), TimeSpan.Zero);
        Assert.That(schedule.GetProperty("next_fire_at").GetDateTimeOffset(), Is.EqualTo(expected));
    }

    [TestCase(2030, 1, 15)]  // winter time in Paris: UTC+1
    [TestCase(2030, 7, 15)]  // summer time: UTC+2
    [TestCase(2030, 3, 31)]  // the day clocks go forward, after the change
    [TestCase(2030, 10, 27)] // the day clocks go back, after the change
    public async Task NextFireAt_AcrossDaylightSaving_FollowsTheWallClock(int year, int month, int day)
    {
        var (client, _) = await AgentAsync();
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var schedule = await Schedules.CreateAsync(client,
            Schedules.Body(_service, name: "one-day", cron: $"0 0 9 {day} {month} ? {year}", timeZone: "Europe/Paris"));
        var expected = TimeZoneInfo.ConvertTimeToUtc(new DateTime(year, month, day, 9, 0, 0, DateTimeKind.Unspecified), zone);
        Assert.That(schedule.GetProperty("next_fire_at").GetDateTimeOffset(), Is.EqualTo(new DateTimeOffset(expected, TimeSpan.Zero)));
    }

    [TestCase("name", "Weekly Coffee", ApiErrorCodes.InvalidField)]
    [TestCase("name", "", ApiErrorCodes.InvalidField)]
    [TestCase("name", "a-name-of-sixty-four-characters-is-one-more-than-the-limit-of-63", ApiErrorCodes.InvalidField)]
    [TestCase("cron", "every monday at nine", ApiErrorCodes.InvalidField)]
    [TestCase("cron", "0 0 25 ? * MON", ApiErrorCodes.InvalidField)]
    [TestCase("cron", "61 0 9 ? * MON", ApiErrorCodes.InvalidField)]
    [TestCase("cron", "0 9 * *", ApiErrorCodes.InvalidField)]
    [TestCase("cron", "0 0 9 1 1 ? 2001", ApiErrorCodes.InvalidField)]
    [TestCase("time_zone", "Mars/Olympus_Mons", ApiErrorCodes.InvalidField)]
    [TestCase("time_zone", "+02:00", ApiErrorCodes.InvalidField)]
    [TestCase("colour", "blue", ApiErrorCodes.UnknownField)]
    public async Task Create_BadField_Is422NamingTheFieldAndStoresNothing(string field, string value, string code)
    {
        var (client, agentId) = await AgentAsync();
        var body = Schedules.Body(_service);
        body[field] = value;
        using var response = await client.PostAsJsonAsync("/v1/schedules", body);
        var error = await ErrorAsync(response, 422);
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("field").GetString(), Is.EqualTo(field));
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code));
        });
        if (field == "cron")
        {
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("0 0 9 ? * MON"), "the message shows an example");
        }
        Assert.That(await StoredAsync(agentId), Is.Empty);
    }

    [Test]
    public async Task Create_MissingFields_AreEachReported()
    {
        var (client, agentId) = await AgentAsync();
        using var response = await client.PostAsJsonAsync("/v1/schedules", new Dictionary<string, object?>());
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((int)response.StatusCode, Is.EqualTo(422), json.ToString());
        var fields = json.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("field").GetString(), e.GetProperty("code").GetString()));
        Assert.That(fields, Is.EquivalentTo(new[]
        {
            ("name", ApiErrorCodes.MissingField), ("cron", ApiErrorCodes.MissingField), ("purchase", ApiErrorCodes.MissingField),
        }));
        Assert.That(await StoredAsync(agentId), Is.Empty);
    }

    [Test]
    public async Task Create_NestedPurchaseErrors_CarryPurchasePaths()
    {
        var (client, agentId) = await AgentAsync();
        var body = Schedules.Body(_service);
        var purchase = _service.PurchaseBody();
        purchase["items"] = new[] { new Dictionary<string, object?> { ["name"] = "Dripper", ["quantity"] = 0 } };
        purchase.Remove("context");
        purchase["gift_wrap"] = true;
        body["purchase"] = purchase;
        using var response = await client.PostAsJsonAsync("/v1/schedules", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((int)response.StatusCode, Is.EqualTo(422), json.ToString());
        var fields = json.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.That(fields, Is.SupersetOf(new[] { "purchase.items[0].quantity", "purchase.context", "purchase.gift_wrap" }));
        Assert.That(await StoredAsync(agentId), Is.Empty);
    }

    [Test]
    public async Task Create_PurchaseNotAnObject_Is422OnPurchase()
    {
        var (client, agentId) = await AgentAsync();
        var body = Schedules.Body(_service);
        body["purchase"] = "coffee";
        using var response = await client.PostAsJsonAsync("/v1/schedules", body);
        Assert.That((await ErrorAsync(response, 422)).GetProperty("field").GetString(), Is.EqualTo("purchase"));
        Assert.That(await StoredAsync(agentId), Is.Empty);
    }

    [Test]
    public async Task Create_UnknownRecipe_Is422OnPurchaseRecipe()
    {
        var (client, agentId) = await AgentAsync();
        var body = Schedules.Body(_service);
        ((Dictionary<string, object?>)body["purchase"]!)["recipe"] = "no-such-shop";
        using var response = await client.PostAsJsonAsync("/v1/schedules", body);
        var error = await ErrorAsync(response, 422);
        Assert.That(error.GetProperty("field").GetString(), Is.EqualTo("purchase.recipe"));
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(ApiErrorCodes.UnknownRecipe));
        Assert.That(await StoredAsync(agentId), Is.Empty);
    }

    [Test]
    public async Task Create_DuplicateName_Is409AndKeepsTheFirst_OtherAgentsMayUseIt()
    {
        var (client, agentId) = await AgentAsync();
        var first = await Schedules.CreateAsync(client, Schedules.Body(_service));
        using var again = await client.PostAsJsonAsync("/v1/schedules", Schedules.Body(_service, cron: "0 0 10 ? * TUE"));
        var error = await ErrorAsync(again, 409);
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(ApiErrorCodes.ScheduleNameTaken));
        Assert.That(error.GetProperty("field").GetString(), Is.EqualTo("name"));
        var stored = await StoredAsync(agentId);
        Assert.That(stored.Select(s => (s.Id, s.Cron)), Is.EqualTo(new[] { (first.GetProperty("id").GetString()!, "0 0 9 ? * MON") }));

        var (other, _) = await AgentAsync();
        await Schedules.CreateAsync(other, Schedules.Body(_service));
    }

    [Test]
    public async Task OtherAgentsSchedule_Is404ForEveryVerb_AndUntouched()
    {
        var (owner, ownerId) = await AgentAsync();
        var id = (await Schedules.CreateAsync(owner, Schedules.Body(_service))).GetProperty("id").GetString()!;
        var (stranger, _) = await AgentAsync();

        using (var get = await stranger.GetAsync($"/v1/schedules/{id}"))
        {
            Assert.That((await ErrorAsync(get, 404)).GetProperty("code").GetString(), Is.EqualTo(ApiErrorCodes.NotFound));
        }
        foreach (var verb in new[] { "pause", "resume" })
        {
            using var response = await stranger.PostAsync($"/v1/schedules/{id}/{verb}", null);
            await ErrorAsync(response, 404);
        }
        using (var delete = await stranger.DeleteAsync($"/v1/schedules/{id}"))
        {
            await ErrorAsync(delete, 404);
        }
        var list = await stranger.GetFromJsonAsync<JsonElement>("/v1/schedules");
        Assert.That(list.GetProperty("data").GetArrayLength(), Is.Zero);
        var stored = await StoredAsync(ownerId);
        Assert.That(stored.Single().Paused, Is.False);
        Assert.That(await JobExistsAsync(id), Is.True);
    }

    [Test]
    public async Task MissingScope_Is403_NoToken_Is401_AndNothingIsStored()
    {
        var (client, agentId) = await AgentAsync("purchases:write,purchases:read");
        using (var create = await client.PostAsJsonAsync("/v1/schedules", Schedules.Body(_service)))
        {
            Assert.That((await ErrorAsync(create, 403)).GetProperty("code").GetString(), Is.EqualTo(ApiErrorCodes.InsufficientScope));
        }
        using (var list = await client.GetAsync("/v1/schedules"))
        {
            await ErrorAsync(list, 403);
        }
        using (var anonymous = await _service.Client().PostAsJsonAsync("/v1/schedules", Schedules.Body(_service)))
        {
            await ErrorAsync(anonymous, 401);
        }
        Assert.That(await StoredAsync(agentId), Is.Empty);
    }

    [Test]
    public async Task OpenApi_DescribesTheScheduleOperations()
    {
        var document = await _service.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.That(paths.GetProperty("/v1/schedules").GetProperty("post").GetProperty("operationId").GetString(), Is.EqualTo("createSchedule"));
        Assert.That(paths.GetProperty("/v1/schedules/{id}").GetProperty("delete").GetProperty("operationId").GetString(), Is.EqualTo("deleteSchedule"));
    }
}
