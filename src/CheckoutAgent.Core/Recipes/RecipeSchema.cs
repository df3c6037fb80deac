using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CheckoutAgent.Core.Recipes;

/// <summary>One place where a recipe does not fit the schema.</summary>
/// <param name="Line">1-based line in the recipe file.</param>
/// <param name="Path">Where in the recipe, as people count: <c>step 4.fill.label</c>.</param>
/// <param name="Message">What is wrong and what is allowed.</param>
public sealed record SchemaProblem(int Line, string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}

/// <summary>
/// Checks a recipe's YAML against <c>recipes/recipe.schema.json</c> (embedded in this assembly), reporting every
/// problem with its line, where the loader stops at the first. It interprets the part of JSON Schema 2020-12 that the
/// schema uses; any other keyword fails loudly when the schema is read, so the schema editors complete against and
/// the check <c>recipe lint</c> runs cannot silently drift apart.
/// </summary>
public sealed class RecipeSchema
{
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "markdownDescription", "$defs",
    };

    private static readonly HashSet<string> Assertions = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "items", "minItems", "minProperties", "maxProperties",
        "enum", "const", "pattern", "minLength", "anyOf", "$ref",
    };

    private static readonly Lazy<RecipeSchema> ShippedSchema = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("recipe.schema.json")
            ?? throw new InvalidOperationException("recipe.schema.json is not embedded in the worker assembly.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    });

    private readonly JsonElement _root;

    private RecipeSchema(JsonElement root) => _root = root;

    /// <summary>The schema shipped as <c>recipes/recipe.schema.json</c>.</summary>
    public static RecipeSchema Shipped => ShippedSchema.Value;

    /// <summary>Reads a schema and checks that it uses only keywords this checker implements.</summary>
    /// <exception cref="FormatException">A keyword this checker does not implement, or a <c>$ref</c> it cannot follow.</exception>
    public static RecipeSchema Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var schema = new RecipeSchema(document.RootElement.Clone());
        schema.CheckKeywords(schema._root, "#");
        return schema;
    }

    /// <summary>Every problem with a recipe's root node.</summary>
    public IReadOnlyList<SchemaProblem> Validate(YamlNode root)
    {
        var problems = new List<SchemaProblem>();
        Check(root, _root, "", problems);
        return problems;
    }

    private void CheckKeywords(JsonElement schema, string where)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"schema at {where} must be an object");
        }
        foreach (var property in schema.EnumerateObject())
        {
            if (!Annotations.Contains(property.Name) && !Assertions.Contains(property.Name))
            {
                throw new FormatException($"schema keyword '{property.Name}' at {where} is not implemented by the recipe checker; implement it in RecipeSchema or leave it out");
            }
        }
        if (schema.TryGetProperty("$ref", out var reference))
        {
            Resolve(reference.GetString()!);
        }
        foreach (var key in new[] { "properties", "$defs" })
        {
            if (schema.TryGetProperty(key, out var children))
            {
                foreach (var child in children.EnumerateObject())
                {
                    CheckKeywords(child.Value, $"{where}/{key}/{child.Name}");
                }
            }
        }
        if (schema.TryGetProperty("items", out var items))
        {
            CheckKeywords(items, where + "/items");
        }
        if (schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.Object)
        {
            CheckKeywords(additional, where + "/additionalProperties");
        }
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            var i = 0;
            foreach (var branch in anyOf.EnumerateArray())
            {
                CheckKeywords(branch, $"{where}/anyOf/{i++}");
            }
        }
    }

    private JsonElement Resolve(string reference)
    {
        const string prefix = "#/$defs/";
        if (!reference.StartsWith(prefix, StringComparison.Ordinal) || !_root.TryGetProperty("$defs", out var defs)
            || !defs.TryGetProperty(reference[prefix.Length..], out var target))
        {
            throw new FormatException($"schema $ref '{reference}' must point to an entry of $defs");
        }
        return target;
    }

    private void Check(YamlNode node, JsonElement schema, string path, List<SchemaProblem> problems)
    {
        var line = (int)node.Start.Line;
        if (schema.TryGetProperty("$ref", out var reference))
        {
            Check(node, Resolve(reference.GetString()!), path, problems);
        }
        var kind = KindOf(node);
        if (schema.TryGetProperty("type", out var type))
        {
            var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!allowed.Any(t => t == kind || (t == "number" && kind == "integer")))
            {
                problems.Add(new SchemaProblem(line, path, $"expected {string.Join(" or ", allowed.Select(Describe))}, found {Describe(kind)}"
                    + (allowed.Contains("string") && kind is "integer" or "number" or "boolean" ? " (quote it to make it text)" : "")));
                return;
            }
        }
        if (schema.TryGetProperty("const", out var constant) && !EqualsJson(node, constant))
        {
            problems.Add(new SchemaProblem(line, path, $"must be {constant.GetRawText()}"));
        }
        if (schema.TryGetProperty("enum", out var choices) && !choices.EnumerateArray().Any(c => EqualsJson(node, c)))
        {
            problems.Add(new SchemaProblem(line, path, $"must be one of {string.Join(", ", choices.EnumerateArray().Select(c => c.GetRawText()))}"));
        }
        if (node is YamlScalarNode { Value: { } text } && kind == "string")
        {
            if (schema.TryGetProperty("minLength", out var minLength) && text.Length < minLength.GetInt32())
            {
                problems.Add(new SchemaProblem(line, path, minLength.GetInt32() == 1 ? "must not be empty" : $"must be at least {minLength.GetInt32()} characters"));
            }
            if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
            {
                problems.Add(new SchemaProblem(line, path, $"'{text}' does not have the expected form ({Summary(schema)})"));
            }
        }
        if (node is YamlMappingNode map)
        {
            CheckMapping(map, schema, path, problems);
        }
        if (node is YamlSequenceNode list)
        {
            if (schema.TryGetProperty("minItems", out var minItems) && list.Children.Count < minItems.GetInt32())
            {
                problems.Add(new SchemaProblem(line, path, $"needs at least {minItems.GetInt32()} item(s)"));
            }
            if (schema.TryGetProperty("items", out var items))
            {
                for (var i = 0; i < list.Children.Count; i++)
                {
                    Check(list.Children[i], items, path == "steps" ? $"step {i + 1}" : $"{path} item {i + 1}", problems);
                }
            }
        }
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            var attempts = anyOf.EnumerateArray().Select(branch =>
            {
                var found = new List<SchemaProblem>();
                Check(node, branch, path, found);
                return (Branch: branch, Problems: found);
            }).ToList();
            if (attempts.All(a => a.Problems.Count > 0))
            {
                // Report the branch meant for this kind of node: its problems say what to fix.
                var closest = attempts.FirstOrDefault(a => !a.Problems.Any(p => p.Path == path && p.Message.StartsWith("expected ", StringComparison.Ordinal)));
                problems.AddRange(closest.Problems ?? [new SchemaProblem(line, path, $"does not match any allowed form ({Summary(schema)})")]);
            }
        }
    }

    private void CheckMapping(YamlMappingNode map, JsonElement schema, string path, List<SchemaProblem> problems)
    {
        var line = (int)map.Start.Line;
        schema.TryGetProperty("properties", out var properties);
        var known = properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(p => p.Name).ToList() : [];
        var keys = new List<string>();
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                problems.Add(new SchemaProblem((int)keyNode.Start.Line, path, "keys must be plain names"));
                continue;
            }
            keys.Add(key);
            var childPath = path.Length == 0 ? key : $"{path}.{key}";
            if (known.Contains(key))
            {
                Check(valueNode, properties.GetProperty(key), childPath, problems);
            }
            else if (schema.TryGetProperty("additionalProperties", out var additional))
            {
                if (additional.ValueKind == JsonValueKind.False)
                {
                    problems.Add(new SchemaProblem((int)keyNode.Start.Line, path,
                        $"unknown key '{key}'{Suggestion(key, known)}; allowed: {string.Join(", ", known)}"));
                }
                else if (additional.ValueKind == JsonValueKind.Object)
                {
                    Check(valueNode, additional, childPath, problems);
                }
            }
        }
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(r => !keys.Contains(r)))
            {
                problems.Add(new SchemaProblem(line, path, $"missing '{name}'"));
            }
        }
        if (schema.TryGetProperty("minProperties", out var min) && keys.Count < min.GetInt32())
        {
            problems.Add(new SchemaProblem(line, path, $"needs at least {min.GetInt32()} key(s) ({string.Join(", ", known)})"));
        }
        if (schema.TryGetProperty("maxProperties", out var max) && keys.Count > max.GetInt32())
        {
            problems.Add(new SchemaProblem(line, path, $"takes at most {max.GetInt32()} key(s); found {string.Join(", ", keys)}"));
        }
    }

    private static string Suggestion(string key, List<string> known)
    {
        var close = known.FirstOrDefault(k => Distance(k, key) <= 2);
        return close is null ? "" : $" (did you mean '{close}'?)";
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }

    private static string Summary(JsonElement schema) =>
        schema.TryGetProperty("description", out var description) ? description.GetString()! : "see recipes/recipe.schema.json";

    private static string Describe(string kind) => kind switch
    {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "text",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "true or false",
        "null" => "nothing",
        _ => kind,
    };

    /// <summary>The JSON type a YAML node has under the YAML 1.2 core schema (quoted scalars are always text).</summary>
    internal static string KindOf(YamlNode node) => node switch
    {
        YamlMappingNode => "object",
        YamlSequenceNode => "array",
        YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: var value } => value switch
        {
            null or "" or "~" or "null" or "Null" or "NULL" => "null",
            "true" or "True" or "TRUE" or "false" or "False" or "FALSE" => "boolean",
            _ when Regex.IsMatch(value, "^[-+]?[0-9]+$", RegexOptions.CultureInvariant) => "integer",
            _ when Regex.IsMatch(value, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant) => "number",
            _ => "string",
        },
        YamlScalarNode => "string",
        _ => "unknown",
    };

    private static bool EqualsJson(YamlNode node, JsonElement expected)
    {
        if (node is not YamlScalarNode { Value: var value })
        {
            return false;
        }
        var kind = KindOf(node);
        return expected.ValueKind switch
        {
            JsonValueKind.String => kind == "string" && value == expected.GetString(),
            JsonValueKind.True => kind == "boolean" && value!.Equals("true", StringComparison.OrdinalIgnoreCase),
            JsonValueKind.False => kind == "boolean" && value!.Equals("false", StringComparison.OrdinalIgnoreCase),
            JsonValueKind.Number => kind is "integer" or "number"
                && decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number == expected.GetDecimal(),
            JsonValueKind.Null => kind == "null",
            _ => false,
        };
    }
}
