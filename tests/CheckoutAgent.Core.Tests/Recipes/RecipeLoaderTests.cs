using CheckoutAgent.Core.Recipes;

namespace CheckoutAgent.Tests.Recipes;

public class RecipeLoaderTests
{
    private const string Valid = """
        recipe: 1
        merchant:
          name: Acme
          url: https://acme.example
        steps:
          - navigate: "${job.product_url}"
          - fill: { label: Card number, value: "${card.number}" }
          - assert_total: { test_id: total }
          - submit: { role: button, name: Pay }
        outcomes:
          succeeded:
            when: { test_id: order-number }
        """;

    [Test]
    public void Parse_ValidRecipe_ReadsMerchantStepsAndOutcomes()
    {
        var recipe = RecipeLoader.Parse(Valid, "acme.yaml");

        Assert.That(recipe.MerchantName, Is.EqualTo("Acme"));
        Assert.That(recipe.MerchantUrl, Is.EqualTo("https://acme.example"));
        Assert.That(recipe.CardOrigins, Is.EqualTo(new[] { "merchant" }));
        Assert.That(recipe.Steps.Select(s => s.Kind), Is.EqualTo(new[] { "navigate", "fill", "assert_total", "submit" }));
        Assert.That(((FillStep)recipe.Steps[1]).IsCardField, Is.True);
        Assert.That(recipe.Outcomes.Single().Code, Is.EqualTo("succeeded"));
    }

    [TestCase("value: \"${card.number}\" }", "value: \"${card.pan}\" }", "acme.yaml:7", "unknown placeholder ${card.pan}")]
    [TestCase("- navigate: \"${job.product_url}\"", "- navigate: \"https://x.example/?n=${card.number}\"", "acme.yaml:6", "may appear only as the value of a fill step")]
    [TestCase("value: \"${card.number}\" }", "value: \"n=${card.number}\" }", "acme.yaml:7", "must be the whole fill value")]
    [TestCase("- assert_total: { test_id: total }", "- assert_total: { test_id: \"${card.cvc}\" }", "acme.yaml:8", "may appear only as the value of a fill step")]
    [TestCase("- submit: { role: button, name: Pay }", "- click: { role: button, name: Pay }", "acme.yaml:6", "no submit step")]
    [TestCase("  succeeded:", "  card_declined:", "acme.yaml:11", "no 'succeeded' entry")]
    [TestCase("recipe: 1", "recipe: 2", "acme.yaml:1", "unsupported recipe version")]
    [TestCase("- assert_total: { test_id: total }", "- eval: { css: body }", "acme.yaml:8", "unknown action 'eval'")]
    [TestCase("- assert_total: { test_id: total }", "- click: { css: a, label: b }", "acme.yaml:8", "exactly one of")]
    [TestCase("url: https://acme.example", "url: ftp://acme.example", "acme.yaml:4", "absolute http or https URL")]
    [TestCase("  succeeded:", "  paid:", "acme.yaml:11", "unknown outcome 'paid'")]
    public void Parse_BadRecipe_FailsNamingFileLineAndRule(string find, string replace, string location, string rule)
    {
        var yaml = Valid.Replace(find, replace, StringComparison.Ordinal);
        Assert.That(yaml, Is.Not.EqualTo(Valid), "the test case must change the recipe");

        var error = Assert.Throws<RecipeException>(() => RecipeLoader.Parse(yaml, "acme.yaml"));

        Assert.That(error!.Message, Does.StartWith(location + ":").And.Contain(rule));
    }

    [Test]
    public void Parse_StepAfterSubmit_IsRefused()
    {
        var yaml = Valid.Replace("outcomes:", "  - click: { role: link, name: Again }\noutcomes:", StringComparison.Ordinal);

        var error = Assert.Throws<RecipeException>(() => RecipeLoader.Parse(yaml, "acme.yaml"));

        Assert.That(error!.Message, Does.Contain("must be the last step"));
    }

    [Test]
    public void LoadByName_MissingRecipe_SaysWhereItLooked()
    {
        var error = Assert.Throws<RecipeException>(() => RecipeLoader.LoadByName("/nonexistent-recipes", "nope"));

        Assert.That(error!.Message, Does.Contain("nope.yaml").And.Contain("/nonexistent-recipes"));
    }

    [Test]
    public void ShippedRecipes_AllLoad()
    {
        var directory = RecipesDirectory.Resolve(null);
        var files = Directory.GetFiles(directory, "*.yaml");

        Assert.That(files, Is.Not.Empty, $"no recipes found in {directory}");
        foreach (var file in files)
        {
            Assert.DoesNotThrow(() => RecipeLoader.Load(file), file);
        }
    }

    [Test]
    public void Describe_OfCardFill_ShowsThePlaceholderNeverAValue()
    {
        var recipe = RecipeLoader.Parse(Valid, "acme.yaml");

        Assert.That(recipe.Steps[1].Describe(), Is.EqualTo("fill label \"Card number\" with ${card.number}"));
    }
}
