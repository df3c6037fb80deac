using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CheckoutAgent.Core.Recipes;

/// <summary>What <c>recipe lint</c> found: the files it read and every problem as <c>file:line: message</c>.</summary>
public sealed record LintReport(IReadOnlyList<string> Files, IReadOnlyList<string> Problems);

/// <summary>
/// Checks recipe files the way the worker will load them, plus the schema: every schema problem of a file at once,
/// then (when the structure is sound) the loader's rules (placeholders, one final submit, a success outcome).
/// </summary>
public static class RecipeLinter
{
    /// <summary>Lints files and folders (a folder: its <c>*.yaml</c> and <c>*.yml</c> files).</summary>
    public static LintReport Lint(IEnumerable<string> paths)
    {
        var files = new List<string>();
        var problems = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path).Where(IsRecipeFile).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0)
                {
                    problems.Add($"{path}: no recipe files (*.yaml, *.yml) in this folder");
                }
                files.AddRange(found);
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                problems.Add($"{path}: no such file or folder");
            }
        }
        foreach (var file in files)
        {
            problems.AddRange(LintFile(file));
        }
        return new LintReport(files, problems);
    }

    /// <summary>Every problem of one recipe file, each <c>file:line: message</c>.</summary>
    public static IReadOnlyList<string> LintFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [$"{path}: cannot be read: {ex.Message}"];
        }
        return LintText(text, path);
    }

    /// <summary>Every problem of recipe text; <paramref name="fileName"/> is used in messages only.</summary>
    public static IReadOnlyList<string> LintText(string text, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            return [$"{fileName}:{ex.Start.Line}: not valid YAML: {ex.Message}"];
        }
        if (stream.Documents.Count != 1)
        {
            return [$"{fileName}:1: a recipe is exactly one YAML document"];
        }
        var problems = RecipeSchema.Shipped.Validate(stream.Documents[0].RootNode)
            .OrderBy(p => p.Line)
            .Select(p => $"{fileName}:{p.Line}: {p}")
            .ToList();
        if (problems.Count == 0)
        {
            try
            {
                RecipeLoader.Parse(text, fileName);
            }
            catch (RecipeException ex)
            {
                problems.Add(ex.Message);
            }
        }
        return problems;
    }

    private static bool IsRecipeFile(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
}
