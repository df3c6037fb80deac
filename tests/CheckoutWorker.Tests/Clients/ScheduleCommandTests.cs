using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Tests.Clients;

/// <summary>
/// <c>checkout-agent schedule …</c>. The schedules API is built on another branch, so these run against a small Kestrel
/// stub of its documented shape: they check the requests the CLI sends and how it prints answers and errors.
/// </summary>
public class ScheduleCommandTests
{
    private const string Token = "cat_stub_token";

    private WebApplication _stub = null!;
    private string _server = "";
    private readonly ConcurrentQueue<(string Method, string Path, string? Authorization, string Body)> _requests = new();
    private volatile int _failWith;

    private static readonly object Schedule = new
    {
        id = "sch_1", @object = "schedule", name = "weekly beans", cron = "0 9 * * MON", time_zone = "Europe/Paris", paused = false,
        purchase = new { recipe = "demo-shop", amount = 2400, currency = "usd", items = new[] { new { name = "Beans", quantity = 1, unit_amount = 2400 } } },
        next_fire_at = "2026-11-23T08:00:00Z", created_at = "2026-11-20T10:00:00Z", updated_at = "2026-11-20T10:00:00Z",
    };

    [OneTimeSetUp]
    public async Task StartStub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _stub = builder.Build();
        _stub.Use(async (http, next) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            _requests.Enqueue((http.Request.Method, http.Request.Path + http.Request.QueryString, http.Request.Headers.Authorization.ToString(), await reader.ReadToEndAsync()));
            if (_failWith == 422)
            {
                http.Response.StatusCode = 422;
                await http.Response.WriteAsJsonAsync(new
                {
                    error = new { code = "invalid_field", message = "cron must be a cron expression such as 0 9 * * MON", field = "cron" },
                    errors = new[]
                    {
                        new { code = "invalid_field", message = "cron must be a cron expression such as 0 9 * * MON", field = "cron" },
                        new { code = "invalid_field", message = "time_zone must be an IANA time zone", field = "time_zone" },
                    },
                });
                return;
            }
            if (_failWith == 500)
            {
                http.Response.StatusCode = 500;
                return;
            }
            await next(http);
        });
        _stub.MapPost("/v1/schedules", () => Results.Json(Schedule, statusCode: 201));
        _stub.MapGet("/v1/schedules", (HttpRequest request) => Results.Json(new { @object = "list", data = new[] { Schedule }, has_more = false }));
        _stub.MapGet("/v1/schedules/{id}", (string id) => id == "sch_1" ? Results.Json(Schedule)
            : Results.Json(new { error = new { code = "not_found", message = $"no schedule '{id}' among this agent's schedules" } }, statusCode: 404));
        _stub.MapPost("/v1/schedules/{id}/pause", (string id) => Results.Json(new { id, @object = "schedule", name = "weekly beans", cron = "0 9 * * MON", paused = true }));
        _stub.MapPost("/v1/schedules/{id}/resume", (string id) => Results.Json(Schedule));
        _stub.MapDelete("/v1/schedules/{id}", (string id) => Results.Json(new { id, @object = "schedule", deleted = true }));
        await _stub.StartAsync();
        _server = _stub.Urls.First();
    }

    [OneTimeTearDown]
    public async Task StopStub() => await _stub.DisposeAsync();

    [SetUp]
    public void Reset()
    {
        _requests.Clear();
        _failWith = 0;
    }

    private Task<CliRun> Run(params string[] args) => ClientCli.RunAsync([.. args, "--server", _server, "--token", Token]);

    private static string PurchaseFile(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"checkout-agent-schedule-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Test]
    public async Task Create_sends_name_cron_time_zone_and_the_purchase_body_with_the_token()
    {
        var file = PurchaseFile("""{"recipe":"demo-shop","amount":2400,"items":[{"name":"Beans","quantity":1,"unit_amount":2400}]}""");
        try
        {
            var run = await Run("schedule", "create", "--name", "weekly beans", "--cron", "0 9 * * MON", "--time-zone", "Europe/Paris", "--body", file);

            Assert.That(run.Code, Is.Zero, run.ToString());
            Assert.That(_requests.TryDequeue(out var request), Is.True);
            Assert.That((request.Method, request.Path, request.Authorization), Is.EqualTo(("POST", "/v1/schedules", $"Bearer {Token}")));
            using var body = JsonDocument.Parse(request.Body);
            Assert.That(body.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "name", "cron", "purchase", "time_zone" }));
            Assert.That(body.RootElement.GetProperty("cron").GetString(), Is.EqualTo("0 9 * * MON"));
            Assert.That(body.RootElement.GetProperty("purchase").GetProperty("items")[0].GetProperty("unit_amount").GetInt32(), Is.EqualTo(2400));
            Assert.That(run.Out, Does.StartWith("created schedule sch_1").And.Contain("cron:      0 9 * * MON (Europe/Paris)")
                .And.Contain("next fire: 2026-11-23 08:00:00Z").And.Contain("purchase:  demo-shop, $24.00, 1 item(s)"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Create_without_a_time_zone_leaves_it_to_the_server_and_json_prints_the_api_json()
    {
        var file = PurchaseFile("""{"recipe":"demo-shop"}""");
        try
        {
            var run = await Run("schedule", "create", "--name", "n", "--cron", "0 9 * * *", "--body", file, "--json");

            Assert.That(run.Code, Is.Zero, run.ToString());
            _requests.TryDequeue(out var request);
            Assert.That(request.Body, Does.Not.Contain("time_zone"));
            Assert.That(run.Json().GetProperty("id").GetString(), Is.EqualTo("sch_1"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestCase(new[] { "schedule", "create", "--name", "n", "--body", "x.json" }, "--cron")]
    [TestCase(new[] { "schedule", "create", "--cron", "0 9 * * *", "--body", "x.json" }, "--name")]
    [TestCase(new[] { "schedule", "create", "--name", "n", "--cron", "0 9 * * *" }, "--body")]
    [TestCase(new[] { "schedule", "get" }, "Required argument missing for command: 'get'")]
    [TestCase(new[] { "schedule", "pause", "" }, "ID must not be empty")]
    public async Task Missing_arguments_are_refused_by_name_before_any_call(string[] args, string named)
    {
        var run = await Run(args);

        Assert.That(run.Code, Is.Not.Zero);
        Assert.That(run.Err, Does.Contain(named));
        Assert.That(_requests, Is.Empty);
    }

    [TestCase("""{"name":"n","cron":"0 9 * * *","purchase":{"recipe":"demo-shop"}}""", "must hold the purchase itself")]
    [TestCase("""{"recipe": demo}""", "is not valid JSON at line 1")]
    [TestCase("""["demo-shop"]""", "must hold a JSON object")]
    public async Task A_body_that_is_not_a_purchase_is_refused(string json, string message)
    {
        var file = PurchaseFile(json);
        try
        {
            var run = await Run("schedule", "create", "--name", "n", "--cron", "0 9 * * *", "--body", file);

            Assert.That(run.Code, Is.EqualTo(2), run.ToString());
            Assert.That(run.Err, Does.StartWith("error: ").And.Contain(message));
            Assert.That(_requests, Is.Empty);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task List_prints_a_table()
    {
        var run = await Run("schedule", "list");

        Assert.That(run.Code, Is.Zero, run.ToString());
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("ID").And.Contains("CRON").And.Contains("NEXT FIRE"));
        Assert.That(lines[1], Does.StartWith("sch_1").And.Contains("active").And.Contains("Europe/Paris").And.EndWith("weekly beans"));
    }

    [TestCase("get", "GET", "/v1/schedules/sch_1", "schedule sch_1  active")]
    [TestCase("pause", "POST", "/v1/schedules/sch_1/pause", "schedule sch_1 paused")]
    [TestCase("resume", "POST", "/v1/schedules/sch_1/resume", "schedule sch_1 resumed")]
    [TestCase("delete", "DELETE", "/v1/schedules/sch_1", "schedule sch_1 deleted")]
    public async Task Verbs_on_one_schedule_call_its_endpoint(string verb, string method, string path, string printed)
    {
        var run = await Run("schedule", verb, "sch_1");

        Assert.That(run.Code, Is.Zero, run.ToString());
        Assert.That(_requests.Select(r => (r.Method, r.Path)), Is.EqualTo(new[] { (method, path) }));
        Assert.That(run.Out, Does.StartWith(printed));
    }

    [Test]
    public async Task Delete_with_json_prints_the_deleted_object()
    {
        var run = await Run("schedule", "delete", "sch_1", "--json");

        Assert.That(run.Json().GetProperty("deleted").GetBoolean(), Is.True);
    }

    [Test]
    public async Task An_unknown_schedule_is_not_found_with_exit_2()
    {
        var run = await Run("schedule", "get", "sch_nope");

        Assert.That(run.Code, Is.EqualTo(2));
        Assert.That(run.Err, Is.EqualTo("error: not_found: no schedule 'sch_nope' among this agent's schedules" + Environment.NewLine));
    }

    [Test]
    public async Task Validation_errors_print_every_problem_with_its_field_and_exit_2()
    {
        _failWith = 422;
        var file = PurchaseFile("""{"recipe":"demo-shop"}""");
        try
        {
            var run = await Run("schedule", "create", "--name", "n", "--cron", "every day", "--time-zone", "Mars/Olympus", "--body", file);

            Assert.That(run.Code, Is.EqualTo(2));
            Assert.That(run.Err.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
            {
                "error: invalid_field (cron): cron must be a cron expression such as 0 9 * * MON",
                "error: invalid_field (time_zone): time_zone must be an IANA time zone",
            }));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task A_server_error_exits_3()
    {
        _failWith = 500;

        var run = await Run("schedule", "list");

        Assert.That(run.Code, Is.EqualTo(3));
        Assert.That(run.Err, Does.StartWith("error: http_500: GET /v1/schedules failed with HTTP 500"));
    }

    [Test]
    public async Task A_server_without_the_schedules_api_says_so()
    {
        // The real serve of this branch maps no /v1/schedules routes yet: a bare 404 without the API's error body.
        await using var service = await Service.TestService.StartAsync();
        var (_, agent) = await service.AddAgentAsync("scheduler");

        var run = await ClientCli.RunAsync("schedule", "get", "sch_1", "--server", service.BaseAddress.ToString(), "--token", agent.Token);

        Assert.That(run.Code, Is.EqualTo(2), run.ToString());
        Assert.That(run.Err, Does.Contain("error: not_found"));
    }
}
