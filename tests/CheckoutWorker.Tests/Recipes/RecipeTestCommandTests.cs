using CheckoutAgent.Worker.Demo;
using System.CommandLine;
using System.Text.RegularExpressions;
using CheckoutAgent.Tests.EndToEnd;
using CheckoutAgent.Worker.Cli;
using CheckoutAgent.Worker.Recipes;

namespace CheckoutAgent.Tests.Recipes;

/// <summary><c>checkout-agent recipe test</c> in Chromium against the demo shop, and <c>--help</c> on every verb.</summary>
public class RecipeTestCommandTests : DataDirectoryTest
{
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

    private async Task<(int Exit, string Stdout, string Stderr)> TestAsync(RecipeCommand.RecipeTestSettings settings)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await RecipeCommand.TestAsync(settings with { DataDirectory = DataDirectory }, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Test]
    [Category("Browser")]
    public async Task DryRun_PrintsEveryStepWithItsTiming_AndStopsBeforeTheFinalClick()
    {
        var (exit, stdout, stderr) = await TestAsync(new() { RecipePath = Path.Combine(RecipesFolder(), "demo-multi-step.yaml") });

        Assert.That(exit, Is.Zero, stdout + stderr);
        for (var step = 1; step <= 20; step++)
        {
            Assert.That(stdout, Does.Match($@"\] step {step}/21 .* \(\d+ ms\)"), $"step {step} is printed with its timing");
        }
        Assert.That(stdout, Does.Contain("step 19/21 check label \"I agree to the terms of sale\""));
        Assert.That(stdout, Does.Contain("page total $24.00 matches"));
        Assert.That(stdout, Does.Contain("PASSED: dry run: stopped at step 21 (role button \"Place order\")"));
        Assert.That(stdout, Does.Not.Contain("step 21/21"), "the submit step never ran");
        var card = RecipeDryRun.TestCard;
        var scanner = new LeakScanner(card.Reveal(Link.Cards.CardField.Number), card.Reveal(Link.Cards.CardField.Cvc), card.ExpMonth, card.ExpYear);
        scanner.ScanText("stdout", stdout);
        scanner.ScanDirectory(DataDirectory);
        Assert.That(scanner.Findings, Is.Empty);
        Assert.That(Directory.GetFiles(DataDirectory, "*.png", SearchOption.AllDirectories), Has.Length.EqualTo(1), "the masked screenshot");
    }

    [Test]
    [Category("Browser")]
    public async Task DryRun_StepThatFindsNothing_PrintsStepLocatorPageAndScreenshot_AndExitsOne()
    {
        var broken = Path.Combine(DataDirectory, "broken-shop.yaml");
        Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(broken, File.ReadAllText(Path.Combine(RecipesFolder(), "demo-shop.yaml")).Replace("label: CVC", "label: Security code", StringComparison.Ordinal));

        var (exit, stdout, _) = await TestAsync(new() { RecipePath = broken, Demo = "single-page", StepTimeout = TimeSpan.FromSeconds(2) });

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("FAILED: step_failed:13"));
        Assert.That(stdout, Does.Contain("step:       13 (line 24) fill label \"Security code\" with ${card.cvc}"));
        Assert.That(stdout, Does.Contain("nothing matching label \"Security code\" became visible within 2s"));
        Assert.That(stdout, Does.Match(@"page: +http://127\.0\.0\.1:\d+/checkout ""Checkout \| Demo Coffee Supply"": .*Order total: \$24\.00"));
        var screenshot = Regex.Match(stdout, @"screenshot: (\S+\.png)").Groups[1].Value;
        Assert.That(screenshot, Does.Exist);
        Assert.That(stdout, Does.Not.Contain("4000000000000002"));
    }

    [Test]
    [Category("Browser")]
    public async Task Sandbox_FullRunEndingAsExpected_Passes()
    {
        var (exit, stdout, stderr) = await TestAsync(new()
        {
            RecipePath = Path.Combine(RecipesFolder(), "demo-decline.yaml"), Sandbox = true, Expect = "card_declined",
        });

        Assert.That(exit, Is.Zero, stdout + stderr);
        Assert.That(stdout, Does.Match(@"step 16/16 submit role button ""Pay now"" \(\d+ ms\)"));
        Assert.That(stdout, Does.Contain("PASSED: the run ended card_declined, as expected"));
    }

    [Test]
    public async Task Sandbox_WithoutALocalDemoShop_CannotStart()
    {
        var path = Path.Combine(DataDirectory, "acme.yaml");
        Directory.CreateDirectory(DataDirectory);
        File.Copy(Path.Combine(RecipesFolder(), "demo-shop.yaml"), path);

        var (exit, _, stderr) = await TestAsync(new() { RecipePath = path, Sandbox = true });

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--sandbox runs a full purchase against a local demo shop").And.Contain("--demo"));
    }

    [Test]
    public async Task Test_RecipeThatDoesNotLoad_CannotStart_AndSaysWhere()
    {
        var path = Path.Combine(DataDirectory, "acme.yaml");
        Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(path, "recipe: 1\nmerchant: { name: A, url: \"https://a.example\" }\nsteps:\n  - navigate: \"${card.number}\"\n");

        var (exit, _, stderr) = await TestAsync(new() { RecipePath = path });

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain($"{path}:4:").And.Contain("step 1 (navigate)"));
    }

    [TestCase("demo")]
    [TestCase("recipe")]
    [TestCase("recipe", "lint")]
    [TestCase("recipe", "test")]
    public void EveryVerb_HasHelp(params string[] verb)
    {
        var output = new StringWriter();

        var exit = CliApp.Create().Parse([.. verb, "--help"]).Invoke(new InvocationConfiguration { Output = output });

        Assert.That(exit, Is.Zero);
        Assert.That(output.ToString(), Does.Contain("Usage:").And.Contain(string.Join(' ', verb)));
    }

    [TestCase("demo-shop", "single-page")]
    [TestCase("demo-three-ds", "three-ds")]
    [TestCase("acme", null)]
    [TestCase("demo-nope", null)]
    public void VariantOfFile_FollowsTheShippedNaming(string recipe, string? variant) =>
        Assert.That(RecipeCommand.VariantOfFile(recipe)?.ToString(), Is.EqualTo(variant is null ? null
            : DemoMerchant.DemoVariants.TryParse(variant, out var v) ? v.ToString() : "?"));
}
