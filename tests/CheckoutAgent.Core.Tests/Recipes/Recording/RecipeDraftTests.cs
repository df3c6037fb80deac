using CheckoutAgent.Core.Recipes;
using CheckoutAgent.Core.Recipes.Recording;

namespace CheckoutAgent.Tests.Recipes.Recording;

/// <summary>The converter from recorded actions to recipe YAML, without a browser: locator choice, placeholders, guards.</summary>
public class RecipeDraftTests
{
    private const string Shop = "http://127.0.0.1:8080";
    private double _clock = 1000;

    private RecordedAction Act(RecordedKind kind, params LocatorCandidate[] candidates) => new(kind, _clock += 10, candidates);

    private static LocatorCandidate Label(string label, int matches = 1) => new(new LocatorSpec(Label: label), matches);
    private static LocatorCandidate Role(string role, string name, int matches = 1) => new(new LocatorSpec(Role: role, Name: name), matches);
    private static LocatorCandidate TestId(string id, int matches = 1) => new(new LocatorSpec(TestId: id), matches);
    private static LocatorCandidate Css(string css, int matches = 1) => new(new LocatorSpec(Css: css), matches);
    private static TypedValue.Placeholder P(string name) => new TypedValue.Placeholder(name);

    private RecordedWalk SinglePage(params RecordedAction[] extra)
    {
        RecordedAction[] actions =
        [
            Act(RecordedKind.Click, Role("button", "Add to cart"), Css("form > button")),
            Act(RecordedKind.Click, Role("link", "Checkout"), Css("a.checkout")),
            Act(RecordedKind.Fill, Label("Email"), Css("#email")) with { Value = P("buyer.email") },
            Act(RecordedKind.Fill, Label("Card number"), Css("#card-number")) with { Value = P("card.number") },
            .. extra,
            Act(RecordedKind.Click, Role("button", "Pay now"), Css("button[type=submit]")) with { Total = new LocatorSpec(TestId: "order-total") },
        ];
        // In the order listed: the extra actions were made (and stamped) before the ones around them.
        actions = [.. actions.Select((a, i) => a with { At = 1000 + i })];
        return new RecordedWalk($"{Shop}/products/dripper?ref=mail", "Demo Coffee Supply", actions,
            new RecordedConfirmation(new LocatorSpec(TestId: "order-number"), new LocatorSpec(TestId: "charged-total")));
    }

    private static Recipe Load(RecipeDraftResult draft) => RecipeLoader.Parse(draft.Yaml, "recorded.yaml");

    [Test]
    public void Build_SinglePageWalk_LoadsAndLintsClean_WithNavigateAssertTotalSubmitAndOutcome()
    {
        var draft = RecipeDraft.Build(SinglePage());

        Assert.That(RecipeLinter.LintText(draft.Yaml, "recorded.yaml"), Is.Empty, draft.Yaml);
        var recipe = Load(draft);
        Assert.That(recipe.Steps.Select(s => s.Describe()), Is.EqualTo(new[]
        {
            "navigate ${job.product_url}",
            "click role button \"Add to cart\"",
            "click role link \"Checkout\"",
            "fill label \"Email\" with ${buyer.email}",
            "fill label \"Card number\" with ${card.number}",
            "assert total test id \"order-total\"",
            "submit role button \"Pay now\"",
        }));
        Assert.That(recipe.CardOrigins, Is.EqualTo(new[] { "merchant" }));
        Assert.That(recipe.MerchantUrl, Is.EqualTo(Shop));
        var succeeded = recipe.Outcomes.Single(o => o.Code == OutcomeCodes.Succeeded);
        Assert.That(succeeded.When.TestId, Is.EqualTo("order-number"));
        Assert.That(succeeded.Extract.Keys, Is.EquivalentTo(new[] { "order_number", "charged_total" }));
        Assert.That(draft.Notes, Is.Empty);
        Assert.That(draft.Yaml, Does.Not.Contain("ref=mail"), "the start address's query is not written");
    }

