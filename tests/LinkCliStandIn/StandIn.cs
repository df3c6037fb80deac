using System.Text.Json.Nodes;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary>What a command gets to work with.</summary>
internal sealed record CommandContext(CommandLine Args, LinkApi Api, Func<string, string?> Env, CancellationToken CancellationToken)
{
    public AuthStore Auth => Api.Auth;
}

/// <summary>One command: its options, whether link-cli guards it with the auth middleware (→ <c>NOT_AUTHENTICATED</c>
/// before anything runs), and the handler. Generator commands return a <see cref="JsonArray"/> of yielded values.</summary>
internal sealed record Command(string Name, string Description, CommandSpec Spec, bool AuthMiddleware, Func<CommandContext, Task<JsonNode>> Run);

/// <summary>
/// Entry point of the stand-in <c>link-cli</c>. Global options are taken out first (<c>--auth PATH</c> anywhere,
/// two tokens only; <c>--format</c>; <c>--verbose</c>; <c>--help</c>; <c>--version</c>), then the command is looked up
/// by its words and parsed against its spec. Success prints JSON and exits 0; any error prints the error JSON on
/// stdout and exits 1 (link-api.md §7). Every format is printed as JSON: TOON/YAML are not implemented.
/// </summary>
internal static class StandIn
{
    public const string Version = "0.13.1";

    private static readonly Command[] Commands =
    [
        .. WalletCommands.All,
        .. SpendRequestCommands.All,
        .. MppCommands.All,
    ];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout)
    {
        try
        {
            var rest = new List<string>();
            string? authPath = null;
            var verbose = false;
            var help = false;
            var version = false;
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--auth" when i + 1 < args.Length:
                        authPath = args[++i];
                        break;
                    case "--format" when i + 1 < args.Length:
                        // json is what agents use; everything is printed as JSON here.
                        i++;
                        break;
                    case "--verbose":
                        verbose = true;
                        break;
                    case "--help" or "-h":
                        help = true;
                        break;
                    case "--version":
                        version = true;
                        break;
                    default:
                        rest.Add(args[i]);
                        break;
                }
            }

            if (version)
            {
                stdout.WriteLine(Version);
                return 0;
            }

            var (command, consumed) = Find(rest);
            if (help || command is null)
            {
                if (command is null && !help && rest.Count > 0)
                {
                    throw CliError.Unknown($"Unknown command: {string.Join(' ', rest.TakeWhile(t => !t.StartsWith('-')))}");
                }
                stdout.WriteLine(Help(command));
                return 0;
            }

            var line = CommandLine.Parse(rest.Skip(consumed).ToList(), command.Spec);
            Func<string, string?> env = Environment.GetEnvironmentVariable;
            var auth = AuthStore.Open(authPath, env);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var api = new LinkApi(http, auth, env, Console.Error, verbose);
            if (command.AuthMiddleware && !auth.IsAuthenticated)
            {
                throw new CliError("NOT_AUTHENTICATED", "Not authenticated. Run \"link-cli auth login\" first.")
                {
                    Cta = new JsonObject
                    {
                        ["description"] = "Log in to Link:",
                        ["commands"] = new JsonArray(new JsonObject { ["command"] = "auth login" }),
                    },
                };
            }
            var result = await command.Run(new CommandContext(line, api, env, CancellationToken.None));
            stdout.WriteLine(result.ToJsonString(Output.Pretty));
            return 0;
        }
        catch (CliError error)
        {
            stdout.WriteLine(error.ToJson().ToJsonString(Output.Pretty));
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            stdout.WriteLine(CliError.Unknown(ex.Message).ToJson().ToJsonString(Output.Pretty));
            return 1;
        }
    }

    private static (Command? Command, int Consumed) Find(List<string> tokens)
    {
        // Commands are one or two words: "report", "spend-request create".
        foreach (var length in new[] { 2, 1 })
        {
            if (tokens.Count < length || tokens.Take(length).Any(t => t.StartsWith('-')))
            {
                continue;
            }
            var name = string.Join(' ', tokens.Take(length));
            if (Commands.FirstOrDefault(c => c.Name == name) is { } command)
            {
                return (command, length);
            }
        }
        return (null, 0);
    }

    private static string Help(Command? command)
    {
        if (command is not null)
        {
            var options = string.Join(Environment.NewLine, command.Spec.Options.Select(o => $"  --{o.Key}{(o.Value == OptionKind.Flag ? "" : " <value>")}{(o.Value == OptionKind.List ? " (repeatable)" : "")}"));
            return $"link-cli {command.Name}{Environment.NewLine}{Environment.NewLine}{command.Description}{Environment.NewLine}{Environment.NewLine}Options:{Environment.NewLine}{options}";
        }
        var list = string.Join(Environment.NewLine, Commands.Select(c => $"  {c.Name,-34}{c.Description}"));
        return $"link-cli@{Version} (stand-in for tests: Link's agent wallet CLI over Link's HTTP API){Environment.NewLine}{Environment.NewLine}Usage: link-cli <command> [options] [--format json] [--auth <path>]{Environment.NewLine}{Environment.NewLine}Commands:{Environment.NewLine}{list}";
    }
}
