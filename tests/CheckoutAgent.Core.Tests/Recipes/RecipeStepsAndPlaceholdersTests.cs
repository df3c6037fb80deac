using CheckoutAgent.Core.Recipes;

namespace CheckoutAgent.Tests.Recipes;

/// <summary>The step kinds beyond the basics, scopes, and where a card placeholder may (not) stand.</summary>
public class RecipeStepsAndPlaceholdersTests
{
    // Line numbers matter: the grid below names them.
    private const string Valid = """
        recipe: 1
        merchant:
          name: Acme
          url: https://acme.example
        card_origins: [merchant, "https://js.pay.example"]
        steps:
          - navigate: "${job.product_url}"
          - select: { label: Country, value: "${shipping.country}" }
          - check: { label: I agree }
          - check: { label: Newsletter, checked: false }
          - wait_for: { url: "**/payment" }
          - wait_for: { network_idle: true }
          - wait_for: { test_id: spinner, state: hidden }
          - fill: { frame: { title: Card }, label: Card number, value: "${card.number}" }
          - fill: { frame: [{ name: outer }, { src: "/cvc" }], label: CVC, value: "${card.cvc}" }
          - fill: { shadow: payment-form, label: Name on card, value: "${card.name}" }
          - assert_total: { test_id: total }
          - submit: { role: button, name: Pay }
            timeout: 20s
        outcomes:
          succeeded:
            when: { test_id: order-number }
            extract:
              order_number: { test_id: order-number }
          captcha_required:
            when: { frame: { title: challenge }, text: Are you human }
        """;

    [Test]
    public void Parse_EveryStepKindAndScope_IsRead()
    {
        var recipe = RecipeLoader.Parse(Valid, "acme.yaml");

        Assert.That(recipe.Steps.Select(s => s.Kind), Is.EqualTo(new[]
        {
            "navigate", "select", "check", "check", "wait_for", "wait_for", "wait_for", "fill", "fill", "fill", "assert_total", "submit",
        }));
        Assert.That(((CheckStep)recipe.Steps[3]).Checked, Is.False);
        Assert.That(((WaitForStep)recipe.Steps[4]).Url, Is.EqualTo("**/payment"));
        Assert.That(((WaitForStep)recipe.Steps[5]).NetworkIdle, Is.True);
        Assert.That(((WaitForStep)recipe.Steps[6]).Hidden, Is.True);
        var nested = ((FillStep)recipe.Steps[8]).Target;
        Assert.That(nested.Frames.Select(f => f.Selector), Is.EqualTo(new[] { "iframe[name=\"outer\"]", "iframe[src*=\"/cvc\"]" }));
        Assert.That(nested.ToString(), Is.EqualTo("frame name \"outer\" > frame src \"/cvc\" > label \"CVC\""));
        Assert.That(((FillStep)recipe.Steps[9]).Target.Shadow, Is.EqualTo("payment-form"));
        Assert.That(recipe.Steps[^1].Timeout, Is.EqualTo(TimeSpan.FromSeconds(20)));
        Assert.That(recipe.CardOrigins, Is.EqualTo(new[] { "merchant", "https://js.pay.example" }));
        Assert.That(recipe.Outcomes[1].When.Frames.Single().Title, Is.EqualTo("challenge"));
    }

