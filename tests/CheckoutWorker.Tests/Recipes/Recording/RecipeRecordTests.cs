using System.Net;
using System.Net.Sockets;
using CheckoutAgent.Tests.EndToEnd;
using CheckoutAgent.Worker.Cli;
using Microsoft.Playwright;

namespace CheckoutAgent.Tests.Recipes.Recording;

/// <summary>
/// <c>recipe record</c> end to end: a headed Chromium (Debian's full chromium) on a virtual display, driven over CDP by
/// Playwright as a buyer would walk the demo shop; the recipe it writes then passes lint, the closing dry run, and a
/// whole sandbox purchase. Every output of the recording (recipe, terminal, logs) is scanned for the typed card,
/// CVC and expiry, which differ from the ones the banner suggests.
/// </summary>
[Category("Browser")]
[NonParallelizable]
public class RecipeRecordTests : DataDirectoryTest
{
    // Another public test Visa than the banner's 4242…, with its own CVC and expiry: if any of them shows up in an
    // output, it came from what was typed.
    private const string TypedCard = "4000 0566 5566 5556";
    private const string TypedCvc = "737";
    private const int TypedMonth = 11;
    private static readonly int TypedYear = TimeProvider.System.GetUtcNow().Year + 4;
    private static readonly string TypedExpiry = $"{TypedMonth:00}/{TypedYear % 100:00}";

    private VirtualDisplay? _display;
    private IPlaywright? _playwright;

    [OneTimeSetUp]
    public async Task StartDisplay()
    {
        _display = VirtualDisplay.Start();
        _playwright = await Playwright.CreateAsync();
    }

    [OneTimeTearDown]
    public void StopDisplay()
    {
        _playwright?.Dispose();
        _display?.Dispose();
    }

    [Test]
    public async Task Record_SinglePage_WritesARecipeThatPassesLintDryRunAndASandboxPurchase() =>
        await RecordAndCheckAsync("single-page", async page =>
        {
            await page.GetByLabel("Quantity", new() { Exact = true }).FillAsync("1");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
            await FillShippingAsync(page);
            await page.GetByLabel("Country", new() { Exact = true }).FillAsync("US");
            await FillCardAsync(page.Locator(":root"));
            await page.GetByRole(AriaRole.Button, new() { Name = "Pay now" }).ClickAsync();
        }, yaml =>
        {
            Assert.That(yaml, Does.Contain("card_origins: [merchant]"));
            Assert.That(yaml, Does.Contain("- fill: { label: Quantity, value: \"${job.quantity}\" }"));
            Assert.That(yaml, Does.Contain("- fill: { label: Country, value: \"${shipping.country}\" }"));
            Assert.That(yaml, Does.Contain("- assert_total: { test_id: order-total }"));
            Assert.That(yaml, Does.Contain("- submit: { role: button, name: Pay now }"));
        });

