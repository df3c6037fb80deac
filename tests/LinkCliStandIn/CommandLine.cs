namespace CheckoutAgent.LinkCliStandIn;

/// <summary>How an option takes its value.</summary>
internal enum OptionKind
{
    /// <summary><c>--name value</c> or <c>--name=value</c>; the last one wins.</summary>
    Value,
    /// <summary><c>--name</c> (true) or <c>--no-name</c> (false).</summary>
    Flag,
    /// <summary><c>--name value</c>, repeatable; every value kept in order.</summary>
    List,
}

/// <summary>The options one command accepts, by kebab-case name, plus single-letter aliases.</summary>
internal sealed record CommandSpec(IReadOnlyDictionary<string, OptionKind> Options, IReadOnlyDictionary<char, string>? Aliases = null)
{
    public static CommandSpec None { get; } = new(new Dictionary<string, OptionKind>());
}

/// <summary>One command's arguments after parsing against its <see cref="CommandSpec"/>.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _lists = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = [];

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public bool Has(string name) => _values.ContainsKey(name);

    public bool Flag(string name, bool defaultValue = false) => _flags.TryGetValue(name, out var value) ? value : defaultValue;

    public IReadOnlyList<string> List(string name) => _lists.TryGetValue(name, out var values) ? values : [];

    /// <summary>Parses <paramref name="tokens"/>; an option the command does not know is an <c>UNKNOWN</c> error, as in
    /// link-cli (<c>Unknown flag: --x</c>).</summary>
    public static CommandLine Parse(IReadOnlyList<string> tokens, CommandSpec spec)
    {
        var line = new CommandLine();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            string name;
            string? inline = null;
            if (token.StartsWith("--", StringComparison.Ordinal) && token.Length > 2)
            {
                name = token[2..];
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    inline = name[(eq + 1)..];
                    name = name[..eq];
                }
            }
            else if (token.Length == 2 && token[0] == '-' && spec.Aliases is not null && spec.Aliases.TryGetValue(token[1], out var aliased))
            {
                name = aliased;
            }
            else if (token.StartsWith('-') && token.Length > 1 && !IsNumber(token))
            {
                throw CliError.Unknown($"Unknown flag: {token}");
            }
            else
            {
                line.Positionals.Add(token);
                continue;
            }

            if (!spec.Options.TryGetValue(name, out var kind))
            {
                if (name.StartsWith("no-", StringComparison.Ordinal) && spec.Options.TryGetValue(name[3..], out var negated) && negated == OptionKind.Flag && inline is null)
                {
                    line._flags[name[3..]] = false;
                    continue;
                }
                throw CliError.Unknown($"Unknown flag: --{name}");
            }

            if (kind == OptionKind.Flag)
            {
                line._flags[name] = inline is null || !inline.Equals("false", StringComparison.OrdinalIgnoreCase);
                continue;
            }

            string value;
            if (inline is not null)
            {
                value = inline;
            }
            else if (i + 1 < tokens.Count)
            {
                value = tokens[++i];
            }
            else
            {
                throw CliError.Unknown($"Missing value for flag: --{name}");
            }

            if (kind == OptionKind.Value)
            {
                line._values[name] = value;
            }
            else
            {
                if (!line._lists.TryGetValue(name, out var values))
                {
                    line._lists[name] = values = [];
                }
                values.Add(value);
            }
        }
        return line;
    }

    private static bool IsNumber(string token) => double.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out _);
}
