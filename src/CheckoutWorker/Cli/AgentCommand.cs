using CheckoutAgent.Worker.Accounts;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Worker.Cli;

/// <summary>
/// <c>checkout-agent agent add|revoke|list|policy|rotate|rotate-webhook-secret|audit</c> and <c>pause</c>/<c>resume</c>: the owner's verbs. They work on the
/// data directory's database directly, whether or not <c>serve</c> is running: whoever can read that folder owns the
/// worker anyway, and it avoids needing a token to make the first token.
/// </summary>
internal static class AgentCommand
{
    public static Command Create() => new("agent", "Create, list, limit and revoke the agents (tokens) that may queue purchases.")
    {
        Add(), Revoke(), List(), Policy(), Rotate(), RotateWebhookSecret(), Audit(),
    };

    /// <summary>How long a rotated-out token keeps working unless <c>--grace</c> says otherwise.</summary>
    public static readonly TimeSpan DefaultTokenGrace = TimeSpan.FromMinutes(15);

    /// <summary>How long webhooks carry the previous secret's signature too unless <c>--grace</c> says otherwise.</summary>
    public static readonly TimeSpan DefaultWebhookSecretGrace = TimeSpan.FromHours(24);

    /// <summary>The longest grace period: a leaked secret should not outlive a week.</summary>
    public static readonly TimeSpan MaxGrace = TimeSpan.FromDays(7);

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
        var limits = PolicyOptions();
        var json = Json();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("add", "Create an agent and print its bearer token and webhook signing secret, once: they are not shown again.")
        {
            name, scopes, json, dataDir,
        };
        limits.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (parsed, error) = Scopes.Parse(parse.GetValue(scopes) ?? "");
            if (error is not null)
            {
                return Fail(parse, $"--scopes: {error}");
            }
            if (!ReadPolicy(parse, limits, new AgentPolicy(), out var policy, out var policyError))
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
        var limits = PolicyOptions();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("policy", "Change an agent's limits; options not given keep their value, 'none' removes a limit.")
        {
            name, dataDir,
        };
        limits.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var store = Open(parse.GetValue(dataDir)!);
            var agentName = parse.GetValue(name)!;
            if (await store.GetByNameAsync(agentName, cancellationToken) is not { RevokedAt: null } agent)
            {
                return Fail(parse, $"no live agent named '{agentName}'; 'checkout-agent agent list' shows them");
            }
            if (!ReadPolicy(parse, limits, agent.Policy, out var policy, out var error))
            {
                return Fail(parse, error!);
            }
            await store.SetPolicyAsync(agentName, policy, cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine($"agent {agentName} policy: {Describe(policy)}");
            return 0;
        });
        return command;
    }

    /// <summary>The policy's options, shared by <c>add</c> and <c>policy</c>.</summary>
    private sealed record LimitOptions(Option<string?> Max, Option<string?> Daily, Option<string?> Monthly, Option<string?> Merchants,
        Option<string?> RequestsPerSecond, Option<string?> PurchasesPerHour)
    {
        public void AddTo(Command command)
        {
            foreach (var option in new[] { Max, Daily, Monthly, Merchants, RequestsPerSecond, PurchasesPerHour })
            {
                command.Options.Add(option);
            }
        }
    }

    private static LimitOptions PolicyOptions() => new(
        new Option<string?>("--max-per-purchase") { Description = "Largest single purchase, in dollars (e.g. 49.99), or 'none'." },
        new Option<string?>("--daily-budget") { Description = "Most this agent may have spent or in flight per UTC day, in dollars, or 'none'." },
        new Option<string?>("--monthly-budget") { Description = "The same per UTC month, in dollars, or 'none'." },
        new Option<string?>("--merchants") { Description = "Comma-separated merchant hosts it may buy from (shop.example.com, *.example.com), or 'any'." },
        new Option<string?>("--max-requests-per-second")
        {
            Description = $"API requests a second across the agent's tokens (over it: 429 with Retry-After), or 'none'. Default {AgentPolicy.DefaultMaxRequestsPerSecond}.",
            HelpName = "N|none",
        },
        new Option<string?>("--max-purchases-per-hour")
        {
            Description = $"Purchases it may create in any 60 minutes (over it: 429 with Retry-After), or 'none'. Default {AgentPolicy.DefaultMaxPurchasesPerHour}.",
            HelpName = "N|none",
        });

    private static bool ReadPolicy(ParseResult parse, LimitOptions options, AgentPolicy current, out AgentPolicy policy, out string? error)
    {
        var result = current;
        policy = current;
        error = null;
        foreach (var (option, apply) in new (Option<string?>, Func<long?, AgentPolicy>)[]
                 {
                     (options.Max, v => result with { MaxPerPurchase = v }),
                     (options.Daily, v => result with { DailyBudget = v }),
                     (options.Monthly, v => result with { MonthlyBudget = v }),
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
        foreach (var (option, max, apply) in new (Option<string?>, int, Func<int?, AgentPolicy>)[]
                 {
                     (options.RequestsPerSecond, 10_000, v => result with { MaxRequestsPerSecond = v }),
                     (options.PurchasesPerHour, 100_000, v => result with { MaxPurchasesPerHour = v }),
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
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > max)
            {
                error = $"{option.Name}: give a whole number from 1 to {max}, or 'none' to lift the limit; got '{text}'";
                return false;
            }
            result = apply(count);
        }
        if (parse.GetValue(options.Merchants) is { } hosts)
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
        parts.Add(policy.MaxRequestsPerSecond is { } rate ? $"{rate} requests/s" : "no request limit");
        parts.Add(policy.MaxPurchasesPerHour is { } hourly ? $"{hourly} purchases/h" : "no purchase-rate limit");
        return string.Join("; ", parts);
    }

    private static Command Rotate()
    {
        var name = new Argument<string>("NAME") { Description = "The agent whose token is replaced." };
        var grace = Grace($"How long the old token keeps working, e.g. 1h, 30m, 90s, or 0 to stop it at once (default {Format(DefaultTokenGrace)}, at most 7d).");
        var json = Json();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("rotate", "Issue a new token and print it once; the old one keeps working for the grace period, then stops, so the agent switches without a failed request.")
        {
            name, grace, json, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var agentName = parse.GetValue(name)!;
            if (!TryParseGrace(parse.GetValue(grace), DefaultTokenGrace, out var period, out var error))
            {
                return Fail(parse, $"--grace: {error}");
            }
            if (await Open(parse.GetValue(dataDir)!).RotateTokenAsync(agentName, period, cancellationToken) is not { } token)
            {
                return Fail(parse, $"no live agent named '{agentName}'; 'checkout-agent agent list' shows them");
            }
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new { name = agentName, token, previous_token_grace_seconds = (long)period.TotalSeconds }));
                return 0;
            }
            output.WriteLine($"token:  {token}");
            output.WriteLine(period > TimeSpan.Zero
                ? $"the previous token of {agentName} keeps working for {Format(period)}, then stops: give the agent the new one before then"
                : $"the previous token of {agentName} stopped working");
            output.WriteLine("The new token is shown only now.");
            return 0;
        });
        return command;
    }

    private static Command RotateWebhookSecret()
    {
        var name = new Argument<string>("NAME") { Description = "The agent whose webhook signing secret is replaced." };
        var grace = Grace($"How long webhooks are signed with both secrets, e.g. 24h, or 0 for the new one only at once (default {Format(DefaultWebhookSecretGrace)}, at most 7d).");
        var json = Json();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("rotate-webhook-secret",
            "Issue a new webhook signing secret and print it once. During the grace period every webhook carries two v1= signatures (new and old), so the receiver can switch when it likes.")
        {
            name, grace, json, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var agentName = parse.GetValue(name)!;
            if (!TryParseGrace(parse.GetValue(grace), DefaultWebhookSecretGrace, out var period, out var error))
            {
                return Fail(parse, $"--grace: {error}");
            }
            if (await Open(parse.GetValue(dataDir)!).RotateWebhookSecretAsync(agentName, period, cancellationToken) is not { } secret)
            {
                return Fail(parse, $"no live agent named '{agentName}'; 'checkout-agent agent list' shows them");
            }
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new { name = agentName, webhook_secret = secret, previous_secret_grace_seconds = (long)period.TotalSeconds }));
                return 0;
            }
            output.WriteLine($"webhook secret: {secret}");
            output.WriteLine(period > TimeSpan.Zero
                ? $"webhooks to {agentName}'s receiver are signed with the new and the previous secret for {Format(period)}: verify with either, switch before then"
                : $"webhooks to {agentName}'s receiver are signed with the new secret only");
            output.WriteLine("The new secret is shown only now.");
            return 0;
        });
        return command;
    }

    private static Command Audit()
    {
        var name = new Argument<string?>("NAME") { Description = "Only this agent's entries (default: all).", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit") { Description = "Most entries shown, newest first (default 50).", DefaultValueFactory = _ => 50 };
        var json = Json();
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("audit", "The owner's audit log, newest first: agents added and revoked, policy changes, token and secret rotations, pause and resume. It never shows a token or secret.")
        {
            name, limit, json, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(limit) is < 1 or > 10_000)
            {
                return Fail(parse, $"--limit: give a whole number from 1 to 10000; got {parse.GetValue(limit)}");
            }
            var entries = await Open(parse.GetValue(dataDir)!).AuditLogAsync(parse.GetValue(name), parse.GetValue(limit), cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(entries.Select(e => new
                {
                    at = e.At, action = e.Action, agent_id = e.AgentId, agent = e.AgentName, detail = e.Detail, actor = e.Actor,
                })));
                return 0;
            }
            if (entries.Count == 0)
            {
                output.WriteLine("the audit log is empty");
            }
            foreach (var entry in entries)
            {
                output.WriteLine($"{entry.At:yyyy-MM-dd HH:mm:ss}Z  {entry.Action,-22} {entry.AgentName ?? "-",-24} {entry.Detail}  (by {entry.Actor})");
            }
            return 0;
        });
        return command;
    }

    private static Option<string?> Grace(string description) => new("--grace") { Description = description, HelpName = "DURATION" };

    /// <summary>Reads <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>2d</c>, <c>0</c> or <c>hh:mm:ss</c>.</summary>
    internal static bool TryParseGrace(string? text, TimeSpan fallback, out TimeSpan grace, out string? error)
    {
        grace = fallback;
        error = null;
        if (text is null)
        {
            return true;
        }
        var trimmed = text.Trim();
        var unit = trimmed.Length > 0 ? trimmed[^1] : ' ';
        var multiplier = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
        if (trimmed == "0")
        {
            grace = TimeSpan.Zero;
        }
        else if (multiplier > 0 && long.TryParse(trimmed[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count <= MaxGrace.TotalSeconds)
        {
            grace = TimeSpan.FromSeconds(count * multiplier);
        }
        else if (!TimeSpan.TryParseExact(trimmed, @"hh\:mm\:ss", CultureInfo.InvariantCulture, out grace))
        {
            error = $"give a duration such as 90s, 30m, 1h or 2d (or 0); got '{text}'";
            return false;
        }
        if (grace > MaxGrace)
        {
            error = $"at most 7d: a replaced secret should not outlive a week; got '{text}'";
            return false;
        }
        return true;
    }

    private static string Format(TimeSpan span) => span switch
    {
        { TotalSeconds: < 120 } => $"{span.TotalSeconds:0} s",
        { TotalMinutes: < 120 } => $"{span.TotalMinutes:0} min",
        { TotalHours: < 48 } => $"{span.TotalHours:0.#} h",
        _ => $"{span.TotalDays:0.#} days",
    };

    private static Option<bool> Json() => new("--json") { Description = "Print JSON instead of text." };

    private static AgentStore Open(string dataDirectory)
    {
        var worker = new WorkerOptions { DataDirectory = dataDirectory };
        var database = StorageOptions.OpenDatabase(worker.DatabasePath);
        database.Initialize();
        // The same key as the service's: webhook secrets are sealed with it (a key that does not open them is exit 78).
        var store = new AgentStore(database, TimeProvider.System, VaultSecretSealer.For(AccountOptions.FromEnvironment(), worker));
        store.PrepareSecretsAsync(CancellationToken.None).GetAwaiter().GetResult();
        return store;
    }

    private static int Fail(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine($"error: {message}");
        return 2;
    }
}
