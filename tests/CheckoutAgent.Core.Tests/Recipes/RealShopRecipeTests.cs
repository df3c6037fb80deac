using CheckoutAgent.Core.Recipes;
using CardPart = CheckoutAgent.Link.Cards.CardField;

namespace CheckoutAgent.Tests.Recipes;

/// <summary>The recipe language for real shops: accounts, dismiss, optional, if, card selects, key-by-key fills.</summary>
public class RealShopRecipeTests
{
    private static string Recipe(string steps, string top = "") => string.Join('\n',
        "recipe: 1",
        "merchant:",
        "  name: Acme",
        "  url: https://acme.example",
        top,
        "steps:",
        steps,
        "  - submit: { role: button, name: Pay now }",
        "outcomes:",
        "  succeeded:",
        "    when: { test_id: order-number }");

    private static Recipe Load(string steps, string top = "") => RecipeLoader.Parse(Recipe(steps, top), "shop.yaml");

    private static string Refusal(string steps, string top = "") =>
        Assert.Throws<RecipeException>(() => Load(steps, top))!.Message;

    [Test]
    public void An_account_recipe_loads_with_origins_dismiss_if_and_numbers_nested_steps_in_order()
    {
        var recipe = Load("""
              - navigate: "${job.product_url}"
              - if: { visible: { label: Password } }
                steps:
                  - fill: { label: Email, value: "${account.username}" }
                  - fill: { label: Password, value: "${account.password}" }
                  - click: { role: button, name: Sign in }
                  - fill: { label: Verification code, value: "${account.totp}" }
                else:
                  - wait_for: { test_id: signed-in }
              - click: { role: button, name: Maybe later }
                optional: true
              - fill: { label: Card number, value: "${card.number}", mode: keys }
              - select: { label: Expiry month, value: "${card.exp_month}" }
              - select: { label: Expiry year, value: "${card.exp_year}" }
            """, """
            account_origins: [merchant, https://login.acme.example]
            dismiss:
              - { role: button, name: Accept all }
            """);

        Assert.That(recipe.AccountOrigins, Is.EqualTo(new[] { "merchant", "https://login.acme.example" }));
        Assert.That(recipe.Dismiss.Single().ToString(), Is.EqualTo("role button \"Accept all\""));
        Assert.That(recipe.UsesAccount, Is.True);
        Assert.That(recipe.Steps, Has.Count.EqualTo(7));
        Assert.That(recipe.AllSteps.Select(s => s.Number), Is.EqualTo(Enumerable.Range(1, 12)));
        var branch = (IfStep)recipe.Steps[1];
        Assert.That(branch.Visible.Label, Is.EqualTo("Password"));
        Assert.That(branch.Then.Select(s => s.Number), Is.EqualTo(new[] { 3, 4, 5, 6 }));
        Assert.That(branch.Else.Single().Number, Is.EqualTo(7));
        Assert.That(((FillStep)branch.Then[3]).Value.AccountField, Is.EqualTo(AccountField.Totp));
        Assert.That(recipe.Steps[2].Optional, Is.True);
        Assert.That(((FillStep)recipe.Steps[3]).Keys, Is.True);
        Assert.That(((SelectStep)recipe.Steps[4]).Value.CardField, Is.EqualTo(CardPart.ExpMonth));
        Assert.That(recipe.StepCount, Is.EqualTo(12));
    }

    [Test]
    public void A_recipe_without_account_placeholders_needs_no_account() =>
        Assert.That(Load("  - click: { role: button, name: Go }").UsesAccount, Is.False);

    [Test]
    public void Submit_inside_an_if_is_refused_naming_file_and_line()
    {
        var message = Refusal("""
              - if: { visible: { label: Password } }
                steps:
                  - submit: { role: button, name: Pay now }
            """);
        Assert.That(message, Does.StartWith("shop.yaml:9:"));
        Assert.That(message, Does.Contain("inside an if"));
    }

    [Test]
    public void Submit_inside_else_is_refused() =>
        Assert.That(Refusal("""
              - if: { visible: { label: Password } }
                steps:
                  - click: { role: button, name: Sign in }
                else:
                  - submit: { role: button, name: Pay now }
            """), Does.Contain("never conditional"));

    [Test]
    public void An_optional_submit_is_refused()
    {
        var yaml = Recipe("  - click: { role: button, name: Go }").Replace("  - submit: { role: button, name: Pay now }",
            "  - submit: { role: button, name: Pay now }\n    optional: true", StringComparison.Ordinal);
        var message = Assert.Throws<RecipeException>(() => RecipeLoader.Parse(yaml, "shop.yaml"))!.Message;
        Assert.That(message, Does.Match(@"^shop\.yaml:\d+: step 2 \(submit\) cannot be optional"));
    }