    [Test]
    public async Task Record_MultiStep_WritesSelectsChecksAndTheReviewTotal() =>
        await RecordAndCheckAsync("multi-step", async page =>
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
            await FillShippingAsync(page);
            await page.GetByLabel("Country", new() { Exact = true }).SelectOptionAsync("US");
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue to payment" }).ClickAsync();
            await FillCardAsync(page.Locator(":root"));
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue to review" }).ClickAsync();
            await page.GetByLabel("I agree to the terms of sale").CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Place order" }).ClickAsync();
        }, yaml =>
        {
            Assert.That(yaml, Does.Contain("- select: { label: Country, value: \"${shipping.country}\" }"));
            Assert.That(yaml, Does.Contain("- check: { label: I agree to the terms of sale }"));
            Assert.That(yaml, Does.Contain("- assert_total: { test_id: review-total }"));
            Assert.That(yaml, Does.Contain("- submit: { role: button, name: Place order }"));
        });

    [Test]
    public async Task Record_IframeCard_ScopesCardFieldsToTheFrame_AndNamesItsOrigin() =>
        await RecordAndCheckAsync("iframe-card", async page =>
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
            await FillShippingAsync(page);
            await page.GetByLabel("Country", new() { Exact = true }).FillAsync("US");
            await FillCardAsync(page.FrameLocator("iframe[title='Secure card payment']").Locator(":root"));
            await page.GetByRole(AriaRole.Button, new() { Name = "Pay now" }).ClickAsync();
        }, yaml =>
        {
            Assert.That(yaml, Does.Contain("card_origins: [\"https://pay.demo.test\"]"));
            Assert.That(yaml, Does.Contain("- fill: { frame: { title: Secure card payment }, label: Card number, value: \"${card.number}\" }"));
            Assert.That(yaml, Does.Contain("- fill: { label: Email, value: \"${buyer.email}\" }"), "page fields stay unscoped");
        });

    // A card number one digit off, typed by mistake into the address and then replaced: it matches no placeholder, and
    // must show up nowhere.
    private const string MistypedCard = "4000056655665557";

    [Test]
    public async Task Record_StoppedWithEnter_BeforeTheConfirmation_WritesADraftThatSaysWhatToCheck()
    {
        Directory.CreateDirectory(DataDirectory);
        var recipePath = Path.Combine(DataDirectory, "stopped.yaml");
        var port = FreePort();
        var enter = new EnterKey();
        var stdout = new StringWriter();
        var recording = RecipeRecordCommand.RecordAsync(new RecipeRecordCommand.RecordSettings
        {
            Demo = "single-page",
            OutPath = recipePath,
            CdpPort = port,
            Display = _display!.Name,
            DataDirectory = DataDirectory,
            DryRun = false,
        }, TextWriter.Synchronized(stdout), TextWriter.Synchronized(new StringWriter()), enter, new CapturingLogger(), CancellationToken.None);

        var page = await ConnectAsync(port, recording);
        await page.GetByLabel("Quantity", new() { Exact = true }).FillAsync("12"); // not the identity's quantity: a TODO
        await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
        await page.WaitForURLAsync("**/checkout");
        enter.Press();
        var exit = await recording.WaitAsync(TimeSpan.FromMinutes(1));

        var output = stdout.ToString();
        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("Recording ended: Enter was pressed"));
        Assert.That(output, Does.Contain("review: no confirmation page was seen: the last click became submit"));
        Assert.That(output, Does.Contain("review: step 2: TODO: a typed value of 2 character(s)"));
        var yaml = await File.ReadAllTextAsync(recipePath);
        Assert.That(yaml, Does.Contain("- fill: { label: Quantity, value: TODO }"));
        Assert.That(yaml, Does.Contain("- assert_total: { test_id: cart-total }"));
        Assert.That(yaml, Does.Contain("- submit: { role: link, name: Checkout }"));
        Assert.That(yaml, Does.Contain("when: { text: TODO }"));
    }

    /// <summary>Standard input with one Enter press to come.</summary>
    private sealed class EnterKey : TextReader
    {
        private readonly TaskCompletionSource<string?> _line = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Press() => _line.TrySetResult("");

        public override ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) => new(_line.Task.WaitAsync(cancellationToken));
    }

    private static async Task FillShippingAsync(IPage page)
    {
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync("jane.doe@example.com");
        await page.GetByLabel("Full name", new() { Exact = true }).FillAsync("Jane Doe");
        await page.GetByLabel("Address", new() { Exact = true }).FillAsync(MistypedCard);
        await page.GetByLabel("Address", new() { Exact = true }).FillAsync("510 Townsend St");
        await page.GetByLabel("City", new() { Exact = true }).FillAsync("San Francisco");
        await page.GetByLabel("Postal code", new() { Exact = true }).FillAsync("94103");
    }

    private static async Task FillCardAsync(ILocator root)
    {
        await root.GetByLabel("Card number", new() { Exact = true }).FillAsync(TypedCard);
        await root.GetByLabel("Expiry (MM/YY)", new() { Exact = true }).FillAsync(TypedExpiry);
        await root.GetByLabel("CVC", new() { Exact = true }).FillAsync(TypedCvc);
        await root.GetByLabel("Name on card", new() { Exact = true }).FillAsync("Jane Doe");
    }

    // The closing dry run is checked once (single-page); the other two go straight to the sandbox purchase, which
    // walks the same steps and more, to keep the three recordings quick.
    private async Task RecordAndCheckAsync(string variant, Func<IPage, Task> walk, Action<string> checkYaml)
    {
        var dryRun = variant == "single-page";
        Directory.CreateDirectory(DataDirectory);
        var recipePath = Path.Combine(DataDirectory, $"recorded-{variant}.yaml");
        var port = FreePort();
        var logs = new CapturingLogger();
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var recording = RecipeRecordCommand.RecordAsync(new RecipeRecordCommand.RecordSettings
        {
            Demo = variant,
            OutPath = recipePath,
            CdpPort = port,
            Display = _display!.Name,
            DataDirectory = DataDirectory,
            StepTimeout = TimeSpan.FromSeconds(10),
            DryRun = dryRun,
        }, TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr), null, logs, timeout.Token);

        var page = await ConnectAsync(port, recording);
        await walk(page);
        var exit = await recording.WaitAsync(TimeSpan.FromMinutes(1));

        var output = stdout.ToString();
        Assert.That(exit, Is.Zero, output + stderr + (File.Exists(recipePath) ? File.ReadAllText(recipePath) : "") + logs.Text);
        Assert.That(output, Does.Contain("Recording ended: the confirmation page showed"));
        Assert.That(output, Does.Contain("1 recipe(s) checked, 0 problem(s)"));
        Assert.That(output, dryRun ? Does.Contain("PASSED: dry run: stopped at step") : Does.Not.Contain("Walking it again"));
        Assert.That(output, Does.Not.Contain("review:"), "every value was placed and every locator is readable");
        var yaml = await File.ReadAllTextAsync(recipePath);
        Assert.That(yaml, Does.Contain("- navigate: \"${job.product_url}\""));
        Assert.That(yaml, Does.Contain("value: \"${card.number}\""));
        Assert.That(yaml, Does.Contain("value: \"${card.expiry}\""));
        Assert.That(yaml, Does.Contain("value: \"${card.cvc}\""));
        Assert.That(yaml, Does.Contain("value: \"${card.name}\""));
        Assert.That(yaml, Does.Contain("label: Full name, value: \"${shipping.name}\""));
        Assert.That(yaml, Does.Contain("when: { test_id: order-number }"));
        Assert.That(yaml, Does.Not.Contain("TODO").And.Not.Contain("css:"));
        checkYaml(yaml);

        var scanner = new LeakScanner(TypedCard.Replace(" ", "", StringComparison.Ordinal), TypedCvc, TypedMonth, TypedYear);
        scanner.ScanText("recipe", yaml);
        scanner.ScanText("stdout", output);
        scanner.ScanText("stderr", stderr.ToString());
        scanner.ScanText("logs", logs.Text);
        Assert.That(logs.Count, Is.GreaterThan(10), "the recorder logged its actions (Debug), and they were scanned");
        Assert.That(scanner.Findings, Is.Empty);
        foreach (var typed in new[] { TypedExpiry, "4000056655665556", "5556", MistypedCard })
        {
            Assert.That(yaml + output + stderr + logs.Text, Does.Not.Contain(typed));
        }

        var (sandboxOut, sandboxErr) = (new StringWriter(), new StringWriter());
        var sandbox = await RecipeCommand.TestAsync(new RecipeCommand.RecipeTestSettings
        {
            RecipePath = recipePath,
            Sandbox = true,
            Demo = variant,
            DataDirectory = DataDirectory,
        }, sandboxOut, sandboxErr, CancellationToken.None);
        Assert.That(sandbox, Is.Zero, sandboxOut.ToString() + sandboxErr);
        Assert.That(sandboxOut.ToString(), Does.Contain("PASSED: the run ended succeeded"));
    }

    // The recorder's browser listens once it has started; the page is there once it has opened the product.
    private async Task<IPage> ConnectAsync(int port, Task<int> recording)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(30);
        while (true)
        {
            if (recording.IsCompleted)
            {
                Assert.Fail($"recipe record ended before the walk (exit {await recording})");
            }
            try
            {
                var browser = await _playwright!.Chromium.ConnectOverCDPAsync($"http://127.0.0.1:{port}");
                while (clock.Elapsed < limit)
                {
                    var page = browser.Contexts.SelectMany(c => c.Pages).FirstOrDefault(p => p.Url.Contains("/products/", StringComparison.Ordinal));
                    if (page is not null)
                    {
                        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
                        return page;
                    }
                    await Task.Delay(100);
                }
            }
            catch (PlaywrightException) when (clock.Elapsed < limit)
            {
                // Not listening yet.
            }
            if (clock.Elapsed >= limit)
            {
                Assert.Fail("the recording browser did not open the product page within 30 s");
            }
            await Task.Delay(200);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
