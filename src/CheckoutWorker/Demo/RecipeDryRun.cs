using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Core.Purchases;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Demo;

/// <summary>What <c>recipe test --dry-run</c> runs against.</summary>
public sealed record DryRunSettings
{
    public required string RecipePath { get; init; }
    /// <value>Start this demo shop variant locally and run against it; null: a real merchant.</value>
    public DemoVariant? Demo { get; init; }
    /// <value>The merchant's address; null: the recipe's <c>merchant.url</c> (ignored with <see cref="Demo"/>).</value>
    public string? MerchantUrl { get; init; }
    /// <value>The product page behind <c>${job.product_url}</c>; null: the merchant's address.</value>
    public string? ProductUrl { get; init; }
    /// <value>Cents the page's total must show at <c>assert_total</c>; null: read the total but do not compare (a demo shop knows its price).</value>
    public long? Amount { get; init; }
    public string Currency { get; init; } = "usd";
    public string DataDirectory { get; init; } = ".checkout-agent";
    public BrowserOptions Browser { get; init; } = new();
    public IReadOnlyDictionary<string, string> OriginAliases { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Walks a recipe against a merchant up to its <c>submit</c> step, checks the final button is there, and stops without
/// clicking. The card typed is a sandbox test number that no merchant accepts, so even a mistaken click could not buy.
/// </summary>
public static class RecipeDryRun
{
    /// <summary>The test card typed by dry runs: Stripe's "always declined" test number, refused in live mode everywhere.</summary>
    public static CardSecret TestCard { get; } = new("4000000000000002", "123", 12, TimeProvider.System.GetUtcNow().Year + 3, "visa", "Test Cardholder", null);

    /// <exception cref="RecipeException">The recipe does not load.</exception>
    /// <exception cref="BrowserNotFoundException">No Chromium.</exception>
    public static async Task<RecipeRunResult> RunAsync(DryRunSettings settings, TextWriter progress, CancellationToken cancellationToken)
    {
        var recipe = RecipeLoader.Load(settings.RecipePath);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var aliases = new Dictionary<string, string>(settings.OriginAliases, StringComparer.OrdinalIgnoreCase);
        DemoShop? shop = null;
        try
        {
            string merchantUrl, productUrl, itemName = "the product";
            var amount = settings.Amount;
            long unitPrice = 0;
            if (settings.Demo is { } variant)
            {
                shop = await DemoShop.StartAsync(new DemoShopOptions { Variant = variant }, new RefusingIssuer(), ct: cancellationToken);
                var product = DemoShopOptions.DefaultProducts[0];
                merchantUrl = shop.BaseUrl.GetLeftPart(UriPartial.Authority);
                productUrl = shop.ProductUrl(product.Sku).ToString();
                (itemName, unitPrice) = (product.Name, product.Price);
                amount ??= product.Price;
                foreach (var (key, value) in DemoRunner.ShopConfiguration(shop))
                {
                    aliases[key.Split(':')[^1]] = value!;
                }
                await progress.WriteLineAsync($"Demo shop ({variant.Name()}) listening on {shop.BaseUrl}, card processor on {shop.CardProcessorOrigin}");
            }
            else
            {
                merchantUrl = settings.MerchantUrl ?? recipe.MerchantUrl;
                productUrl = settings.ProductUrl ?? merchantUrl;
            }

            var browserOptions = Options.Create(settings.Browser);
            var runner = new RecipeRunner(browserOptions, Options.Create(new RecipeOptions { OriginAliases = aliases }));
            var request = new PurchaseRequest
            {
                Recipe = recipe.Name,
                MerchantUrl = merchantUrl,
                Items = [new PurchaseItem(itemName, 1, unitPrice, productUrl)],
                Amount = amount ?? 0,
                Currency = settings.Currency,
                Context = "recipe test --dry-run",
                Buyer = DemoRunner.SampleBuyer,
                Shipping = DemoRunner.SampleShipping,
            };
            await progress.WriteLineAsync($"Dry run of {recipe.FilePath} ({recipe.Steps.Count} steps) against {merchantUrl}, typing the sandbox test card {TestCard} (no merchant accepts it)");
            await progress.WriteLineAsync($"Card fields allowed in: {string.Join(", ", runner.AllowedCardOrigins(recipe, merchantUrl))}");
            await progress.WriteLineAsync(amount is { } expected
                ? $"Expected total: {Money.Format(expected, settings.Currency)}"
                : "Expected total: none given (--amount); assert_total reads the total without comparing it");

            await using var browsers = new BrowserPool(browserOptions);
            var context = await browsers.NewContextAsync(cancellationToken);
            try
            {
                var run = new RecipeRun(recipe, merchantUrl, TestCard, amount ?? 0, settings.Currency,
                    PurchasePipeline.TemplateValues(request, merchantUrl),
                    Path.Combine(Path.GetFullPath(settings.DataDirectory), "screenshots", $"recipe-test-{recipe.Name}-{TimeProvider.System.GetUtcNow():yyyyMMddHHmmss}.png"))
                {
                    StopBeforeSubmit = true,
                    CompareTotal = amount is not null,
                };
                return await runner.RunAsync(context, run,
                    _ => throw new InvalidOperationException("A dry run never reaches the final click."),
                    report => progress.WriteLineAsync(FormatStep(started.Elapsed, report)),
                    cancellationToken);
            }
            finally
            {
                await context.CloseAsync();
            }
        }
        finally
        {
            if (shop is not null)
            {
                await shop.DisposeAsync();
            }
        }
    }

    /// <summary>A progress line: <c>[  1.23s] step 3/16 click role button "Add to cart" (85 ms)</c>.</summary>
    public static string FormatStep(TimeSpan elapsed, StepReport report) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{elapsed.TotalSeconds,6:0.00}s] step {report.Step.Number}/{report.StepCount} {report.Step.Describe()} ({report.Milliseconds} ms){(report.Note is null ? "" : ": " + report.Note)}");

    /// <summary>The demo shop's issuer during a dry run: it refuses everything (a dry run never pays anyway).</summary>
    private sealed class RefusingIssuer : IPaymentAuthorizer
    {
        public Task<PaymentDecision> AuthorizeAsync(PaymentAttempt attempt, CancellationToken cancellationToken) =>
            Task.FromResult(PaymentDecision.Decline("test_card", "This is a test card."));
    }
}