    /// <summary>A card placeholder anywhere but a whole fill value does not load; the error names file, line and step.</summary>
    [TestCase("- navigate: \"${job.product_url}\"", "- navigate: \"https://acme.example/?c=${card.number}\"", 7, "step 1 (navigate)")]
    // ${card.exp_month} and ${card.exp_year} are select values now (expiry drop-downs); the other card values are not.
    [TestCase("value: \"${shipping.country}\"", "value: \"${card.cvc}\"", 8, "step 2 (select)")]
    [TestCase("- check: { label: I agree }", "- check: { label: \"${card.name}\" }", 9, "step 3 (check)")]
    [TestCase("{ url: \"**/payment\" }", "{ url: \"**/${card.number}\" }", 11, "step 5 (wait_for)")]
    [TestCase("test_id: spinner, state: hidden", "text: \"${card.cvc}\", state: hidden", 13, "step 7 (wait_for)")]
    [TestCase("frame: { title: Card }", "frame: { title: \"${card.number}\" }", 14, "step 8 (fill)")]
    [TestCase("{ src: \"/cvc\" }", "{ src: \"/cvc?${card.cvc}\" }", 15, "step 9 (fill)")]
    [TestCase("shadow: payment-form", "shadow: \"${card.expiry}\"", 16, "step 10 (fill)")]
    [TestCase("label: Name on card, value: \"${card.name}\"", "label: Name on card, value: \"Name: ${card.name}\"", 16, "step 10 (fill)")]
    [TestCase("- assert_total: { test_id: total }", "- assert_total: { css: \"#${card.number}\" }", 17, "step 11 (assert_total)")]
    [TestCase("- submit: { role: button, name: Pay }", "- submit: { role: button, name: \"Pay ${card.cvc}\" }", 18, "step 12 (submit)")]
    [TestCase("order_number: { test_id: order-number }", "order_number: { text: \"${card.number}\" }", 24, "outcome succeeded extract order_number")]
    [TestCase("text: Are you human", "text: \"${card.number}\"", 26, "outcome captcha_required")]
    public void Parse_CardPlaceholderOutOfPlace_FailsNamingFileLineAndStep(string find, string replace, int line, string step)
    {
        var yaml = Valid.Replace(find, replace, StringComparison.Ordinal);
        Assert.That(yaml, Is.Not.EqualTo(Valid), "the test case must change the recipe");

        var error = Assert.Throws<RecipeException>(() => RecipeLoader.Parse(yaml, "acme.yaml"));

        Assert.That(error!.Message, Does.StartWith($"acme.yaml:{line}:").And.Contain(step).And.Contain("card placeholder"));
    }

    [TestCase("{ url: \"**/payment\" }", "{ url: \"**/payment\", network_idle: true }", "waits for one thing")]
    [TestCase("network_idle: true", "network_idle: false", "network_idle can only be true")]
    [TestCase("state: hidden", "state: gone", "must be visible or hidden")]
    [TestCase("checked: false", "checked: maybe", "checked must be true or false")]
    [TestCase("frame: { title: Card }", "frame: { title: Card, name: card }", "exactly one of title, name, src, css")]
    [TestCase("frame: { title: Card }", "frame: []", "empty list")]
    [TestCase("- select: { label: Country, value: \"${shipping.country}\" }", "- select: { label: Country }", "has no value")]
    [TestCase("value: \"${shipping.country}\"", "value: \"${shipping.planet}\"", "unknown placeholder ${shipping.planet}")]
    [TestCase("timeout: 20s", "timeout: 20 minutes", "timeout '20 minutes'")]
    public void Parse_BadNewSteps_FailWithAClearRule(string find, string replace, string rule)
    {
        var yaml = Valid.Replace(find, replace, StringComparison.Ordinal);
        Assert.That(yaml, Is.Not.EqualTo(Valid), "the test case must change the recipe");

        var error = Assert.Throws<RecipeException>(() => RecipeLoader.Parse(yaml, "acme.yaml"));

        Assert.That(error!.Message, Does.StartWith("acme.yaml:").And.Contain(rule));
    }

    [Test]
    public void Template_JobPlaceholders_ExpandLineItemsAndProductUrls()
    {
        var template = Template.Parse("${job.line_items} | ${job.product_urls} | ${job.item_count}", cardAllowed: false);

        var text = template.Expand(new Dictionary<string, string>
        {
            ["job.line_items"] = "1 x Dripper", ["job.product_urls"] = "https://a.example/p", ["job.item_count"] = "1",
        });

        Assert.That(text, Is.EqualTo("1 x Dripper | https://a.example/p | 1"));
    }

    [Test]
    public void OriginAliases_MapOnlyReservedTestHosts()
    {
        var options = new RecipeOptions
        {
            OriginAliases = { ["pay.demo.test"] = "http://127.0.0.1:4000", ["js.stripe.com"] = "http://127.0.0.1:4001" },
        };

        Assert.That(options.Resolve("https://pay.demo.test"), Is.EqualTo("http://127.0.0.1:4000"));
        Assert.That(options.Resolve("https://js.stripe.com"), Is.EqualTo("https://js.stripe.com"), "a real host is never aliased");
        Assert.That(options.Problems(), Has.One.Contains("js.stripe.com").And.Contain(".test or .localhost"));
    }
}
