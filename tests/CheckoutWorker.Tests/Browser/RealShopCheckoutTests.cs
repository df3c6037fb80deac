using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Demo;

namespace CheckoutAgent.Tests.Browser;

/// <summary>
/// The real-shop recipe features through the worker and Chromium, each against the demo shop shaped to need it, and
/// each shown to matter: without the feature the same shop fails.
/// </summary>
[Category("Browser")]
[NonParallelizable]
public class RealShopCheckoutTests
{
    private string _recipes = null!;

    [SetUp]
    public void SetUp() => _recipes = Directory.CreateTempSubdirectory("ca-recipes-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_recipes, recursive: true);

    private static string Shipped(string name)
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CheckoutAgent.sln")))
        {
            dir = dir.Parent;
        }
        return File.ReadAllText(Path.Combine(dir!.FullName, "recipes", name + ".yaml"));
    }

    private async Task<(PurchaseRecord Purchase, IReadOnlyList<PurchaseEvent> Timeline, DemoShop Shop)> BuyAsync(
        DemoShopOptions options, string recipeName, string recipeText, TimeSpan? stepTimeout = null)
    {
        File.WriteAllText(Path.Combine(_recipes, recipeName + ".yaml"), recipeText);
        var sandbox = new LinkSandbox(new LinkSandboxOptions());
        var shop = await DemoShop.StartAsync(options, new SandboxIssuer(sandbox));
        var configuration = new Dictionary<string, string?>(DemoRunner.ShopConfiguration(shop)) { ["Worker:RecipesDirectory"] = _recipes };
        if (stepTimeout is { } timeout)
        {
            configuration["Browser:StepTimeout"] = timeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }
        await using var worker = await TestWorker.StartAsync(sandbox, configuration);
        var purchase = await worker.EnqueueAsync(DemoRunner.Request(shop, options, "pour-over-dripper", 1, recipeName));
        var ended = await worker.WaitForEndAsync(purchase.Id, TimeSpan.FromSeconds(90));
        return (ended, await worker.Store.GetTimelineAsync(purchase.Id, CancellationToken.None), shop);
    }

    [Test]
    public async Task A_total_that_settles_on_another_amount_is_a_mismatch_without_a_click()
    {
        var (purchase, timeline, shop) = await BuyAsync(
            new DemoShopOptions { Variant = DemoVariant.LateTotal, QuotedTotalOffset = 250 }, "late", Shipped("demo-late-total"));
        await using var _ = shop;

        Assert.That(purchase.Outcome!.Code, Is.EqualTo(FailureCodes.TotalMismatch), purchase.Outcome.Message);
        Assert.That(purchase.Outcome.Message, Does.Contain("$26.50").And.Contain("differs from the approved $24.00"), "the settled amount, not \"Calculating…\"");
        Assert.That(timeline.Count(e => e.Kind == PurchaseStatus.Submitting), Is.Zero);
        Assert.That(shop.PaySubmissions, Is.Zero);
    }

    [Test]
    public async Task A_late_total_is_waited_for_and_matches()
    {
        var (purchase, timeline, shop) = await BuyAsync(
            new DemoShopOptions { Variant = DemoVariant.LateTotal, QuoteDelay = TimeSpan.FromSeconds(2) }, "late", Shipped("demo-late-total"));
        await using var _ = shop;

        Assert.That(purchase.Status, Is.EqualTo(PurchaseStatus.Succeeded), purchase.Outcome?.Message);
        Assert.That(timeline.Select(e => e.Message), Has.Some.Contains("assert total").And.Contains("matches"));
    }

    [Test]
    public async Task Without_dismiss_the_cookie_wall_fails_the_run_with_it_the_same_shop_succeeds()
    {
        static DemoShopOptions Options() => new() { Variant = DemoVariant.Consent, ConsentWall = ConsentWallMode.Always, NewsletterDelay = TimeSpan.FromSeconds(1) };
        var withDismiss = Shipped("demo-consent");
        var withoutDismiss = withDismiss
            .Replace("  - { role: button, name: Accept all }\n", "", StringComparison.Ordinal)
            .Replace("  - { role: button, name: No thanks }\n", "", StringComparison.Ordinal)
            .Replace("dismiss:\n", "", StringComparison.Ordinal);
        Assert.That(withoutDismiss, Does.Not.Contain("\ndismiss:").And.Not.Contain("name: Accept all }"));

        var (failed, _, shop1) = await BuyAsync(Options(), "no-dismiss", withoutDismiss.Replace("\nsteps:", "\n# (test copy)\nsteps:", StringComparison.Ordinal),
            stepTimeout: TimeSpan.FromSeconds(4));
        await using (shop1)
        {
            Assert.That(failed.Outcome!.Code, Does.StartWith("step_failed:"), failed.Outcome.Message);
            Assert.That(shop1.PaySubmissions, Is.Zero);
        }

        var (bought, _, shop2) = await BuyAsync(Options(), "with-dismiss", withDismiss);
        await using (shop2)
        {
            Assert.That(bought.Status, Is.EqualTo(PurchaseStatus.Succeeded), bought.Outcome?.Message);
            Assert.That(shop2.ConsentWallsShown, Is.GreaterThanOrEqualTo(1));
            Assert.That(shop2.PaySubmissions, Is.EqualTo(1), "one click reached the shop");
        }
    }

    [TestCase(ConsentWallMode.Never, true)]
    [TestCase(ConsentWallMode.Always, false)]
    public async Task An_optional_click_is_skipped_when_its_element_does_not_show(ConsentWallMode wall, bool skipped)
    {
        var recipe = Shipped("demo-consent")
            .Replace("  - { role: button, name: Accept all }\n", "", StringComparison.Ordinal)
            .Replace("  - navigate: \"${job.product_url}\"\n",
                "  - navigate: \"${job.product_url}\"\n  - click: { role: button, name: Accept all }\n    optional: true\n", StringComparison.Ordinal);
        Assert.That(recipe, Does.Contain("optional: true"));

        var (purchase, timeline, shop) = await BuyAsync(
            new DemoShopOptions { Variant = DemoVariant.Consent, ConsentWall = wall, NewsletterDelay = null }, "optional", recipe);
        await using var _ = shop;

        Assert.That(purchase.Status, Is.EqualTo(PurchaseStatus.Succeeded), purchase.Outcome?.Message);
        var step2 = timeline.Single(e => e.Message.StartsWith("step 2/", StringComparison.Ordinal));
        Assert.That(step2.Message, skipped ? Does.Contain("skipped: its element did not show") : Does.Not.Contain("skipped"));
    }
}