    [Test]
    public void Build_PrefersTheFirstUniqueCandidate_AndMarksCssAsLastResort()
    {
        var draft = RecipeDraft.Build(SinglePage(
            Act(RecordedKind.Fill, Label("Name", matches: 2), TestId("cardholder")) with { Value = P("card.name") },
            Act(RecordedKind.Click, Role("button", "Apply", matches: 0), Css("#apply-coupon"))));

        var recipe = Load(draft);
        var steps = recipe.AllSteps;
        Assert.That(steps[5].Describe(), Is.EqualTo("fill test id \"cardholder\" with ${card.name}"));
        Assert.That(steps[6].Describe(), Is.EqualTo("click css \"#apply-coupon\""));
        Assert.That(draft.Yaml, Does.Contain("css: \"#apply-coupon\" }  # CSS locator (nothing more readable was unique)"));
        Assert.That(draft.Notes, Has.One.Contains("step 7: CSS locator"));
    }

    [Test]
    public void Build_NothingUnique_KeepsTheMostReadable_AndSaysHowManyItMatched()
    {
        var draft = RecipeDraft.Build(SinglePage(Act(RecordedKind.Click, Role("button", "Remove", matches: 3))));

        Assert.That(draft.Yaml, Does.Contain("- click: { role: button, name: Remove }  # this locator matched 3 elements when recorded; make it unique"));
        Assert.That(Load(draft).StepCount, Is.EqualTo(8));
    }

    [Test]
    public void Build_UnplacedValue_IsATodoThatHoldsOnlyTheLength()
    {
        var draft = RecipeDraft.Build(SinglePage(Act(RecordedKind.Fill, Label("Coupon")) with { Value = new TypedValue.Unplaced(11) }));

        Assert.That(draft.Yaml, Does.Contain("- fill: { label: Coupon, value: TODO }  # TODO: a typed value of 11 character(s) that matches no placeholder"));
        Assert.That(draft.Notes, Has.One.Contains("step 6: TODO: a typed value of 11 character(s)"));
        Assert.That(RecipeLinter.LintText(draft.Yaml, "recorded.yaml"), Is.Empty);
    }

