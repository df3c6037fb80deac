using CheckoutAgent.Worker.Cli;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Recipes;

namespace CheckoutAgent.Tests.Recipes;

/// <summary>
/// A step whose locator matches nothing or several: <c>recipe test</c> prints the fixes the live page offers, each
/// checked to match exactly one element, as step lines to paste; the one-line failure message (the worker's outcome)
/// names them too. Nothing typed appears in them.
/// </summary>
public class LocatorSuggestionTests : DataDirectoryTest
{
    private static string Recipe(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CheckoutAgent.sln")))
            {
                return File.ReadAllText(Path.Combine(dir.FullName, "recipes", name));
            }
        }
        throw new DirectoryNotFoundException("no CheckoutAgent.sln above the test folder");
    }

    private async Task<string> DryRunAsync(string yaml, string variant)
    {
        Directory.CreateDirectory(DataDirectory);
        var path = Path.Combine(DataDirectory, "broken.yaml");
        await File.WriteAllTextAsync(path, yaml);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await RecipeCommand.TestAsync(new RecipeCommand.RecipeTestSettings
        {
            RecipePath = path,
            Demo = variant,
            StepTimeout = TimeSpan.FromSeconds(2),
            DataDirectory = DataDirectory,
        }, stdout, stderr, CancellationToken.None);
        Assert.That(exit, Is.EqualTo(1), stdout.ToString() + stderr);
        var output = stdout.ToString();
        Assert.That(output, Does.Not.Contain(RecipeDryRun.TestCard.Reveal(Link.Cards.CardField.Number)));
        return output;
    }

    [Test]
    [Category("Browser")]
    public async Task MissingLabel_SuggestsTheSimilarLabelOnThePage_AsAStepToPaste()
    {
        var output = await DryRunAsync(Recipe("demo-shop.yaml").Replace("label: CVC", "label: Security code", StringComparison.Ordinal), "single-page");

        Assert.That(output, Does.Contain("  locator:    nothing on the page matches label \"Security code\""));
        Assert.That(output, Does.Contain("                - fill: { label: CVC, value: \"${card.cvc}\" }"));
        Assert.That(output, Does.Contain("on the page now: { label: CVC }"), "the one-line message, as the worker's outcome carries it");
    }

    [Test]
    [Category("Browser")]
    public async Task FieldInAFrame_WithoutItsFrame_SuggestsTheSameLabelInsideTheFrame()
    {
        var yaml = Recipe("demo-iframe-card.yaml").Replace("{ frame: { title: Secure card payment }, label: Card number", "{ label: Card number", StringComparison.Ordinal);

        var output = await DryRunAsync(yaml, "iframe-card");

        Assert.That(output, Does.Contain("- fill: { frame: { title: Secure card payment }, label: Card number, value: \"${card.number}\" }"));
    }

    [Test]
    [Category("Browser")]
    public async Task LocatorMatchingSeveral_SuggestsOneUniqueLocatorPerMatch()
    {
        var output = await DryRunAsync(Recipe("demo-shop.yaml").Replace("{ label: Email,", "{ css: input,", StringComparison.Ordinal), "single-page");

        Assert.That(output, Does.Match(@"locator:    css ""input"" matches \d+ elements; a recipe locator must match one"));
        Assert.That(output, Does.Contain("- fill: { label: Email, value: \"${buyer.email}\" }"));
        Assert.That(output, Does.Contain("- fill: { label: Full name, value: \"${buyer.email}\" }"), "one per match, each unique");
    }

    [TestCase("Card number *", "Card number", 1.0)]
    [TestCase("Security code", "CVC", 1.0)]
    [TestCase("ZIP", "Postal code", 1.0)]
    [TestCase("Expiration date", "Expiry (MM/YY)", 0.8)]
    [TestCase("Place order", "Place your order", 0.6)]
    [TestCase("Email", "Email address", 0.8)]
    public void Similarity_IgnoresCaseAndPunctuation_AndRanksContainmentAndEdits(string a, string b, double atLeast) =>
        Assert.That(LocatorSuggestions.Similarity(a, b), Is.GreaterThanOrEqualTo(atLeast));

    [Test]
    public void Similarity_UnrelatedNames_StayBelowTheBar() =>
        Assert.That(LocatorSuggestions.Similarity("Postal code", "Pay now"), Is.LessThan(0.6));
}
