using System.Diagnostics;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Worker.Hosting;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Recipes;

/// <summary>Everything one checkout run needs besides the browser.</summary>
public sealed record RecipeRun(
    Recipe Recipe,
    string MerchantUrl,
    CardSecret Card,
    long ApprovedAmount,
    string Currency,
    IReadOnlyDictionary<string, string> Values,
    string ScreenshotPath);

/// <summary>A finished step, reported as it happens.</summary>
public sealed record StepReport(RecipeStep Step, int StepCount, long Milliseconds);

/// <summary>How a run ended. <see cref="Code"/> is <c>succeeded</c> or a failure code.</summary>
public sealed record RecipeRunResult(
    string Code,
    bool Submitted,
    string? Message,
    string? OrderNumber,
    string? ChargedTotal,
    IReadOnlyList<Timing> Timings,
    string? ScreenshotPath);

/// <summary>
/// Walks a recipe in one browser context. Deterministic: no model, no guessing. Card values are revealed only at the
/// moment of typing, only into an element whose document origin the recipe allows, read back by length and last 4,
/// and errors from steps that could show them keep the step, locator and error type but drop Playwright's text.
/// </summary>
public sealed class RecipeRunner(IOptions<BrowserOptions> options)
{
    private readonly BrowserOptions _options = options.Value;

