using System.CommandLine;
using System.Globalization;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Cli;

/// <summary><c>checkout-agent recipe lint|test|check</c>: the recipe author's tools.</summary>
internal static class RecipeCommand
{
    public static Command Create() => new("recipe", "Tools for recipe authors: check recipes, and walk them against a merchant. See recipes/README.md.")
    {
        CreateLint(),
        CreateTest(),
        RecipeCheckCommand.Create(),
    };

    private static Command CreateLint()
    {
        var paths = new Argument<string[]>("PATHS")
        {
            Description = "Recipe files or folders (default: the recipes folder, Worker:RecipesDirectory or recipes/ found upwards).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("lint",
            "Check recipes against recipes/recipe.schema.json and the loader's rules (placeholders, one final submit, a " +
            "succeeded outcome). Prints 'file:line: message' per problem; exits 1 if there is any.")
        {
            paths,
        };
        command.SetAction(parse =>
        {
            var given = parse.GetValue(paths) ?? [];
            return Lint(given.Length > 0 ? given : [RecipesDirectory.Resolve(Environment.GetEnvironmentVariable("Worker__RecipesDirectory"))],
                Console.Out);
        });
        return command;
    }

    /// <summary>Runs lint and prints its report; the exit code is 0 when nothing was found.</summary>
    internal static int Lint(IReadOnlyList<string> paths, TextWriter output)
    {
        var report = RecipeLinter.Lint(paths.Select(Shorten));
        foreach (var problem in report.Problems)
        {
            output.WriteLine(problem);
        }
        output.WriteLine($"{report.Files.Count} recipe(s) checked, {report.Problems.Count} problem(s)");
        return report.Problems.Count == 0 ? 0 : 1;
    }