    [Test]
    public void Build_ConsecutiveInputsOnOneField_AreOneFill_WithTheLastClassification()
    {
        var draft = RecipeDraft.Build(SinglePage(
            Act(RecordedKind.Fill, Label("CVC"), Css("#cvc")) with { Value = new TypedValue.Unplaced(1) },
            Act(RecordedKind.Fill, Label("CVC"), Css("#cvc")) with { Value = new TypedValue.Unplaced(2) },
            Act(RecordedKind.Fill, Label("CVC"), Css("#cvc")) with { Value = P("card.cvc") }));

        Assert.That(Load(draft).AllSteps.Count(s => s.Describe().Contains("CVC", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(draft.Yaml, Does.Contain("- fill: { label: CVC, value: \"${card.cvc}\" }"));
        Assert.That(draft.Notes, Is.Empty);
    }

    [Test]
    public void Build_CardTypedInACrossOriginFrame_ScopesTheStepsAndListsTheFrameOrigin_ThroughAnAlias()
    {
        var frame = new FrameSpec(Title: "Secure card payment");
        var actions = new[]
        {
            Act(RecordedKind.Fill, Label("Email")) with { Value = P("buyer.email") },
            Act(RecordedKind.Fill, Label("Card number")) with { Value = P("card.number"), Frames = [frame], FrameOrigin = "http://127.0.0.1:9001" },
            Act(RecordedKind.Fill, Label("CVC")) with { Value = P("card.cvc"), Frames = [frame], FrameOrigin = "http://127.0.0.1:9001" },
            Act(RecordedKind.Click, Role("button", "Pay now")),
        };
        var aliases = new Dictionary<string, string> { ["http://127.0.0.1:9001"] = "https://pay.demo.test" };

        var draft = RecipeDraft.Build(new RecordedWalk($"{Shop}/p/1", "Shop", actions, null, aliases));

        var recipe = Load(draft);
        Assert.That(recipe.CardOrigins, Is.EqualTo(new[] { "https://pay.demo.test" }));
        Assert.That(draft.Yaml, Does.Contain("- wait_for: { network_idle: true }"));
        Assert.That(draft.Yaml, Does.Contain("- fill: { frame: { title: Secure card payment }, label: Card number, value: \"${card.number}\" }"));
        Assert.That(recipe.AllSteps.OfType<FillStep>().Where(f => f.IsCardField).Select(f => f.Target.Frames.Single()), Has.All.EqualTo(frame));
    }

    [Test]
    public void Build_ShadowDomField_GetsItsShadowScope()
    {
        var draft = RecipeDraft.Build(SinglePage(Act(RecordedKind.Fill, Label("CVC")) with { Value = P("card.cvc"), Shadow = "payment-form" }));

        Assert.That(Load(draft).AllSteps.OfType<FillStep>().Single(f => f.Target.Label == "CVC").Target.Shadow, Is.EqualTo("payment-form"));
    }

    [Test]
    public void Build_CookieWallClick_BecomesADismissEntry_NotAStep()
    {
        var wall = Act(RecordedKind.Click, Role("button", "Accept all")) with { InDialog = true };
        var modal = Act(RecordedKind.Click, Role("button", "No thanks")) with { InDialog = true };
        var draft = RecipeDraft.Build(SinglePage(wall, modal));

        var recipe = Load(draft);
        Assert.That(recipe.Dismiss.Select(d => d.Name), Is.EqualTo(new[] { "Accept all", "No thanks" }));
        Assert.That(recipe.AllSteps.Select(s => s.Describe()), Has.None.Contains("Accept all"));
    }

    [Test]
    public void Build_ChecksSelectsAndAccount_AreWrittenWithTheirPlaceholders()
    {
        var draft = RecipeDraft.Build(SinglePage(
            Act(RecordedKind.Select, Label("Country")) with { Value = P("shipping.country") },
            Act(RecordedKind.Check, Label("I agree to the terms")) with { Checked = true },
            Act(RecordedKind.Check, Label("Send me offers")) with { Checked = false },
            Act(RecordedKind.Fill, Label("Password")) with { Value = P("account.password"), FrameOrigin = Shop }));

        var recipe = Load(draft);
        Assert.That(draft.Yaml, Does.Contain("- select: { label: Country, value: \"${shipping.country}\" }"));
        Assert.That(draft.Yaml, Does.Contain("- check: { label: I agree to the terms }"));
        Assert.That(draft.Yaml, Does.Contain("- check: { label: Send me offers, checked: false }"));
        Assert.That(recipe.AccountOrigins, Is.EqualTo(new[] { "merchant" }));
        Assert.That(recipe.UsesAccount, Is.True);
    }

    [Test]
    public void Build_NoConfirmationNorTotal_SaysSo_AndStillLoads()
    {
        var actions = new[] { Act(RecordedKind.Click, Role("button", "Buy")) };

        var draft = RecipeDraft.Build(new RecordedWalk($"{Shop}/", "Shop", actions, null));

        Assert.That(draft.Notes, Has.Some.Contains("no confirmation page was seen"));
        Assert.That(draft.Notes, Has.Some.Contains("no total was found"));
        Assert.That(Load(draft).Steps[^1], Is.InstanceOf<SubmitStep>());
    }

    [Test]
    public void Build_NoClick_RefusesWithAMessageSayingWhatToDo()
    {
        var actions = new[] { Act(RecordedKind.Fill, Label("Email")) with { Value = P("buyer.email") } };

        var error = Assert.Throws<ArgumentException>(() => RecipeDraft.Build(new RecordedWalk($"{Shop}/", "Shop", actions, null)));

        Assert.That(error!.Message, Does.Contain("no click was seen").And.Contain("click it"));
    }

    [TestCase("Pay now", "Pay now")]
    [TestCase("Expiry (MM/YY)", "Expiry (MM/YY)")]
    [TestCase("Total: $24", "\"Total: $24\"")]
    [TestCase("yes", "\"yes\"")]
    [TestCase("a \"b\", {c}", "\"a \\\"b\\\", {c}\"")]
    [TestCase("#cvc", "\"#cvc\"")]
    public void Quote_PlainWhenSafe_ElseDoubleQuoted(string text, string expected) =>
        Assert.That(RecipeDraft.Quote(text), Is.EqualTo(expected));
}
