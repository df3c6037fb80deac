using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Worker.Cli;

/// <summary>
/// <c>checkout-agent agent add|revoke|list|policy</c> and <c>pause</c>/<c>resume</c>: the owner's verbs. They work on the
/// data directory's database directly, whether or not <c>serve</c> is running: whoever can read that folder owns the
/// worker anyway, and it avoids needing a token to make the first token.
/// </summary>
internal static class AgentCommand
{
    public static Command Create() => new("agent", "Create, list, limit and revoke the agents (tokens) that may queue purchases.")
    {
        Add(), Revoke(), List(), Policy(),
    };

    public static Command Pause(bool paused)
    {
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command(paused ? "pause" : "resume", paused
            ? "Global pause: every new purchase is refused by policy and queued ones stop before Link is asked. Running checkouts finish."
            : "Turn the global pause off: purchases are accepted again.")
        {
            dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var store = Open(parse.GetValue(dataDir)!);
            await store.SetPausedAsync(paused, cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine(paused ? "purchasing paused: new purchases are refused until 'checkout-agent resume'" : "purchasing resumed");
            return 0;
        });
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "Agent name: lower-case letters, digits, '.', '_' or '-' (e.g. shopping-bot)." };
        var scopes = new Option<string>("--scopes")
        {
            Description = $"Comma-separated scopes: {string.Join(", ", Scopes.All)}.",
            Required = true,
        };
        var (max, daily, monthly, merchants) = PolicyOptions();
        var json = Json();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("add", "Create an agent and print its bearer token and webhook signing secret, once: they are not shown again.")
        {
            name, scopes, max, daily, monthly, merchants, json, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (parsed, error) = Scopes.Parse(parse.GetValue(scopes) ?? "");
            if (error is not null)
            {
                return Fail(parse, $"--scopes: {error}");
            }
            if (!ReadPolicy(parse, max, daily, monthly, merchants, new AgentPolicy(), out var policy, out var policyError))
            {
                return Fail(parse, policyError!);
            }
            try
            {
                var created = await Open(parse.GetValue(dataDir)!).AddAsync(parse.GetValue(name)!, parsed, policy, cancellationToken);
                if (parse.GetValue(json))
                {
                    parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(new
                    {
                        id = created.Agent.Id, name = created.Agent.Name, scopes = created.Agent.Scopes, token = created.Token,
                        webhook_secret = created.Agent.WebhookSecret, policy = created.Agent.Policy,
                    }));
                }
                else
                {
                    parse.InvocationConfiguration.Output.WriteLine($"agent {created.Agent.Name} ({created.Agent.Id}) scopes: {string.Join(", ", created.Agent.Scopes)}");
                    parse.InvocationConfiguration.Output.WriteLine($"policy: {Describe(created.Agent.Policy)}");
                    parse.InvocationConfiguration.Output.WriteLine($"token:          {created.Token}");
                    parse.InvocationConfiguration.Output.WriteLine($"webhook secret: {created.Agent.WebhookSecret}");
                    parse.InvocationConfiguration.Output.WriteLine("Both are shown only now: store them where the agent reads its secrets.");
                }
                return 0;
            }
            catch (ArgumentException ex)
            {
                return Fail(parse, ex.Message.Split(" (Parameter")[0]);
            }
        });
        return command;
    }

    private static Command Revoke()
    {
        var name = new Argument<string>("NAME") { Description = "The agent to revoke." };
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("revoke", "Revoke an agent's token at once (its purchases and schedules stay; its schedules stop creating purchases).")
        {
            name, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var agentName = parse.GetValue(name)!;
            if (!await Open(parse.GetValue(dataDir)!).RevokeAsync(agentName, cancellationToken))
            {
                return Fail(parse, $"no live agent named '{agentName}'; 'checkout-agent agent list' shows them");
            }
            parse.InvocationConfiguration.Output.WriteLine($"agent {agentName} revoked: its token no longer works");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var json = Json();
        var dataDir = CommonOptions.DataDirectory();
        var all = new Option<bool>("--all") { Description = "Include revoked agents." };
        var command = new Command("list", "List agents with their scopes and policies (never their tokens, which are stored only as hashes).")
        {
            json, all, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var agents = (await Open(parse.GetValue(dataDir)!).ListAsync(cancellationToken))
                .Where(a => parse.GetValue(all) || a.RevokedAt is null).ToList();
            if (parse.GetValue(json))
            {
                parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(agents.Select(a => new
                {
                    id = a.Id, name = a.Name, scopes = a.Scopes, policy = a.Policy, created_at = a.CreatedAt, revoked_at = a.RevokedAt,
                })));
                return 0;
            }
            if (agents.Count == 0)
            {
                parse.InvocationConfiguration.Output.WriteLine("no agents yet: checkout-agent agent add NAME --scopes purchases:write,purchases:read");
            }
            foreach (var agent in agents)
            {
                var revoked = agent.RevokedAt is { } at ? $"  REVOKED {at:u}" : "";
                parse.InvocationConfiguration.Output.WriteLine($"{agent.Name,-24} {string.Join(",", agent.Scopes),-50} {Describe(agent.Policy)}{revoked}");
            }
            return 0;
        });
        return command;
    }

    private static Command Policy()
    {
        var name = new Argument<string>("NAME") { Description = "The agent whose limits change." };
        var (max, daily, monthly, merchants) = PolicyOptions();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("policy", "Change an agent's limits; options not given keep their value, 'none' removes a limit.")
        {
            name, max, daily, monthly, merchants, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var store = Open(parse.GetValue(dataDir)!);
            var agentName = parse.GetValue(name)!;
            if (await store.GetByNameAsync(agentName, cancellationToken) is not { RevokedAt: null } agent)
            {
                return Fail(parse, $"no live agent named '{agentName}'; 'checkout-agent agent list' shows them");
            }
            if (!ReadPolicy(parse, max, daily, monthly, merchants, agent.Policy, out var policy, out var error))
            {
                return Fail(parse, error!);
            }
            await store.SetPolicyAsync(agentName, policy, cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine($"agent {agentName} policy: {Describe(policy)}");
            return 0;
        });
        return command;
    }

    private static (Option<string?> Max, Option<string?> Daily, Option<string?> Monthly, Option<string?> Merchants) PolicyOptions() => (
        new Option<string?>("--max-per-purchase") { Description = "Largest single purchase, in dollars (e.g. 49.99), or 'none'." },
        new Option<string?>("--daily-budget") { Description = "Most this agent may have spent or in flight per UTC day, in dollars, or 'none'." },
        new Option<string?>("--monthly-budget") { Description = "The same per UTC month, in dollars, or 'none'." },
        new Option<string?>("--merchants") { Description = "Comma-separated merchant hosts it may buy from (shop.example.com, *.example.com), or 'any'." });

    private static bool ReadPolicy(ParseResult parse, Option<string?> max, Option<string?> daily, Option<string?> monthly, Option<string?> merchants,
        AgentPolicy current, out AgentPolicy policy, out string? error)
    {
        var result = current;
        policy = current;
        error = null;
        foreach (var (option, apply) in new (Option<string?>, Func<long?, AgentPolicy>)[]
                 {
                     (max, v => result with { MaxPerPurchase = v }),
                     (daily, v => result with { DailyBudget = v }),
                     (monthly, v => result with { MonthlyBudget = v }),
                 })
        {
            if (parse.GetValue(option) is not { } text)
            {
                continue;
            }
            if (text == "none")
            {
                result = apply(null);
                continue;
            }
            if (!decimal.TryParse(text.TrimStart('$'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var dollars) || dollars <= 0 || decimal.Round(dollars, 2) != dollars)
            {
                error = $"{option.Name}: give an amount in dollars with at most 2 decimals, such as 49.99, or 'none'; got '{text}'";
                return false;
            }
            result = apply((long)(dollars * 100));
        }
        if (parse.GetValue(merchants) is { } hosts)
        {
            var list = hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            var bad = list.Where(h => Uri.CheckHostName(h.StartsWith("*.", StringComparison.Ordinal) ? h[2..] : h) == UriHostNameType.Unknown).ToList();
            if (hosts != "any" && (list.Count == 0 || bad.Count > 0))
            {
                error = $"--merchants: give host names such as shop.example.com or *.example.com, comma-separated, or 'any'; not hosts: {string.Join(", ", bad.DefaultIfEmpty("(empty)"))}";
                return false;
            }
            result = result with { Merchants = hosts == "any" ? null : list };
        }
        policy = result;
        return true;
    }

    internal static string Describe(AgentPolicy policy)
    {
        var parts = new List<string>();
        if (policy.MaxPerPurchase is { } max)
        {
            parts.Add($"max {Money.Format(max, "usd")} per purchase");
        }
        if (policy.DailyBudget is { } daily)
        {
            parts.Add($"{Money.Format(daily, "usd")} per day");
        }
        if (policy.MonthlyBudget is { } monthly)
        {
            parts.Add($"{Money.Format(monthly, "usd")} per month");
        }
        parts.Add(policy.Merchants is { } merchants ? $"merchants {string.Join(", ", merchants)}" : "any merchant");
        return string.Join("; ", parts);
    }

    private static Option<bool> Json() => new("--json") { Description = "Print JSON instead of text." };

    private static AgentStore Open(string dataDirectory)
    {
        var database = StorageOptions.OpenDatabase(new WorkerOptions { DataDirectory = dataDirectory }.DatabasePath);
        database.Initialize();
        return new AgentStore(database, TimeProvider.System);
    }

    private static int Fail(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine($"error: {message}");
        return 2;
    }
}