    /// <param name="beforeSubmit">Called just before the final click; it must durably record that the purchase is submitting.</param>
    /// <param name="onStep">Called after each step.</param>
    public async Task<RecipeRunResult> RunAsync(IBrowserContext context, RecipeRun run,
        Func<CancellationToken, Task> beforeSubmit, Func<StepReport, Task> onStep, CancellationToken cancellationToken)
    {
        var page = await context.NewPageAsync();
        var timings = new List<Timing>();
        var submitted = false;
        var cardOnPage = false;
        var merchantOrigin = new Uri(run.MerchantUrl).GetLeftPart(UriPartial.Authority);
        var allowedOrigins = run.Recipe.CardOrigins.Select(o => o == "merchant" ? merchantOrigin : o).ToHashSet(StringComparer.OrdinalIgnoreCase);

        RecipeRunResult Finish(string code, string? message, string? orderNumber = null, string? chargedTotal = null) =>
            new(code, submitted, message, orderNumber, chargedTotal, timings, null);

        var result = await RunStepsAsync();
        // Success or failure, leave a receipt of what the page showed, with card fields blacked out.
        var screenshot = await TryScreenshotAsync(page, run);
        return result with { ScreenshotPath = screenshot };

        async Task<RecipeRunResult> RunStepsAsync()
        {
            foreach (var step in run.Recipe.Steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var timeout = (float)(step.Timeout ?? _options.StepTimeout).TotalMilliseconds;
                var clock = Stopwatch.StartNew();
                var touchesCard = step is FillStep { IsCardField: true };
                try
                {
                    switch (step)
                    {
                        case NavigateStep navigate:
                            await page.GotoAsync(navigate.Url.Expand(run.Values), new PageGotoOptions { Timeout = timeout });
                            break;
                        case ClickStep click:
                            await Locate(page, click.Target).ClickAsync(new LocatorClickOptions { Timeout = timeout });
                            break;
                        case WaitForStep wait:
                            await Locate(page, wait.Target).WaitForAsync(new LocatorWaitForOptions { Timeout = timeout, State = WaitForSelectorState.Visible });
                            break;
                        case FillStep { Value.CardField: { } field } fill:
                        {
                            var target = Locate(page, fill.Target);
                            var origin = await target.EvaluateAsync<string>("el => el.ownerDocument.location.origin", null,
                                new LocatorEvaluateOptions { Timeout = timeout });
                            if (!allowedOrigins.Contains(origin))
                            {
                                return Finish(FailureCodes.OriginViolation,
                                    $"step {step.Number} ({fill.Target}): the card field is in a document from {origin}, which the recipe's card_origins do not allow; nothing was typed");
                            }
                            cardOnPage = true;
                            await target.FillAsync(run.Card.Reveal(field), new LocatorFillOptions { Timeout = timeout });
                            if (!await ReadsBackAsync(target, run.Card, field, timeout))
                            {
                                return Finish(FailureCodes.StepFailed(step.Number),
                                    $"step {step.Number} ({fill.Target}): the field did not keep what was typed (checked by length and last 4); it may be disabled, read-only or replaced");
                            }
                            break;
                        }
                        case FillStep fill:
                            await Locate(page, fill.Target).FillAsync(fill.Value.Expand(run.Values), new LocatorFillOptions { Timeout = timeout });
                            break;
                        case AssertTotalStep assertTotal:
                        {
                            var text = (await Locate(page, assertTotal.Target).InnerTextAsync(new LocatorInnerTextOptions { Timeout = timeout })).Trim();
                            if (!Money.TryParse(text, out var pageTotal))
                            {
                                return Finish(FailureCodes.TotalMismatch,
                                    $"step {step.Number} ({assertTotal.Target}): could not read an amount from \"{CardNumberMasker.Mask(text)}\"; stopped before the final click");
                            }
                            if (pageTotal != run.ApprovedAmount)
                            {
                                return Finish(FailureCodes.TotalMismatch,
                                    $"the page's total {Money.Format(pageTotal, run.Currency)} differs from the approved {Money.Format(run.ApprovedAmount, run.Currency)}; stopped before the final click");
                            }
                            break;
                        }
                        case SubmitStep submit:
                        {
                            var button = Locate(page, submit.Target);
                            // Make sure the button is there before committing to "submitting": a missing button is a
                            // plain step failure, not an unknown outcome.
                            await button.WaitForAsync(new LocatorWaitForOptions { Timeout = timeout, State = WaitForSelectorState.Visible });
                            await beforeSubmit(cancellationToken);
                            submitted = true;
                            try
                            {
                                await button.ClickAsync(new LocatorClickOptions { Timeout = timeout });
                            }
                            catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                            {
                                return Finish(FailureCodes.OutcomeUnknown,
                                    $"step {step.Number} ({submit.Target}): the final click raised {ex.GetType().Name}; it may or may not have reached the merchant. Check the merchant before retrying.");
                            }
                            break;
                        }
                        default:
                            throw new InvalidOperationException($"No runner for step kind {step.Kind}.");
                    }
                }
                catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                {
                    // Once a card value is on the page, Playwright's text can quote it (a fill on a disabled field, or a
                    // timeout previewing an element whose value holds it): keep only what is safe.
                    var detail = touchesCard || cardOnPage
                        ? ex.GetType().Name
                        : $"{ex.GetType().Name}: {CardNumberMasker.Mask(FirstLine(ex.Message))}";
                    return Finish(FailureCodes.StepFailed(step.Number), $"step {step.Number} ({step.Describe()}) failed: {detail}");
                }
                clock.Stop();
                timings.Add(new Timing($"step {step.Number} {step.Kind}", clock.ElapsedMilliseconds));
                await onStep(new StepReport(step, run.Recipe.Steps.Count, clock.ElapsedMilliseconds));
            }
            return await AwaitOutcomeAsync();
        }

        async Task<RecipeRunResult> AwaitOutcomeAsync()
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < _options.OutcomeTimeout)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var outcome in run.Recipe.Outcomes)
                {
                    bool visible;
                    try
                    {
                        visible = await Locate(page, outcome.When).First.IsVisibleAsync();
                    }
                    catch (PlaywrightException)
                    {
                        visible = false; // the page is navigating; look again
                    }
                    if (!visible)
                    {
                        continue;
                    }
                    timings.Add(new Timing("confirmation", clock.ElapsedMilliseconds));
                    var extracted = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (name, locator) in outcome.Extract)
                    {
                        try
                        {
                            extracted[name] = CardNumberMasker.Mask((await Locate(page, locator).First.InnerTextAsync(new LocatorInnerTextOptions { Timeout = 2000 })).Trim());
                        }
                        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                        {
                            // A missing extract does not change the outcome; the order number is then unknown.
                        }
                    }
                    extracted.TryGetValue("order_number", out var orderNumber);
                    extracted.TryGetValue("charged_total", out var chargedTotal);
                    var message = outcome.Code == OutcomeCodes.Succeeded ? null : $"the merchant's page showed the '{outcome.Code}' outcome ({outcome.When})";
                    return Finish(outcome.Code, message, orderNumber, chargedTotal);
                }
                await Task.Delay(100, cancellationToken);
            }
            return Finish(FailureCodes.OutcomeUnknown,
                $"no outcome of the recipe appeared within {_options.OutcomeTimeout.TotalSeconds:0}s after the final click; check the merchant before retrying");
        }
    }

    private static async Task<bool> ReadsBackAsync(ILocator target, CardSecret card, CardField field, float timeout)
    {
        var typed = Normalize(await target.InputValueAsync(new LocatorInputValueOptions { Timeout = timeout }), field);
        var expected = Normalize(card.Reveal(field), field);
        return typed.Length == expected.Length && typed[Math.Max(0, typed.Length - 4)..] == expected[Math.Max(0, expected.Length - 4)..];

        static string Normalize(string value, CardField field) =>
            field == CardField.Name ? value.Trim() : new string(value.Where(char.IsAsciiDigit).ToArray());
    }

    private async Task<string?> TryScreenshotAsync(IPage page, RecipeRun run)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(run.ScreenshotPath)!);
            var cardFields = run.Recipe.Steps.OfType<FillStep>().Where(f => f.IsCardField).Select(f => Locate(page, f.Target)).ToList();
            await page.ScreenshotAsync(new PageScreenshotOptions
            {
                Path = run.ScreenshotPath,
                FullPage = true,
                Mask = cardFields,
                MaskColor = "#000000",
                Timeout = (float)_options.StepTimeout.TotalMilliseconds,
            });
            return run.ScreenshotPath;
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException or IOException)
        {
            return null; // a missing receipt never changes the outcome
        }
    }

    internal static ILocator Locate(IPage page, LocatorSpec spec)
    {
        if (spec.Role is not null)
        {
            if (!Enum.TryParse<AriaRole>(spec.Role, ignoreCase: true, out var role))
            {
                throw new PlaywrightException($"unknown ARIA role '{spec.Role}'");
            }
            return page.GetByRole(role, new PageGetByRoleOptions { Name = spec.Name, Exact = spec.Name is not null });
        }
        if (spec.Label is not null)
        {
            return page.GetByLabel(spec.Label, new PageGetByLabelOptions { Exact = true });
        }
        if (spec.Text is not null)
        {
            return page.GetByText(spec.Text);
        }
        return spec.TestId is not null ? page.GetByTestId(spec.TestId) : page.Locator(spec.Css!);
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end].TrimEnd();
    }
}
