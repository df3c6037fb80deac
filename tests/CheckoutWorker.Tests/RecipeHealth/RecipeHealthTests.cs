using System.Net;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Tests.Webhooks;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Cli;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.RecipeHealth;
using CheckoutAgent.Worker.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CheckoutAgent.Tests.RecipeHealth;

/// <summary>
/// Recipe health checks against the real demo shop in Chromium: the Quartz schedule, the recorded results, the
/// <c>recipe.broken</c> alert, the API, and <c>recipe check</c>. "broken" is the demo shop's recipe after the shop
/// renamed its cart button, as a merchant changing its checkout would.
/// </summary>
[Category("Browser")]
public class RecipeHealthTests : DataDirectoryTest
{
    private const string WebhookSecret = "whsec_recipe_health_test_5b8e";
    private const string UntypedCardNumber = "4000000000000002";

    private static string RecipesFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CheckoutAgent.sln")))
            {
                return Path.Combine(dir.FullName, "recipes");
            }
        }
        throw new DirectoryNotFoundException("no CheckoutAgent.sln above the test folder");
    }

    /// <summary>A recipes folder with <c>good</c> (the demo shop's recipe) and <c>broken</c> (its cart button renamed).</summary>
    private string WriteRecipes()
    {
        var folder = Path.Combine(DataDirectory, "recipes");
        Directory.CreateDirectory(folder);
        var recipe = File.ReadAllText(Path.Combine(RecipesFolder(), "demo-shop.yaml"));
        File.WriteAllText(Path.Combine(folder, "good.yaml"), recipe);
        File.WriteAllText(Path.Combine(folder, "broken.yaml"), recipe.Replace("name: Add to cart", "name: Add to basket", StringComparison.Ordinal));
        return folder;
    }

    [Test]
    public async Task ScheduledChecks_RecordHealthyAndBroken_AlertOnce_AndShowInTheApi()
    {
        var recipes = WriteRecipes();
        await using var receiver = await WebhookReceiver.StartAsync();
        var shop = await DemoShop.StartAsync(new DemoShopOptions(), new SandboxIssuer(new LinkSandbox(new LinkSandboxOptions())));
        await using var shopLifetime = shop;
        var product = shop.ProductUrl(DemoShopOptions.DefaultProducts[0].Sku).ToString();
        var merchant = shop.BaseUrl.GetLeftPart(UriPartial.Authority);
        await using var service = await TestService.StartAsync(configuration: WebhookReceiver.AllowingLoopback(new Dictionary<string, string?>
        {
            ["Worker:RecipesDirectory"] = recipes,
            ["Browser:StepTimeout"] = "00:00:03",
            // Every two seconds: the test sees the broken recipe checked more than once.
            ["Recipes:HealthCheck:Cron"] = "0/2 * * * * ?",
            ["Recipes:HealthCheck:WebhookUrl"] = receiver.Url("/hooks/recipes"),
            ["Recipes:HealthCheck:WebhookSecret"] = WebhookSecret,
            ["Recipes:HealthCheck:Targets:good:MerchantUrl"] = merchant,
            ["Recipes:HealthCheck:Targets:good:ProductUrl"] = product,
            ["Recipes:HealthCheck:Targets:broken:MerchantUrl"] = merchant,
            ["Recipes:HealthCheck:Targets:broken:ProductUrl"] = product,
        }));
        var store = service.Services.GetRequiredService<RecipeHealthStore>();

        var (done, _) = await Poll.TryUntilAsync(
            async () => (await store.HistoryAsync("broken", 5, CancellationToken.None)).Count >= 2 && (await store.HistoryAsync("good", 5, CancellationToken.None)).Count >= 1,
            ok => ok, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(250));
        Assert.That(done, Is.True, "both recipes were checked by the schedule, the broken one at least twice");

        var good = (await store.HistoryAsync("good", 1, CancellationToken.None))[0];
        Assert.That(good.Passed, Is.True, good.Message);
        Assert.That(good.Code, Is.EqualTo("ready_for_secrets"));
        Assert.That(good.Trigger, Is.EqualTo(RecipeCheckTriggers.Schedule));
        Assert.That(good.Message, Does.Contain("reached step 11 (fill label \"Card number\" with ${card.number})"));
        Assert.That(shop.CardTokenRequests + shop.PaymentAttempts + shop.PaySubmissions, Is.Zero, "nothing was paid or typed into the card processor");
        Assert.That(shop.Orders, Is.Empty);

        var broken = await store.HistoryAsync("broken", 5, CancellationToken.None);
        Assert.That(broken.Select(c => c.Passed), Has.All.False);
        Assert.That(broken[0].Code, Is.EqualTo("step_failed:3"));
        Assert.That(broken[0].FailedStep, Is.EqualTo(3));
        Assert.That(broken[0].Step, Is.EqualTo("click role button \"Add to basket\""));
        Assert.That(broken[0].Message, Does.Contain("on the page now: { role: button, name: Add to cart }"), "the fix, found on the live page");
        Assert.That(broken[0].PageState, Does.Contain("Demo Coffee Supply"), "what the page showed");
        Assert.That(broken[0].ScreenshotPath, Does.Exist);

        // One alert for the recipe breaking, none for the later checks that found it broken the same way.
        var alerts = await receiver.WaitForAsync(1);
        await Task.Delay(500);
        Assert.That(receiver.Received, Has.Count.EqualTo(1));
        var alert = alerts[0];
        Assert.That(alert.Path, Is.EqualTo("/hooks/recipes"));
        Assert.That(alert.Header("CheckoutAgent-Event-Type"), Is.EqualTo("recipe.broken"));
        Assert.That(WebhookSignature.Verify(WebhookSecret, alert.Header("CheckoutAgent-Signature"), alert.Body, DateTimeOffset.UtcNow), Is.True, "signed");
        using (var body = JsonDocument.Parse(alert.Body))
        {
            var check = body.RootElement.GetProperty("data").GetProperty("check");
            Assert.That(body.RootElement.GetProperty("type").GetString(), Is.EqualTo("recipe.broken"));
            Assert.That(check.GetProperty("recipe").GetString(), Is.EqualTo("broken"));
            Assert.That(check.GetProperty("failed_step").GetInt32(), Is.EqualTo(3));
            Assert.That(check.GetProperty("passed").GetBoolean(), Is.False);
        }
        Assert.That(broken[^1].Alert, Does.StartWith("recipe.broken delivered (200)"), "the first failing check records its alert");

        // The API: health for readers; a check now and the screenshot for admins only.
        var (reader, _) = await service.AddAgentAsync("reader", "purchases:read");
        var (admin, _) = await service.AddAgentAsync("operator", "admin");
        using (var list = JsonDocument.Parse(await reader.GetStringAsync("/v1/recipes/health")))
        {
            var byName = list.RootElement.GetProperty("data").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
            Assert.That(byName["good"].GetProperty("status").GetString(), Is.EqualTo("healthy"));
            Assert.That(byName["broken"].GetProperty("status").GetString(), Is.EqualTo("broken"));
            Assert.That(byName["broken"].GetProperty("last_check").GetProperty("step").GetString(), Is.EqualTo("click role button \"Add to basket\""));
            Assert.That(list.RootElement.GetProperty("scheduled").GetString(), Is.EqualTo("0/2 * * * * ?"));
        }
        var screenshotUrl = $"/v1/recipes/broken/checks/{broken[0].Id}/screenshot";
        Assert.That((await reader.GetAsync(screenshotUrl)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using (var screenshot = await admin.GetAsync(screenshotUrl))
        {
            Assert.That(screenshot.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(screenshot.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/png"));
        }
        Assert.That((await reader.PostAsync("/v1/recipes/good/check", null)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await admin.PostAsync("/v1/recipes/nope/check", null)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        using (var now = await admin.PostAsync("/v1/recipes/good/check", null))
        {
            Assert.That(now.StatusCode, Is.EqualTo(HttpStatusCode.OK), await now.Content.ReadAsStringAsync());
            using var check = JsonDocument.Parse(await now.Content.ReadAsStringAsync());
            Assert.That(check.RootElement.GetProperty("passed").GetBoolean(), Is.True);
            Assert.That(check.RootElement.GetProperty("trigger").GetString(), Is.EqualTo("api"));
        }

        // Nothing secret anywhere: the card a check carries is never typed, so it is in no record, alert or screenshot.
        Assert.That(alert.Body, Does.Not.Contain(UntypedCardNumber));
        foreach (var file in Directory.GetFiles(DataDirectory, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".png", StringComparison.Ordinal)))
        {
            Assert.That(await ReadSharedAsync(file), Does.Not.Contain(UntypedCardNumber), file);
        }
    }

    [Test]
    public async Task RecipeCheck_Cli_PrintsStepsAndVerdict_RecordsIt_AndExitsOneWhenBroken()
    {
        var recipes = WriteRecipes();
        var shop = await DemoShop.StartAsync(new DemoShopOptions(), new SandboxIssuer(new LinkSandbox(new LinkSandboxOptions())));
        await using var shopLifetime = shop;
        var product = shop.ProductUrl(DemoShopOptions.DefaultProducts[0].Sku).ToString();
        var merchant = shop.BaseUrl.GetLeftPart(UriPartial.Authority);

        var (goodExit, goodOut, goodErr) = await CheckAsync(new(Path.Combine(recipes, "good.yaml"), merchant, product, false, DataDirectory, TimeSpan.FromSeconds(3)));
        Assert.That(goodExit, Is.Zero, goodOut + goodErr);
        Assert.That(goodOut, Does.Match(@"\] step 10/16 fill label ""Country"" with \$\{shipping.country\} \(\d+ ms\)"));
        Assert.That(goodOut, Does.Not.Contain("step 11/16"), "the card step is looked for, never run");
        Assert.That(goodOut, Does.Contain("HEALTHY: reached step 11"));

        var (brokenExit, brokenOut, _) = await CheckAsync(new(Path.Combine(recipes, "broken.yaml"), merchant, product, false, DataDirectory, TimeSpan.FromSeconds(3)));
        Assert.That(brokenExit, Is.EqualTo(1));
        Assert.That(brokenOut, Does.Contain("BROKEN: step_failed:3"));
        Assert.That(brokenOut, Does.Contain("step:       3 click role button \"Add to basket\""));
        Assert.That(brokenOut, Does.Match(@"screenshot: \S+\.png"));
        Assert.That(goodOut + brokenOut, Does.Not.Contain(UntypedCardNumber));

        var store = new RecipeHealthStore(new CheckoutDatabase(Path.Combine(DataDirectory, "checkout-agent.db")));
        var latest = await store.LatestAsync(CancellationToken.None);
        Assert.That(latest["good"].Passed, Is.True);
        Assert.That(latest["broken"].Passed, Is.False);
        Assert.That(latest["broken"].Trigger, Is.EqualTo(RecipeCheckTriggers.Cli));
        Assert.That(shop.Orders, Is.Empty);
    }

    [Test]
    public async Task RecipeCheck_UnknownRecipeOrBadUrl_CannotStart()
    {
        var (exit, _, stderr) = await CheckAsync(new("no-such-recipe.yaml", null, null, false, DataDirectory));
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("there is no recipe file no-such-recipe.yaml"));

        var recipes = WriteRecipes();
        (exit, _, stderr) = await CheckAsync(new(Path.Combine(recipes, "good.yaml"), "ftp://shop", null, false, DataDirectory));
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--merchant-url must be an absolute http(s) URL, e.g. https://shop.example.com/; got 'ftp://shop'"));
    }

    [Test]
    public void RecipeCheck_HasHelp()
    {
        var output = new StringWriter();
        var exit = CliApp.Create().Parse(["recipe", "check", "--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output });
        Assert.That(exit, Is.Zero);
        Assert.That(output.ToString(), Does.Contain("up to just before its first card or account step").And.Contain("--merchant-url"));
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> CheckAsync(RecipeCheckCommand.CheckSettings settings)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await RecipeCheckCommand.CheckAsync(settings, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
