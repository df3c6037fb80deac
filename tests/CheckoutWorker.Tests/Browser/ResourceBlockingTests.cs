using System.Collections.Concurrent;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Playwright;

namespace CheckoutAgent.Tests.Browser;

/// <summary>
/// A recipe's <c>block:</c> list in real Chromium, against fixture pages served through Playwright's routing
/// (http://shop.test, a card processor at http://cards.test and a tracker at http://tracker.test never reach a network).
/// </summary>
[Category("Browser")]
public class ResourceBlockingTests : DataDirectoryTest
{
    private static readonly BrowserOptions Options = new() { StepTimeout = TimeSpan.FromSeconds(3), OutcomeTimeout = TimeSpan.FromSeconds(2) };
    private BrowserPool _browsers = null!;

    [OneTimeSetUp]
    public void StartBrowser() => _browsers = new BrowserPool(Microsoft.Extensions.Options.Options.Create(Options));

    [OneTimeTearDown]
    public async Task StopBrowserAsync() => await _browsers.DisposeAsync();

    private const string Checkout = """
        <img src="/hero.png" alt="" width="10" height="10">
        <script src="http://tracker.test/t.js"></script>
        <iframe title="Card" src="http://cards.test/frame"></iframe>
        <p data-testid=total>$24.00</p><button>Pay</button>
        """;

    private const string CardFrame = """
        <img src="http://cards.test/brand.png" alt="" width="10" height="10">
        <img src="http://shop.test/from-card-frame.png" alt="" width="10" height="10">
        <label for=n>Card number</label><input id=n>
        """;

    private static string Recipe(string block) => $$"""
        recipe: 1
        merchant: { name: Fixture, url: "http://shop.test" }
        card_origins: [merchant, "http://cards.test"]
        {{block}}
        steps:
          - navigate: "http://shop.test/checkout"
          - fill: { frame: { title: Card }, label: Card number, value: "${card.number}" }
          - assert_total: { test_id: total }
          - submit: { role: button, name: Pay }
        outcomes:
          succeeded: { when: { test_id: done } }
        """;

    /// <summary>Runs the recipe as a dry run and returns every URL the fixture servers were asked for.</summary>
    private async Task<(RecipeRunResult Result, IReadOnlyCollection<string> Served)> RunAsync(string block)
    {
        var served = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
        var context = await _browsers.NewContextAsync(CancellationToken.None);
        await context.RouteAsync("**/*", route =>
        {
            var url = route.Request.Url;
            served[url] = true;
            return url.EndsWith(".png", StringComparison.Ordinal) ? route.FulfillAsync(new RouteFulfillOptions { ContentType = "image/png", BodyBytes = png })
                : url.EndsWith(".js", StringComparison.Ordinal) ? route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/javascript", Body = "" })
                : route.FulfillAsync(new RouteFulfillOptions
                {
                    ContentType = "text/html; charset=utf-8",
                    Body = url.StartsWith("http://cards.test/", StringComparison.Ordinal) ? CardFrame : Checkout,
                });
        });
        var runner = new RecipeRunner(Microsoft.Extensions.Options.Options.Create(Options), Microsoft.Extensions.Options.Options.Create(new RecipeOptions()));
        var run = new RecipeRun(RecipeLoader.Parse(Recipe(block), "fixture.yaml"), "http://shop.test", RecipeDryRun.TestCard, 2400, "usd",
            new Dictionary<string, string>(), Path.Combine(DataDirectory, "shot.png"))
        {
            StopBeforeSubmit = true,
        };
        try
        {
            var result = await runner.RunAsync(context, run, _ => throw new AssertionException("must not submit"), _ => Task.CompletedTask, CancellationToken.None);
            // The card frame's pictures load on their own time: wait for them before reading what was served.
            for (var i = 0; i < 50 && !served.ContainsKey("http://shop.test/from-card-frame.png"); i++)
            {
                await Task.Delay(100);
            }
            return (result, served.Keys.ToList());
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Test]
    public async Task Block_StopsTheMerchantsImagesAndTheTracker_ButNothingTheCardFrameNeeds()
    {
        var (result, served) = await RunAsync("block: [images, tracker.test]");

        Assert.That(result.Code, Is.EqualTo(OutcomeCodes.ReadyToSubmit), result.Message);
        Assert.That(served, Does.Not.Contain("http://shop.test/hero.png"), "an image of the merchant's page is blocked");
        Assert.That(served, Does.Not.Contain("http://tracker.test/t.js"), "the tracker's host is blocked");
        Assert.That(served, Does.Contain("http://cards.test/brand.png"), "a card origin's image is never blocked");
        Assert.That(served, Does.Contain("http://shop.test/from-card-frame.png"), "what a card frame loads is never blocked");
    }

    [Test]
    public async Task NoBlock_LoadsEverything()
    {
        var (result, served) = await RunAsync("");

        Assert.That(result.Code, Is.EqualTo(OutcomeCodes.ReadyToSubmit), result.Message);
        Assert.That(served, Does.Contain("http://shop.test/hero.png").And.Contain("http://tracker.test/t.js"));
    }
}