    private static Command CreateTest()
    {
        var path = new Argument<string>("PATH") { Description = "The recipe file to test." };
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Walk the recipe up to its submit step and stop without clicking, typing a sandbox test card no merchant accepts.",
        };
        var sandbox = new Option<bool>("--sandbox")
        {
            Description = "A full purchase with a sandbox card (Link sandbox approval, final click) against a local demo shop.",
        };
        var demo = new Option<string?>("--demo")
        {
            Description = "Run against a local demo shop of this variant. Default for demo-NAME.yaml: variant NAME (demo-shop.yaml: single-page).",
        };
        demo.AcceptOnlyFromAmong([.. DemoVariants.All]);
        var merchantUrl = new Option<string?>("--merchant-url") { Description = "--dry-run: the merchant's address (default: the recipe's merchant.url)." };
        var productUrl = new Option<string?>("--product-url") { Description = "--dry-run: the product page behind ${job.product_url} (default: the merchant's address)." };
        var amount = new Option<string?>("--amount")
        {
            Description = "--dry-run: the total assert_total must find, e.g. 24.00 (default: the demo shop's price; with a real merchant, read but not compared).",
        };
        var currency = new Option<string>("--currency") { Description = "Currency of --amount (default usd).", DefaultValueFactory = _ => "usd" };
        var expect = new Option<string>("--expect")
        {
            Description = "--sandbox: the outcome the run must end with to pass, e.g. card_declined (default succeeded).",
            DefaultValueFactory = _ => OutcomeCodes.Succeeded,
        };
        var stepTimeout = new Option<int>("--step-timeout")
        {
            Description = "Default seconds a step may take (default 15).",
            DefaultValueFactory = _ => 15,
        };
        stepTimeout.InRange(1, 300, "--step-timeout must be from 1 to 300 seconds.");
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("test",
            "Run a recipe in headless Chromium and print each step with its timing; on failure, the step, the locator, what " +
            "the page showed and a screenshot with card fields masked. Exits 0 when the run ends as expected (--dry-run: " +
            "ready to submit), 1 when not, 2 when it cannot start.")
        {
            path, dryRun, sandbox, demo, merchantUrl, productUrl, amount, currency, expect, stepTimeout, dataDir,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(dryRun) == result.GetValue(sandbox))
            {
                result.AddError("Choose one of --dry-run (stop before the final click) or --sandbox (a full sandbox purchase against a local demo shop).");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            long? cents = null;
            if (parse.GetValue(amount) is { } text)
            {
                if (!Money.TryParse(text, out var parsed))
                {
                    await Console.Error.WriteLineAsync($"--amount '{text}' is not an amount; write it like 24.00");
                    return 2;
                }
                cents = parsed;
            }
            var settings = new RecipeTestSettings
            {
                RecipePath = parse.GetValue(path)!,
                Sandbox = parse.GetValue(sandbox),
                Demo = parse.GetValue(demo),
                MerchantUrl = parse.GetValue(merchantUrl),
                ProductUrl = parse.GetValue(productUrl),
                Amount = cents,
                Currency = parse.GetValue(currency)!.ToLowerInvariant(),
                Expect = parse.GetValue(expect)!,
                StepTimeout = TimeSpan.FromSeconds(parse.GetValue(stepTimeout)),
                DataDirectory = parse.GetValue(dataDir)!,
            };
            return await TestAsync(settings, Console.Out, Console.Error, cancellationToken);
        });
        return command;
    }

    /// <summary>What <c>recipe test</c> was asked to do.</summary>
    internal sealed record RecipeTestSettings
    {
        public required string RecipePath { get; init; }
        public bool Sandbox { get; init; }
        public string? Demo { get; init; }
        public string? MerchantUrl { get; init; }
        public string? ProductUrl { get; init; }
        public long? Amount { get; init; }
        public string Currency { get; init; } = "usd";
        public string Expect { get; init; } = OutcomeCodes.Succeeded;
        public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(15);
        public string DataDirectory { get; init; } = ".checkout-agent";
    }

    internal static async Task<int> TestAsync(RecipeTestSettings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        Recipe recipe;
        try
        {
            recipe = RecipeLoader.Load(settings.RecipePath);
            ChromiumLocator.Find(Environment.GetEnvironmentVariable("Browser__ExecutablePath"));
        }
        catch (Exception ex) when (ex is RecipeException or IOException or UnauthorizedAccessException or BrowserNotFoundException)
        {
            await stderr.WriteLineAsync($"checkout-agent recipe test: {ex.Message}");
            return 2;
        }
        DemoVariant? variant = null;
        if (settings.Demo is not null && DemoVariants.TryParse(settings.Demo, out var chosen))
        {
            variant = chosen;
        }
        else if (settings.MerchantUrl is null && VariantOfFile(recipe.Name) is { } inferred)
        {
            variant = inferred;
        }
        try
        {
            return settings.Sandbox
                ? await SandboxAsync(settings, recipe, variant, stdout, stderr, cancellationToken)
                : await DryRunAsync(settings, variant, stdout, cancellationToken);
        }
        catch (Exception ex) when (ex is BrowserNotFoundException or OptionsValidationException or TimeoutException or RecipeException)
        {
            await stderr.WriteLineAsync($"checkout-agent recipe test: {ex.Message}");
            return 2;
        }
    }

    private static async Task<int> DryRunAsync(RecipeTestSettings settings, DemoVariant? variant, TextWriter stdout, CancellationToken cancellationToken)
    {
        var result = await RecipeDryRun.RunAsync(new DryRunSettings
        {
            RecipePath = settings.RecipePath,
            Demo = variant,
            MerchantUrl = settings.MerchantUrl,
            ProductUrl = settings.ProductUrl,
            Amount = settings.Amount,
            Currency = settings.Currency,
            DataDirectory = settings.DataDirectory,
            Browser = new BrowserOptions
            {
                ExecutablePath = Environment.GetEnvironmentVariable("Browser__ExecutablePath"),
                StepTimeout = settings.StepTimeout,
            },
        }, stdout, cancellationToken);
        if (result.Code == OutcomeCodes.ReadyToSubmit)
        {
            await stdout.WriteLineAsync($"PASSED: {result.Message}");
            await stdout.WriteLineAsync($"  screenshot: {result.ScreenshotPath ?? "-"} (card fields masked)");
            return 0;
        }
        await PrintFailureAsync(stdout, result.Code, result.FailedStep, result.Message, result.PageState, result.ScreenshotPath);
        return 1;
    }

    private static async Task<int> SandboxAsync(RecipeTestSettings settings, Recipe recipe, DemoVariant? variant, TextWriter stdout,
        TextWriter stderr, CancellationToken cancellationToken)
    {
        if (variant is not { } shop)
        {
            await stderr.WriteLineAsync(
                "checkout-agent recipe test: --sandbox runs a full purchase against a local demo shop, which accepts sandbox cards; " +
                $"name it with --demo ({string.Join(", ", DemoVariants.All)}). Against a real merchant use --dry-run.");
            return 2;
        }
        var result = await DemoRunner.RunAsync(new DemoSettings
        {
            DataDirectory = settings.DataDirectory,
            Variant = shop,
            Recipe = recipe.Name,
            Configuration = new Dictionary<string, string?>
            {
                ["Worker:RecipesDirectory"] = Path.GetDirectoryName(Path.GetFullPath(settings.RecipePath)),
                ["Browser:StepTimeout"] = settings.StepTimeout.ToString("c", CultureInfo.InvariantCulture),
            },
        }, stdout, cancellationToken);
        var outcome = result.Outcome;
        var code = outcome.Status == PurchaseStatus.Succeeded ? OutcomeCodes.Succeeded : outcome.Code ?? outcome.Status;
        if (code == settings.Expect)
        {
            await stdout.WriteLineAsync($"PASSED: the run ended {code}, as expected{(outcome.OrderNumber is null ? "" : $" (order {outcome.OrderNumber}, charged {outcome.ChargedTotal})")}");
            await stdout.WriteLineAsync($"  screenshot: {outcome.ScreenshotPath ?? "-"} (card fields masked)");
            return 0;
        }
        await PrintFailureAsync(stdout, $"{code} (expected {settings.Expect})", null, outcome.Message, outcome.Page, outcome.ScreenshotPath);
        return 1;
    }

    private static async Task PrintFailureAsync(TextWriter output, string code, RecipeStep? step, string? message, string? page, string? screenshot)
    {
        await output.WriteLineAsync($"FAILED: {code}");
        if (step is not null)
        {
            await output.WriteLineAsync($"  step:       {step.Number} (line {step.Line}) {step.Describe()}");
        }
        await output.WriteLineAsync($"  why:        {message ?? "-"}");
        await output.WriteLineAsync($"  page:       {page ?? "-"}");
        await output.WriteLineAsync($"  screenshot: {screenshot ?? "-"} (card fields masked)");
    }

    /// <summary>demo-shop.yaml is the single-page variant's recipe; demo-NAME.yaml is variant NAME's.</summary>
    internal static DemoVariant? VariantOfFile(string recipeName) =>
        recipeName == "demo-shop" ? DemoVariant.SinglePage
        : recipeName.StartsWith("demo-", StringComparison.Ordinal) && DemoVariants.TryParse(recipeName["demo-".Length..], out var variant) ? variant
        : null;

    /// <summary>Paths under the current folder print relative, as people typed them.</summary>
    private static string Shorten(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
