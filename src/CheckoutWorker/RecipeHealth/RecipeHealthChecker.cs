using Microsoft.Extensions.Logging;
using System.Diagnostics;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.RecipeHealth;

/// <summary>What started a check: the schedule, <c>recipe check</c>, the API, or the console's "check now".</summary>
public static class RecipeCheckTriggers
{
    public const string Schedule = "schedule";
    public const string Cli = "cli";
    public const string Api = "api";
    public const string Console = "console";
}

/// <summary>
/// Runs one recipe's health check: the recipe walked at its merchant up to just before its first card or account step
/// (that step's element is looked for, not typed into), in the worker's browser, with the sample identity below. It
/// types no card, no account value and clicks nothing after which a merchant would act: the submit step comes after
/// the card steps. The result is recorded; a recipe that starts failing raises a <c>recipe.broken</c> alert.
/// </summary>
public sealed class RecipeHealthChecker(
    RecipeCatalog catalog, RecipeRunner runner, BrowserPool browsers, RecipeHealthStore store, RecipeAlerts alerts,
    IOptions<RecipeHealthOptions> options, IOptions<WorkerOptions> worker, TimeProvider time, ILogger<RecipeHealthChecker> logger)
{
    /// <summary>The code of a check whose recipe does not load (<c>recipe lint</c> says why).</summary>
    public const string RecipeInvalid = "recipe_invalid";

    /// <summary>The code of a check that ran past <see cref="RecipeHealthOptions.Timeout"/>.</summary>
    public const string TimedOut = "check_timed_out";

    /// <summary>
    /// Never typed (a check stops before every card step); the runner needs a card all the same. Stripe's "always
    /// declined" test number, refused in live mode everywhere.
    /// </summary>
    private static readonly CardSecret UntypedCard = new("4000000000000002", "000", 12, 2099, "visa", "Recipe Check", null);

    /// <summary>The identity a check types into shipping forms: a fictional buyer at Stripe's published address.</summary>
    internal static readonly PurchaseRequest SampleRequest = new()
    {
        Recipe = "-",
        MerchantUrl = "https://example.com",
        Items = [new PurchaseItem("the product", 1, 0, null)],
        Amount = 0,
        Currency = "usd",
        Context = "recipe health check",
        Buyer = new Buyer("recipe-check@example.com", "Recipe Check"),
        Shipping = new ShippingAddress("Recipe Check", "510 Townsend St", null, "San Francisco", "CA", "94103", "US"),
    };

    /// <summary>Checks one recipe, records the result and alerts when it starts failing.</summary>
    /// <param name="progress">Each step as it passes (the CLI prints them); null: none.</param>
    public async Task<RecipeCheckRecord> CheckAsync(string recipeName, string trigger, Func<StepReport, Task>? progress, CancellationToken cancellationToken)
    {
        var history = await store.HistoryAsync(recipeName, 1, cancellationToken);
        var previous = history.Count > 0 ? history[0] : null;
        var check = await RunAsync(recipeName, trigger, progress, cancellationToken);
        await store.RecordAsync(check, cancellationToken);
        if (check.Passed)
        {
            Log.RecipeCheckPassed(logger, recipeName, check.DurationMs);
            return check;
        }
        Log.RecipeCheckFailed(logger, recipeName, check.Code, check.FailedStep);
        // An alert when the recipe breaks, not on every failing check of a recipe already known broken the same way.
        if (previous is null || previous.Passed || previous.Code != check.Code)
        {
            var alert = await alerts.SendBrokenAsync(check, cancellationToken);
            if (alert is not null)
            {
                await store.SetAlertAsync(check.Id, alert, CancellationToken.None);
                check = check with { Alert = alert };
            }
        }
        return check;
    }

    private async Task<RecipeCheckRecord> RunAsync(string recipeName, string trigger, Func<StepReport, Task>? progress, CancellationToken cancellationToken)
    {
        var id = RecipeCheckRecord.NewId();
        var started = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        RecipeCheckRecord Failed(string code, string message, string? screenshot = null) =>
            new(id, recipeName, started, false, code, null, null, message, null, screenshot, clock.ElapsedMilliseconds, trigger);

        Recipe recipe;
        try
        {
            recipe = catalog.Get(recipeName);
        }
        catch (RecipeException ex)
        {
            return Failed(RecipeInvalid, ex.Message);
        }
        var settings = options.Value;
        settings.Targets.TryGetValue(recipe.Name, out var target);
        var merchantUrl = target?.MerchantUrl is { Length: > 0 } givenMerchant ? givenMerchant : recipe.MerchantUrl;
        var productUrl = target?.ProductUrl is { Length: > 0 } givenProduct ? givenProduct : merchantUrl;
        var request = SampleRequest with
        {
            Recipe = recipe.Name,
            MerchantUrl = merchantUrl,
            Items = [SampleRequest.Items[0] with { ProductUrl = productUrl }],
        };
        var screenshot = Path.Combine(worker.Value.DataDirectoryFullPath, "screenshots", $"recipe-check-{recipe.Name}-{started:yyyyMMddHHmmss}.png");
        var run = new RecipeRun(recipe, merchantUrl, UntypedCard, 0, "usd", PurchasePipeline.TemplateValues(request, merchantUrl), screenshot)
        {
            StopBeforeSecrets = true,
            StopBeforeSubmit = true,
            CompareTotal = false,
        };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(settings.Timeout);
        var context = await browsers.NewContextAsync(limit.Token);
        try
        {
            var result = await runner.RunAsync(context, run,
                _ => throw new InvalidOperationException("A health check never reaches the final click."),
                report => progress?.Invoke(report) ?? Task.CompletedTask,
                limit.Token);
            var passed = result.Code == CheckoutAgent.Core.Recipes.OutcomeCodes.ReadyForSecrets;
            return new RecipeCheckRecord(id, recipe.Name, started, passed, result.Code, result.FailedStep?.Number,
                result.FailedStep?.Describe(), result.Message, result.PageState, result.ScreenshotPath, clock.ElapsedMilliseconds, trigger);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Failed(TimedOut, $"the check took longer than {settings.Timeout.TotalSeconds:0} s ({RecipeHealthOptions.SectionName}:Timeout)");
        }
        finally
        {
            await context.CloseAsync();
        }
    }
}
