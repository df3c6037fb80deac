using System.CommandLine;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.RecipeHealth;
using CheckoutAgent.Worker.Recipes;
using CheckoutAgent.Worker.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Cli;

/// <summary><c>checkout-agent recipe check NAME</c>: one recipe health check, now.</summary>
internal static class RecipeCheckCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The recipe's name (its file name without .yaml) in the recipes folder, or the path of a recipe file." };
        var merchantUrl = new Option<string?>("--merchant-url") { Description = "Walk it at this address (default: Recipes:HealthCheck:Targets:NAME:MerchantUrl, else the recipe's merchant.url)." };
        var productUrl = new Option<string?>("--product-url") { Description = "The product page behind ${job.product_url} (default: Recipes:HealthCheck:Targets:NAME:ProductUrl, else the merchant's address)." };
        var alert = new Option<bool>("--alert")
        {
            Description = "Send recipe.broken to Recipes:HealthCheck:WebhookUrl when the recipe starts failing, as the scheduled check does (default: only record and print).",
        };
        var stepTimeout = new Option<int?>("--step-timeout") { Description = "Seconds a step may take (default: Browser:StepTimeout, 15)." };
        stepTimeout.Validators.Add(result =>
        {
            if (result.GetValue(stepTimeout) is { } seconds && seconds is < 1 or > 300)
            {
                result.AddError("--step-timeout must be from 1 to 300 seconds.");
            }
        });
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("check",
            "Walk a recipe at its merchant up to just before its first card or account step, as the scheduled health check " +
            "(Recipes:HealthCheck:Cron) does: nothing secret is typed and nothing is submitted. Prints each step; on failure, " +
            "the step, what the page showed and a masked screenshot. The result is recorded (the console and GET " +
            "/v1/recipes/health show it). Exits 0 when healthy, 1 when broken, 2 when it cannot start.")
        {
            name, merchantUrl, productUrl, alert, stepTimeout, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new CheckSettings(parse.GetValue(name)!, parse.GetValue(merchantUrl), parse.GetValue(productUrl), parse.GetValue(alert),
                parse.GetValue(dataDir)!, parse.GetValue(stepTimeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
            return await CheckAsync(settings, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    internal sealed record CheckSettings(string Recipe, string? MerchantUrl, string? ProductUrl, bool Alert, string DataDirectory, TimeSpan? StepTimeout = null);

    internal static async Task<int> CheckAsync(CheckSettings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        var recipeName = settings.Recipe;
        var recipesDirectory = configuration["Worker:RecipesDirectory"];
        if (settings.Recipe.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || settings.Recipe.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(settings.Recipe))
            {
                await stderr.WriteLineAsync($"checkout-agent recipe check: there is no recipe file {settings.Recipe}");
                return 2;
            }
            recipesDirectory = Path.GetDirectoryName(Path.GetFullPath(settings.Recipe));
            recipeName = Path.GetFileNameWithoutExtension(settings.Recipe);
        }
        var health = configuration.GetSection(RecipeHealthOptions.SectionName).Get<RecipeHealthOptions>() ?? new RecipeHealthOptions();
        if (!settings.Alert)
        {
            health.WebhookUrl = null;
        }
        foreach (var (option, value) in new[] { ("--merchant-url", settings.MerchantUrl), ("--product-url", settings.ProductUrl) })
        {
            if (value is not null && (!Uri.TryCreate(value, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https")))
            {
                await stderr.WriteLineAsync($"checkout-agent recipe check: {option} must be an absolute http(s) URL, e.g. https://shop.example.com/; got '{value}'");
                return 2;
            }
        }
        if (settings.MerchantUrl is not null || settings.ProductUrl is not null)
        {
            health.Targets.TryGetValue(recipeName, out var configured);
            health.Targets[recipeName] = new RecipeCheckTarget
            {
                MerchantUrl = settings.MerchantUrl ?? configured?.MerchantUrl,
                ProductUrl = settings.ProductUrl ?? configured?.ProductUrl,
            };
        }
        var problems = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(health, new(health), problems, validateAllProperties: true);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await stderr.WriteLineAsync($"checkout-agent recipe check: {problem.ErrorMessage}");
            }
            return 2;
        }
        var worker = new WorkerOptions { DataDirectory = settings.DataDirectory, RecipesDirectory = recipesDirectory };
        var browser = configuration.GetSection(BrowserOptions.SectionName).Get<BrowserOptions>() ?? new BrowserOptions();
        if (settings.StepTimeout is { } timeout)
        {
            browser.StepTimeout = timeout;
        }
        var recipes = configuration.GetSection(RecipeOptions.SectionName).Get<RecipeOptions>() ?? new RecipeOptions();
        var webhooks = configuration.GetSection(WebhookOptions.SectionName).Get<WebhookOptions>() ?? new WebhookOptions();
        try
        {
            ChromiumLocator.Find(browser.ExecutablePath);
        }
        catch (BrowserNotFoundException ex)
        {
            await stderr.WriteLineAsync($"checkout-agent recipe check: {ex.Message}");
            return 2;
        }

        CheckoutDatabase database;
        try
        {
            database = StorageOptions.OpenDatabase(configuration, worker.DatabasePath);
            Directory.CreateDirectory(worker.DataDirectoryFullPath);
            await database.InitializeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is StorageConfigurationException or DatabaseSchemaException or System.Data.Common.DbException or IOException)
        {
            await stderr.WriteLineAsync($"checkout-agent recipe check: the database could not be used: {ex.Message}");
            return 2;
        }

        var services = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddSingleton(Options.Create(worker))
            .AddSingleton(Options.Create(browser))
            .AddSingleton(Options.Create(recipes))
            .AddSingleton(Options.Create(health))
            .AddSingleton(Options.Create(webhooks))
            .AddSingleton(new RecipeHealthStore(database))
            .AddSingleton<RecipeCatalog>()
            .AddSingleton<RecipeRunner>()
            .AddSingleton<BrowserPool>()
            .AddSingleton<RecipeAlerts>()
            .AddSingleton<RecipeHealthChecker>();
        await using var provider = services.BuildServiceProvider();
        var catalog = provider.GetRequiredService<RecipeCatalog>();
        try
        {
            catalog.Get(recipeName);
        }
        catch (RecipeException ex)
        {
            await stderr.WriteLineAsync($"checkout-agent recipe check: {ex.Message}");
            return 2;
        }
        var started = System.Diagnostics.Stopwatch.StartNew();
        await stdout.WriteLineAsync($"Health check of recipe {recipeName}: walking it up to its first card or account step (nothing secret typed, nothing submitted)");
        var check = await provider.GetRequiredService<RecipeHealthChecker>().CheckAsync(recipeName, RecipeCheckTriggers.Cli,
            report => stdout.WriteLineAsync(RecipeDryRun.FormatStep(started.Elapsed, report)), cancellationToken);
        if (check.Passed)
        {
            await stdout.WriteLineAsync($"HEALTHY: {check.Message}");
            await stdout.WriteLineAsync($"  screenshot: {check.ScreenshotPath ?? "-"} (card and account fields masked)");
            return 0;
        }
        await stdout.WriteLineAsync($"BROKEN: {check.Code}");
        if (check.FailedStep is { } step)
        {
            await stdout.WriteLineAsync($"  step:       {step} {check.Step}");
        }
        await stdout.WriteLineAsync($"  why:        {check.Message ?? "-"}");
        await stdout.WriteLineAsync($"  page:       {check.PageState ?? "-"}");
        await stdout.WriteLineAsync($"  screenshot: {check.ScreenshotPath ?? "-"} (card and account fields masked)");
        if (check.Alert is { } sent)
        {
            await stdout.WriteLineAsync($"  alert:      {sent}");
        }
        return 1;
    }
}
