using System.Text.Json;
using CheckoutAgent.Worker.Cli;
using CheckoutAgent.Worker.Recipes;
using YamlDotNet.RepresentationModel;

namespace CheckoutAgent.Tests.Recipes;

/// <summary>The schema in recipes/, the checker that interprets it, and <c>recipe lint</c>.</summary>
public class RecipeLintTests
{
    private static string RepositoryRecipes()
    {
        // The checkout's recipes/ (not the copy in bin/): the files authors edit.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CheckoutAgent.sln")))
            {
                return Path.Combine(dir.FullName, "recipes");
            }
        }
        throw new DirectoryNotFoundException("no CheckoutAgent.sln above the test folder");
    }

    [Test]
    public void Lint_EveryShippedRecipe_HasNoProblem()
    {
        var output = new StringWriter();

        var exit = RecipeCommand.Lint([RepositoryRecipes()], output);

        var shipped = Directory.GetFiles(RepositoryRecipes(), "*.yaml").Length;
        Assert.That(shipped, Is.GreaterThanOrEqualTo(14), "every demo shop variant has its recipe");
        Assert.That(output.ToString(), Does.Contain($"{shipped} recipe(s) checked, 0 problem(s)"), output.ToString());
        Assert.That(exit, Is.Zero);
    }

    [Test]
    public void ShippedRecipes_PointEditorsAtTheSchema()
    {
        foreach (var file in Directory.GetFiles(RepositoryRecipes(), "*.yaml"))
        {
            Assert.That(File.ReadLines(file).First(), Is.EqualTo("# yaml-language-server: $schema=recipe.schema.json"), file);
        }
    }

    [Test]
    public void Lint_BadRecipe_ReportsEveryProblemAsFileLineMessage_AndExitsOne()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lint-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, """
            recipe: 1
            merchant:
              name: Acme
              url: shop.example
            steps:
              - navigate: "${job.product_url}"
              - clik: { role: button, name: Add }
              - fill: { lable: Email, value: 12 }
              - submit: { role: button, name: Pay }
            outcomes:
              succeeded:
                when: { test_id: done }
            """);
        try
        {
            var output = new StringWriter();

            var exit = RecipeCommand.Lint([path], output);

            var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(lines, Has.Some.StartsWith($"{path}:4: merchant.url: 'shop.example'"));
            Assert.That(lines, Has.Some.StartsWith($"{path}:7: step 2: unknown key 'clik' (did you mean 'click'?)"));
            Assert.That(lines, Has.Some.StartsWith($"{path}:8: step 3.fill: unknown key 'lable' (did you mean 'label'?)"));
            Assert.That(lines, Has.Some.StartsWith($"{path}:8: step 3.fill.value: expected text, found a whole number"));
            Assert.That(lines[^1], Does.Contain("1 recipe(s) checked, 4 problem(s)"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Lint_StructurallySoundButCardInAUrl_ReportsTheLoaderRule()
    {
        var problems = RecipeLinter.LintText("""
            recipe: 1
            merchant: { name: Acme, url: "https://acme.example" }
            steps:
              - navigate: "https://acme.example/?n=${card.number}"
              - submit: { role: button, name: Pay }
            outcomes:
              succeeded: { when: { test_id: done } }
            """, "acme.yaml");

        Assert.That(problems, Has.One.StartsWith("acme.yaml:4:").And.Contain("may appear only as the value of a fill step"));
    }

    [Test]
    public void Lint_MissingPath_IsAProblem()
    {
        var output = new StringWriter();

        var exit = RecipeCommand.Lint(["/nonexistent/recipes-folder"], output);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output.ToString(), Does.Contain("/nonexistent/recipes-folder: no such file or folder"));
    }

    [Test]
    public void Schema_MatchesWhatTheLoaderKnows()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRecipes(), "recipe.schema.json")));
        var defs = schema.RootElement.GetProperty("$defs");
        string[] Keys(JsonElement element) => [.. element.GetProperty("properties").EnumerateObject().Select(p => p.Name)];

        Assert.That(Keys(defs.GetProperty("step")), Is.EquivalentTo(RecipeLoader.StepKinds.Concat(RecipeLoader.StepModifiers)));
        Assert.That(Keys(schema.RootElement.GetProperty("properties").GetProperty("outcomes")), Is.EquivalentTo(OutcomeCodes.All));
        Assert.That(Keys(defs.GetProperty("locator")), Is.EquivalentTo(new[] { "role", "name", "label", "text", "test_id", "css", "frame", "shadow" }));
        Assert.That(Keys(defs.GetProperty("frame")), Is.EquivalentTo(new[] { "title", "name", "src", "css" }));
    }

    [Test]
    public void Schema_WithAKeywordTheCheckerDoesNotImplement_IsRefused()
    {
        var error = Assert.Throws<FormatException>(() => RecipeSchema.Parse("""{ "type": "object", "patternProperties": {} }"""));

        Assert.That(error!.Message, Does.Contain("patternProperties"));
    }

    [TestCase("1", "integer")]
    [TestCase("\"1\"", "string")]
    [TestCase("1.5", "number")]
    [TestCase("true", "boolean")]
    [TestCase("~", "null")]
    [TestCase("Pay now", "string")]
    public void KindOf_FollowsTheYamlCoreSchema(string scalar, string kind)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader($"key: {scalar}"));
        var value = ((YamlMappingNode)stream.Documents[0].RootNode).Children.Values.Single();

        Assert.That(RecipeSchema.KindOf(value), Is.EqualTo(kind));
    }
}
