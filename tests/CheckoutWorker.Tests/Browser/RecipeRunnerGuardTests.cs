using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace CheckoutAgent.Tests.Browser;

/// <summary>
/// The runner's guards in real Chromium, against small fixture pages this test serves through Playwright's routing
/// (http://shop.test never reaches a network): hostile or broken card fields, and page totals in several formats.
/// </summary>
[Category("Browser")]
public class RecipeRunnerGuardTests : DataDirectoryTest
{
    private const string Number = "4000000000000002";
    private static readonly BrowserOptions Options = new() { StepTimeout = TimeSpan.FromSeconds(2), OutcomeTimeout = TimeSpan.FromSeconds(2) };
    private BrowserPool _browsers = null!;

    [OneTimeSetUp]
    public void StartBrowser() => _browsers = new BrowserPool(Microsoft.Extensions.Options.Options.Create(Options));

    [OneTimeTearDown]
    public async Task StopBrowserAsync() => await _browsers.DisposeAsync();

    private static string Recipe(string cardField, string total = "{ test_id: total }") => $$"""
        recipe: 1
        merchant: { name: Fixture, url: "http://shop.test" }
        steps:
          - navigate: "http://shop.test/checkout"
          - fill: { {{cardField}}, value: "${card.number}" }
          - assert_total: {{total}}
          - submit: { role: button, name: Pay }
        outcomes:
          succeeded: { when: { test_id: done } }
        """;

    private async Task<(RecipeRunResult Result, IPage Page)> RunAsync(string recipeYaml, string html, long amount = 2400, string currency = "usd")
    {
        var context = await _browsers.NewContextAsync(CancellationToken.None);
        await context.RouteAsync("http://shop.test/**", route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html; charset=utf-8", Body = html }));
        var runner = new RecipeRunner(Microsoft.Extensions.Options.Options.Create(Options), Microsoft.Extensions.Options.Options.Create(new RecipeOptions()));
        var run = new RecipeRun(RecipeLoader.Parse(recipeYaml, "fixture.yaml"), "http://shop.test", RecipeDryRun.TestCard, amount, currency,
            new Dictionary<string, string>(), Path.Combine(DataDirectory, "shot.png"))
        {
            StopBeforeSubmit = true,
        };
        var result = await runner.RunAsync(context, run, _ => throw new AssertionException("must not submit"), _ => Task.CompletedTask, CancellationToken.None);
        return (result, context.Pages[0]);
    }

    [Test]
    public async Task CardField_ThatKeepsOnlyPartOfTheNumber_FailsTheReadBack()
    {
        var (result, _) = await RunAsync(Recipe("label: Card number"), """
            <label for=n>Card number</label><input id=n maxlength=8>
            <p data-testid=total>$24.00</p><button>Pay</button>
            """);

        Assert.That(result.Code, Is.EqualTo("step_failed:2"));
        Assert.That(result.Message, Does.Contain("did not keep what was typed"));
        Assert.That(result.Message + result.PageState, Does.Not.Contain(Number));
    }

    [Test]
    public async Task CardField_ThatIsDisabled_FailsWithTheErrorTypeOnly()
    {
        var (result, _) = await RunAsync(Recipe("label: Card number"), """
            <label for=n>Card number</label><input id=n disabled value="">
            <p data-testid=total>$24.00</p><button>Pay</button>
            """);

        Assert.That(result.Code, Is.EqualTo("step_failed:2"));
        Assert.That(result.Message, Does.EndWith("failed: TimeoutException"), "Playwright's text can quote the typed value: it is dropped");
        Assert.That(result.Message, Does.Contain("label \"Card number\""));
    }

    [Test]
    public async Task CardField_InAFrameWithNoWebOrigin_IsAnOriginViolation_AndNothingIsTyped()
    {
        var (result, page) = await RunAsync(Recipe("frame: { title: Card }, label: Card number"), """
            <iframe title=Card srcdoc="<label for=n>Card number</label><input id=n>"></iframe>
            <p data-testid=total>$24.00</p><button>Pay</button>
            """);

        Assert.That(result.Code, Is.EqualTo(FailureCodes.OriginViolation));
        Assert.That(result.Message, Does.Contain("nothing was typed"));
        var typed = await page.FrameLocator("iframe[title=Card]").GetByLabel("Card number").InputValueAsync();
        Assert.That(typed, Is.Empty);
    }

    [Test]
    public async Task CardField_InTheMerchantsShadowDom_IsTypedThroughTheShadowScope()
    {
        var (result, _) = await RunAsync(Recipe("shadow: card-box, label: Card number"), """
            <card-box><template shadowrootmode="open"><label for=n>Card number</label><input id=n></template></card-box>
            <p data-testid=total>$24.00</p><button>Pay</button>
            """);

        Assert.That(result.Code, Is.EqualTo(OutcomeCodes.ReadyToSubmit), result.Message);
    }

    [TestCase("$1,234.56", 123456, "usd", "ready_to_submit")]
    [TestCase("1.234,56 €", 123456, "eur", "ready_to_submit")]
    [TestCase("USD 12.00", 1200, "usd", "ready_to_submit")]
    [TestCase("1.234,56 €", 123456, "usd", "total_mismatch")]
    [TestCase("$1,234.57", 123456, "usd", "total_mismatch")]
    [TestCase("Subtotal $10.00, total $12.00", 1200, "usd", "total_mismatch")]
    public async Task AssertTotal_ComparesAmountAndCurrency(string shown, long amount, string currency, string code)
    {
        var (result, _) = await RunAsync(Recipe("label: Card number"), $"""
            <label for=n>Card number</label><input id=n>
            <p data-testid=total>{shown}</p><button>Pay</button>
            """, amount, currency);

        Assert.That(result.Code, Is.EqualTo(code), result.Message);
        Assert.That(result.Submitted, Is.False);
    }
}
