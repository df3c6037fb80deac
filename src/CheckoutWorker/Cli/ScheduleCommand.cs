using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using CheckoutAgent.Worker.Client;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Worker.Cli;

/// <summary><c>checkout-agent schedule create|list|get|pause|resume|delete</c>: recurring purchases through the HTTP API.</summary>
internal static class ScheduleCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = new Command("schedule",
            "Recurring purchases on a running 'checkout-agent serve': each time the cron expression fires, the purchase is queued " +
            $"as if the agent had sent it (same policy, same approval in Link). Needs --token or ${CheckoutApiClient.TokenVariable} " +
            "with the schedules:write scope. Exit codes: 0 ok, 2 refused (bad arguments or 4xx), 3 server unreachable or 5xx.")
        {
            CreateVerb(options), List(options), Get(options),
            Action(options, "pause", "Pause a schedule: it stops firing until resumed.", (api, id, ct) => api.PauseScheduleAsync(id, ct), "paused"),
            Action(options, "resume", "Resume a paused schedule: it fires again from its next cron time (missed times are not caught up).",
                (api, id, ct) => api.ResumeScheduleAsync(id, ct), "resumed"),
            Action(options, "delete", "Delete a schedule: it never fires again. Purchases it already created stay.",
                (api, id, ct) => api.DeleteScheduleAsync(id, ct), "deleted"),
        };
        options.AddTo(command);
        return command;
    }

    private static Command CreateVerb(ClientOptions options)
    {
        var name = new Option<string>("--name") { Description = "A name you recognise, e.g. 'weekly coffee beans'.", Required = true, HelpName = "NAME" };
        var cron = new Option<string>("--cron")
        {
            Description = "When it fires, as a cron expression, e.g. '0 9 * * MON' (quote it).",
            Required = true,
            HelpName = "EXPR",
        };
        var timeZone = new Option<string?>("--time-zone")
        {
            Description = "IANA time zone the cron expression is read in, e.g. Europe/Paris (the server's default when omitted).",
            HelpName = "TZ",
        };
        var body = new Option<string>("--body")
        {
            Description = "The purchase each firing queues, as a JSON file (the POST /v1/purchases body); '-' reads stdin.",
            Required = true,
            HelpName = "FILE.json",
        };
        var command = new Command("create", "Create a schedule that queues the purchase in --body each time --cron fires.") { name, cron, timeZone, body };
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var parse = client.Parse;
            var scheduleName = parse.GetValue(name)!.Trim();
            var expression = parse.GetValue(cron)!.Trim();
            if (scheduleName.Length == 0)
            {
                throw new UsageException("--name must not be empty");
            }
            if (expression.Length == 0)
            {
                throw new UsageException("--cron must not be empty; e.g. --cron '0 9 * * MON'");
            }
            var purchase = await ClientOptions.ReadJsonFileAsync(parse.GetValue(body)!, "--body", cancellationToken);
            if (purchase.TryGetProperty("purchase", out _) || purchase.TryGetProperty("cron", out _))
            {
                throw new UsageException("--body must hold the purchase itself (recipe, items, amount, …), not a whole schedule; name and cron come from --name and --cron");
            }
            var request = new JsonObject
            {
                ["name"] = scheduleName,
                ["cron"] = expression,
                ["purchase"] = JsonNode.Parse(purchase.GetRawText()),
            };
            if (parse.GetValue(timeZone) is { Length: > 0 } zone)
            {
                request["time_zone"] = zone;
            }
            var schedule = await client.Api.CreateScheduleAsync(JsonSerializer.SerializeToElement(request), cancellationToken);
            if (client.Json)
            {
                client.WriteJson(schedule);
                return ClientExitCodes.Ok;
            }
            await client.Out.WriteLineAsync($"created schedule {ClientOptions.Text(schedule, "id")}");
            WriteSchedule(client.Out, schedule);
            return ClientExitCodes.Ok;
        });
        return command;
    }

    private static Command List(ClientOptions options)
    {
        var command = new Command("list", "This agent's schedules, one per line.");
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var list = await client.Api.ListSchedulesAsync(cancellationToken);
            if (client.Json)
            {
                client.WriteJson(list);
                return ClientExitCodes.Ok;
            }
            var rows = list.ValueKind == JsonValueKind.Object && list.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
                ? data.EnumerateArray().ToList()
                : [];
            if (rows.Count == 0)
            {
                await client.Out.WriteLineAsync("no schedules: checkout-agent schedule create --name NAME --cron '0 9 * * MON' --body purchase.json");
                return ClientExitCodes.Ok;
            }
            await client.Out.WriteLineAsync($"{"ID",-30} {"STATE",-7} {"CRON",-20} {"TIME ZONE",-20} {"NEXT FIRE",-20} NAME");
            foreach (var row in rows)
            {
                await client.Out.WriteLineAsync(
                    $"{ClientOptions.Text(row, "id"),-30} {State(row),-7} {ClientOptions.Text(row, "cron"),-20} {ClientOptions.Text(row, "time_zone") ?? "-",-20} " +
                    $"{ClientOptions.Time(row, "next_fire_at"),-20} {ClientOptions.Text(row, "name")}");
            }
            return ClientExitCodes.Ok;
        });
        return command;
    }

    private static Command Get(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("get", "Show a schedule: its cron, time zone, next firing and the purchase it queues.") { id };
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var schedule = await client.Api.GetScheduleAsync(client.Parse.GetValue(id)!, cancellationToken);
            if (client.Json)
            {
                client.WriteJson(schedule);
            }
            else
            {
                WriteSchedule(client.Out, schedule);
            }
            return ClientExitCodes.Ok;
        });
        return command;
    }

    private static Command Action(ClientOptions options, string verb, string description,
        Func<CheckoutApiClient, string, CancellationToken, Task<JsonElement>> call, string done)
    {
        var id = IdArgument();
        var command = new Command(verb, description) { id };
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var scheduleId = client.Parse.GetValue(id)!;
            var result = await call(client.Api, scheduleId, cancellationToken);
            if (client.Json)
            {
                client.WriteJson(result);
                return ClientExitCodes.Ok;
            }
            await client.Out.WriteLineAsync($"schedule {ClientOptions.Text(result, "id") ?? scheduleId} {done}");
            if (verb != "delete")
            {
                WriteSchedule(client.Out, result);
            }
            return ClientExitCodes.Ok;
        });
        return command;
    }

    private static Argument<string> IdArgument()
    {
        var id = new Argument<string>("ID") { Description = "The schedule id (sch_…)." };
        id.Validators.Add(r =>
        {
            if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>()))
            {
                r.AddError("ID must not be empty: give a schedule id such as sch_… ('checkout-agent schedule list' shows them).");
            }
        });
        return id;
    }

    private static string State(JsonElement schedule) =>
        schedule.TryGetProperty("paused", out var paused) && paused.ValueKind == JsonValueKind.True ? "paused" : "active";

    private static void WriteSchedule(TextWriter output, JsonElement schedule)
    {
        output.WriteLine($"schedule {ClientOptions.Text(schedule, "id")}  {State(schedule)}  \"{ClientOptions.Text(schedule, "name")}\"");
        output.WriteLine($"  cron:      {ClientOptions.Text(schedule, "cron")} ({ClientOptions.Text(schedule, "time_zone") ?? "server time zone"})");
        output.WriteLine($"  next fire: {(State(schedule) == "paused" ? "- (paused)" : ClientOptions.Time(schedule, "next_fire_at"))}");
        if (schedule.TryGetProperty("purchase", out var purchase) && purchase.ValueKind == JsonValueKind.Object)
        {
            var amount = ClientOptions.Number(purchase, "amount") is { } cents ? Money.Format(cents, ClientOptions.Text(purchase, "currency") ?? "usd") : "-";
            var items = purchase.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Array ? list.GetArrayLength() : 0;
            output.WriteLine($"  purchase:  {ClientOptions.Text(purchase, "recipe")}, {amount}, {items} item(s)");
        }
        output.WriteLine($"  created:   {ClientOptions.Time(schedule, "created_at")}");
    }
}