    [TestCase("fill: { label: Card number, value: \"${card.number}\" }")]
    [TestCase("fill: { label: Password, value: \"${account.password}\" }")]
    [TestCase("select: { label: Expiry month, value: \"${card.exp_month}\" }")]
    public void A_secret_step_cannot_be_optional(string step) =>
        Assert.That(Refusal($"  - {step}\n    optional: true"), Does.Contain("cannot be optional"));

    [TestCase("click: { role: button, name: \"${account.password}\" }", "may appear only as the value of a fill step")]
    [TestCase("navigate: \"https://acme.example/?u=${account.username}\"", "may appear only as the value of a fill step")]
    [TestCase("select: { label: Card, value: \"${card.number}\" }", "cannot be a select value")]
    [TestCase("select: { label: Who, value: \"${account.username}\" }", "cannot be a select value")]
    [TestCase("fill: { label: Password, value: \"pw: ${account.password}\" }", "must be the whole fill value")]
    [TestCase("fill: { label: Code, value: \"${account.otp}\" }", "unknown placeholder ${account.otp}")]
    [TestCase("fill: { label: Code, value: \"${acount.totp}\" }", "unknown placeholder")]
    public void Secret_and_unknown_placeholders_out_of_place_are_refused_with_the_line(string step, string expected)
    {
        var message = Refusal($"  - {step}");
        Assert.That(message, Does.StartWith("shop.yaml:7:"));
        Assert.That(message, Does.Contain(expected));
    }

    [Test]
    public void Lint_reports_a_submit_inside_if_through_the_schema_and_loader()
    {
        var problems = RecipeLinter.LintText(Recipe("""
              - if: { visible: { label: Password } }
                steps:
                  - submit: { role: button, name: Pay now }
            """), "shop.yaml");
        Assert.That(problems, Has.Some.Contains("shop.yaml:9:").And.Contains("inside an if"));
    }

    [Test]
    public void Lint_accepts_the_new_keys_through_the_schema() =>
        Assert.That(RecipeLinter.LintText(Recipe("""
              - if: { visible: { label: Password } }
                steps:
                  - fill: { label: Password, value: "${account.password}" }
              - click: { role: button, name: Later }
                optional: true
              - fill: { label: Card number, value: "${card.number}", mode: keys }
            """, "dismiss: [{ role: button, name: Accept all }]\naccount_origins: [merchant]"), "shop.yaml"), Is.Empty);

    [TestCase("mode: typewriter", "mode 'typewriter'")]
    public void A_bad_fill_mode_is_refused(string mode, string expected) =>
        Assert.That(Refusal($"  - fill: {{ label: Card number, value: \"${{card.number}}\", {mode} }}"), Does.Contain(expected));

    [Test]
    public void Steps_without_if_are_refused() =>
        Assert.That(Refusal("  - click: { role: button, name: Go }\n    steps: []"), Does.Contain("belongs to an if step"));

    [TestCase("4", 4)]
    [TestCase("04", 4)]
    [TestCase("04 - April", 4)]
    [TestCase("April", 4)]
    [TestCase("apr", 4)]
    [TestCase("12", 12)]
    [TestCase("Month", null)]
    [TestCase("13", null)]
    [TestCase("2029", null)]
    [TestCase("", null)]
    public void Months_read_as_shops_write_them(string text, int? month) =>
        Assert.That(ExpiryOptions.Month(text), Is.EqualTo(month));

    [TestCase("2029", 2029)]
    [TestCase("29", 2029)]
    [TestCase("Year", null)]
    [TestCase("202", null)]
    public void Years_read_as_shops_write_them(string text, int? year) =>
        Assert.That(ExpiryOptions.Year(text), Is.EqualTo(year));

    [Test]
    public void The_option_is_found_by_value_first_then_by_text()
    {
        SelectOption[] months = [new("", "Month"), new("1", "January"), new("x4", "04 - April"), new("4", "Fourth")];
        Assert.That(ExpiryOptions.Find(months, CardPart.ExpMonth, 4), Is.EqualTo(3), "value 4 wins over the text");
        Assert.That(ExpiryOptions.Find(months, CardPart.ExpMonth, 1), Is.EqualTo(1));
        Assert.That(ExpiryOptions.Find(months, CardPart.ExpMonth, 7), Is.EqualTo(-1));
        SelectOption[] years = [new("", "YY"), new("28", "28"), new("29", "29")];
        Assert.That(ExpiryOptions.Find(years, CardPart.ExpYear, 2029), Is.EqualTo(2));
    }
}
