using CheckoutAgent.Core.Recipes;

namespace CheckoutAgent.Tests.Recipes;

/// <summary>A recipe's <c>block:</c> list: what it reads, what it refuses, and which requests it names.</summary>
public class ResourceBlockTests
{
    private static string Recipe(string top) => string.Join('\n',
        "recipe: 1",
        "merchant:",
        "  name: Acme",
        "  url: https://shop.acme.example",
        "card_origins: [merchant, \"https://js.stripe.com\"]",
        top,
        "steps:",
        "  - submit: { role: button, name: Pay now }",
        "outcomes:",
        "  succeeded:",
        "    when: { test_id: order-number }");

    private static Recipe Load(string top) => RecipeLoader.Parse(Recipe(top), "shop.yaml");

    [Test]
    public void Block_reads_kinds_as_resource_types_and_hosts_in_lower_case()
    {
        var block = Load("block: [images, fonts, media, \"*.DoubleClick.net\", www.google-analytics.com]").Block;

        Assert.That(block.ResourceTypes, Is.EqualTo(new[] { "image", "font", "media" }));
        Assert.That(block.Hosts, Is.EqualTo(new[] { "*.doubleclick.net", "www.google-analytics.com" }));
    }

    [Test]
    public void No_block_key_blocks_nothing() =>
        Assert.That(Load("").Block.Any, Is.False);

    [TestCase("block: [pictures]", "shop.yaml:6: block entry 'pictures' is neither a resource kind (images, fonts, media, stylesheets) nor a host")]
    [TestCase("block: []", "shop.yaml:6: block must be a list of resource kinds and hosts")]
    [TestCase("block: images", "shop.yaml:6: block must be a list")]
    [TestCase("block: [\"*.acme.example\"]", "block entry '*.acme.example' covers the merchant's own host shop.acme.example")]
    [TestCase("block: [\"*.stripe.com\"]", "block entry '*.stripe.com' covers js.stripe.com, a card origin")]
    public void Bad_block_entries_are_refused_with_where_and_how_to_fix(string top, string expected) =>
        Assert.That(Assert.Throws<RecipeException>(() => Load(top))!.Message, Does.Contain(expected));

    [Test]
    public void Lint_accepts_block_through_the_schema_and_reports_a_bad_entry_with_its_line()
    {
        Assert.That(RecipeLinter.LintText(Recipe("block: [images, \"*.doubleclick.net\"]"), "shop.yaml"), Is.Empty);
        Assert.That(RecipeLinter.LintText(Recipe("block: [\"https://tracker.example/\"]"), "shop.yaml"),
            Has.Some.StartWith("shop.yaml:6:").And.Some.Contains("block"));
    }

    [TestCase("image", "cdn.acme.example", true)]
    [TestCase("script", "cdn.acme.example", false)]
    [TestCase("script", "doubleclick.net", true)]
    [TestCase("xhr", "stats.g.doubleclick.net", true)]
    [TestCase("script", "notdoubleclick.net", false)]
    [TestCase("document", "www.google-analytics.com", true)]
    [TestCase("document", "google-analytics.com", false)]
    public void Blocks_names_requests_by_kind_or_host(string resourceType, string host, bool blocked)
    {
        var block = new ResourceBlock(["image"], ["*.doubleclick.net", "www.google-analytics.com"]);

        Assert.That(block.Blocks(resourceType, host), Is.EqualTo(blocked));
    }
}
