using CheckoutAgent.Link;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
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
    string ScreenshotPath)
{
    /// <value>A dry run: walk every step up to <c>submit</c>, check its button is there, and stop without clicking.</value>
    public bool StopBeforeSubmit { get; init; }

    /// <value>False: read the page's total at <c>assert_total</c> but do not compare it (a dry run with no amount given).</value>
    public bool CompareTotal { get; init; } = true;
}

/// <summary>A finished step, reported as it happens. <see cref="Note"/> says what the step read, when it read something.</summary>
public sealed record StepReport(RecipeStep Step, int StepCount, long Milliseconds, string? Note = null);

/// <summary>How a run ended. <see cref="Code"/> is <c>succeeded</c>, <c>ready_to_submit</c> (dry run) or a failure code.</summary>
public sealed record RecipeRunResult(
    string Code,
    bool Submitted,
    string? Message,
    string? OrderNumber,
    string? ChargedTotal,
    IReadOnlyList<Timing> Timings,
    string? ScreenshotPath,
    RecipeStep? FailedStep = null,
    string? PageState = null);

/// <summary>
/// Walks a recipe in one browser context. Deterministic: no model, no guessing. Card values are revealed only at the
/// moment of typing, only into an element whose frame's origin the recipe allows, read back by length and last 4,
/// and errors from steps that could show them keep the step, locator and error type but drop Playwright's text.
/// Outcome signals other than <c>succeeded</c> are watched before the final click too: a captcha wall or an
/// out-of-stock notice ends the run with its code instead of a step timing out.
/// </summary>
public sealed partial class RecipeRunner(IOptions<BrowserOptions> options, IOptions<RecipeOptions> recipeOptions)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly BrowserOptions _options = options.Value;
    private readonly RecipeOptions _recipes = recipeOptions.Value;

    /// <summary>The origins a run may type card values into: the recipe's <c>card_origins</c>, resolved.</summary>
    public IReadOnlySet<string> AllowedCardOrigins(Recipe recipe, string merchantUrl)
    {
        var merchantOrigin = new Uri(merchantUrl).GetLeftPart(UriPartial.Authority);
        return recipe.CardOrigins.Select(o => o == "merchant" ? merchantOrigin : _recipes.Resolve(o)).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <param name="beforeSubmit">Called just before the final click; it must durably record that the purchase is submitting.</param>
    /// <param name="onStep">Called after each step.</param>
    public async Task<RecipeRunResult> RunAsync(IBrowserContext context, RecipeRun run,
        Func<CancellationToken, Task> beforeSubmit, Func<StepReport, Task> onStep, CancellationToken cancellationToken)
    {
        var page = await context.NewPageAsync();
        var timings = new List<Timing>();
        var submitted = false;
        var cardOnPage = false;
        RecipeStep? failedStep = null;
        var allowedOrigins = AllowedCardOrigins(run.Recipe, run.MerchantUrl);
        var signals = run.Recipe.Outcomes.Where(o => o.Code != OutcomeCodes.Succeeded).ToList();

        RecipeRunResult Finish(string code, string? message, string? orderNumber = null, string? chargedTotal = null) =>
            new(code, submitted, message, orderNumber, chargedTotal, timings, null, failedStep);

        var result = await RunStepsAsync();
        if (result.Code is not (OutcomeCodes.Succeeded or OutcomeCodes.ReadyToSubmit))
        {
            result = result with { PageState = await DescribePageAsync(page) };
        }
        // Success or failure, leave a receipt of what the page showed, with card fields blacked out.
        var screenshotClock = Stopwatch.StartNew();
        var screenshot = await TryScreenshotAsync(page, run);
        timings.Add(new Timing("screenshot", screenshotClock.ElapsedMilliseconds));
        return result with { ScreenshotPath = screenshot };

        async Task<RecipeRunResult> RunStepsAsync()
        {
            foreach (var step in run.Recipe.Steps)
            {
                // Between steps: a shutdown or cancel stops here, before the next step, never inside one.
                cancellationToken.ThrowIfCancellationRequested();
                var timeout = step.Timeout ?? _options.StepTimeout;
                var clock = Stopwatch.StartNew();
                var touchesCard = step is FillStep { IsCardField: true };
                StepEnd end;
                try
                {
                    end = await RunStepAsync(step, timeout);
                }
                catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                {
                    // A signal on screen explains the failure better than the timeout does (a captcha instead of the form).
                    if (!submitted && await FindSignalAsync() is { } signal)
                    {
                        return SignalSeen(signal, step);
                    }
                    failedStep = step;
                    // Once a card value is on the page, Playwright's text can quote it (a fill on a disabled field, or a
                    // timeout previewing an element whose value holds it): keep only what is safe. Our own messages are.
                    var detail = ex is TargetMissingException ? ex.Message
                        : touchesCard || cardOnPage ? ex.GetType().Name
                        : $"{ex.GetType().Name}: {CardNumberMasker.Mask(FirstLine(ex.Message))}";
                    return Finish(FailureCodes.StepFailed(step.Number), $"step {step.Number} ({step.Describe()}) failed: {detail}");
                }
                if (end.Result is { } ended)
                {
                    return ended;
                }
                clock.Stop();
                timings.Add(new Timing($"step {step.Number} {step.Kind}", clock.ElapsedMilliseconds));
                // The timeline write and the look for signals overlap: one waits on the disk, the other on the browser.
                var reported = onStep(new StepReport(step, run.Recipe.Steps.Count, clock.ElapsedMilliseconds, end.Note));
                var shown = submitted ? null : await FindSignalAsync();
                await reported;
                if (shown is not null)
                {
                    return SignalSeen(shown, step);
                }
            }
            return await AwaitOutcomeAsync();
        }

        async Task<StepEnd> RunStepAsync(RecipeStep step, TimeSpan timeout)
        {
            var ms = (float)timeout.TotalMilliseconds;
            switch (step)
            {
                case NavigateStep navigate:
                    await page.GotoAsync(navigate.Url.Expand(run.Values), new PageGotoOptions { Timeout = ms });
                    return StepEnd.Next;
                case ClickStep click:
                    return await OnTargetAsync(step, click.Target, timeout,
                        target => target.ClickAsync(new LocatorClickOptions { Timeout = ms }));
                case FillStep { Value.CardField: { } field } fill:
                    return await OnTargetWithEndAsync(step, fill.Target, timeout, async target =>
                    {
                        // Pin the element, then check the origin of the frame it lives in, as the browser reports it: the
                        // value goes to that very element or nowhere.
                        var handle = await target.ElementHandleAsync(new LocatorElementHandleOptions { Timeout = ms });
                        try
                        {
                            var frame = await handle.OwnerFrameAsync();
                            var origin = frame is null ? "(detached element)" : OriginOf(frame.Url);
                            if (!allowedOrigins.Contains(origin))
                            {
                                return new StepEnd(Finish(FailureCodes.OriginViolation,
                                    $"step {step.Number} ({fill.Target}): the card field is in a document from {origin}, which the recipe's card_origins do not allow; nothing was typed"));
                            }
                            cardOnPage = true;
                            await handle.FillAsync(run.Card.Reveal(field), new ElementHandleFillOptions { Timeout = ms });
                            if (!await ReadsBackAsync(handle, run.Card, field))
                            {
                                failedStep = step;
                                return new StepEnd(Finish(FailureCodes.StepFailed(step.Number),
                                    $"step {step.Number} ({fill.Target}): the field did not keep what was typed (checked by length and last 4); it may be disabled, read-only or replaced"));
                            }
                            return StepEnd.Next;
                        }
                        finally
                        {
                            await handle.DisposeAsync();
                        }
                    });
                case FillStep fill:
                    return await OnTargetAsync(step, fill.Target, timeout,
                        target => target.FillAsync(fill.Value.Expand(run.Values), new LocatorFillOptions { Timeout = ms }));
                case SelectStep select:
                    return await OnTargetAsync(step, select.Target, timeout,
                        target => target.SelectOptionAsync(select.Value.Expand(run.Values), new LocatorSelectOptionOptions { Timeout = ms }));
                case CheckStep check:
                    return await OnTargetAsync(step, check.Target, timeout,
                        target => target.SetCheckedAsync(check.Checked, new LocatorSetCheckedOptions { Timeout = ms }));
                case WaitForStep { Url: { } url }:
                    await page.WaitForURLAsync(url, new PageWaitForURLOptions { Timeout = ms });
                    return StepEnd.Next;
                case WaitForStep { NetworkIdle: true }:
                    await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new PageWaitForLoadStateOptions { Timeout = ms });
                    return StepEnd.Next;
                case WaitForStep { Hidden: true } wait:
                    await Locate(page, wait.Target!).WaitForAsync(new LocatorWaitForOptions { Timeout = ms, State = WaitForSelectorState.Hidden });
                    return StepEnd.Next;
                case WaitForStep wait:
                    return await OnTargetAsync(step, wait.Target!, timeout, _ => Task.CompletedTask);
                case AssertTotalStep assertTotal:
                    return await OnTargetWithEndAsync(step, assertTotal.Target, timeout, async target =>
                    {
                        var text = (await target.InnerTextAsync(new LocatorInnerTextOptions { Timeout = ms })).Trim();
                        var shown = CardNumberMasker.Mask(text);
                        if (!Money.TryParse(text, out var pageTotal, out var currency))
                        {
                            failedStep = step;
                            return new StepEnd(Finish(FailureCodes.TotalMismatch,
                                $"step {step.Number} ({assertTotal.Target}): could not read one amount from \"{shown}\"; stopped before the final click"));
                        }
                        if (!run.CompareTotal)
                        {
                            return new StepEnd(null, $"page total {Money.Format(pageTotal, run.Currency)} (not compared: no amount given)");
                        }
                        if (pageTotal != run.ApprovedAmount || !Money.CurrencyMatches(currency, run.Currency))
                        {
                            failedStep = step;
                            return new StepEnd(Finish(FailureCodes.TotalMismatch,
                                $"the page's total \"{shown}\" differs from the approved {Money.Format(run.ApprovedAmount, run.Currency)}{(Money.CurrencyMatches(currency, run.Currency) ? "" : $" (the page shows {currency!.ToUpperInvariant()})")}; stopped before the final click"));
                        }
                        return new StepEnd(null, $"page total {Money.Format(pageTotal, run.Currency)} matches");
                    });
                case SubmitStep submit:
                    return await OnTargetWithEndAsync(step, submit.Target, timeout, async button =>
                    {
                        // The button is visible (checked above) before committing to "submitting": a missing button is
                        // a plain step failure, not an unknown outcome.
                        if (run.StopBeforeSubmit)
                        {
                            return new StepEnd(Finish(OutcomeCodes.ReadyToSubmit,
                                $"dry run: stopped at step {step.Number} ({submit.Target}), which is ready; nothing was submitted"));
                        }
                        await beforeSubmit(cancellationToken);
                        submitted = true;
                        try
                        {
                            await button.ClickAsync(new LocatorClickOptions { Timeout = ms });
                        }
                        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                        {
                            return new StepEnd(Finish(FailureCodes.OutcomeUnknown,
                                $"step {step.Number} ({submit.Target}): the final click raised {ex.GetType().Name}; it may or may not have reached the merchant. Check the merchant before retrying."));
                        }
                        return StepEnd.Next;
                    });
                default:
                    throw new InvalidOperationException($"No runner for step kind {step.Kind}.");
            }
        }

        Task<StepEnd> OnTargetAsync(RecipeStep step, LocatorSpec spec, TimeSpan timeout, Func<ILocator, Task> action) =>
            OnTargetWithEndAsync(step, spec, timeout, async target =>
            {
                await action(target);
                return StepEnd.Next;
            });

        // Waits until the step's element is visible, watching for outcome signals meanwhile, then acts on it.
        async Task<StepEnd> OnTargetWithEndAsync(RecipeStep step, LocatorSpec spec, TimeSpan timeout, Func<ILocator, Task<StepEnd>> action)
        {
            var target = Locate(page, spec);
            var clock = Stopwatch.StartNew();
            while (!await IsVisibleAsync(target))
            {
                if (!submitted && await FindSignalAsync() is { } signal)
                {
                    return new StepEnd(SignalSeen(signal, step));
                }
                if (clock.Elapsed >= timeout)
                {
                    throw new TargetMissingException(
                        $"nothing matching {spec} became visible within {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s");
                }
                // A step runs to its end (bounded by its timeout); cancellation is honoured between steps.
                await WaitBrieflyAsync(target, PollInterval);
            }
            return await action(target);
        }

        async Task<RecipeOutcome?> FindSignalAsync()
        {
            foreach (var signal in signals)
            {
                if (await IsVisibleAsync(Locate(page, signal.When)))
                {
                    return signal;
                }
            }
            return null;
        }

        RecipeRunResult SignalSeen(RecipeOutcome signal, RecipeStep step) =>
            Finish(signal.Code, $"at step {step.Number} ({step.Kind}), before the final click, the page showed the '{signal.Code}' outcome ({signal.When}); nothing was submitted");

        // After the final click nothing stops the wait for the merchant's answer (it is bounded by OutcomeTimeout): a
        // shutdown or cancel arriving now would turn a bought order into an unknown one.
        async Task<RecipeRunResult> AwaitOutcomeAsync()
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < _options.OutcomeTimeout)
            {
                foreach (var outcome in run.Recipe.Outcomes)
                {
                    if (!await IsVisibleAsync(Locate(page, outcome.When)))
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
                    var message = outcome.Code == OutcomeCodes.Succeeded ? null : $"after the final click the merchant's page showed the '{outcome.Code}' outcome ({outcome.When})";
                    return Finish(outcome.Code, message, orderNumber, chargedTotal);
                }
                await WaitBrieflyAsync(run.Recipe.Outcomes.Select(o => Locate(page, o.When)).Aggregate((a, b) => a.Or(b)), PollInterval);
            }
            return Finish(FailureCodes.OutcomeUnknown,
                $"no outcome of the recipe appeared within {_options.OutcomeTimeout.TotalSeconds:0}s after the final click; check the merchant before retrying");
        }
    }

    /// <summary>How a step ended: <see cref="Result"/> set ends the run; <see cref="Note"/> is shown with the step.</summary>
    private readonly record struct StepEnd(RecipeRunResult? Result, string? Note = null)
    {
        public static StepEnd Next => default;
    }

    /// <summary>Our own "element never showed up" message: it holds the locator only, never a value, so it is always shown.</summary>
    private sealed class TargetMissingException(string message) : TimeoutException(message);

    private static async Task<bool> IsVisibleAsync(ILocator locator)
    {
        try
        {
            return await locator.First.IsVisibleAsync();
        }
        catch (PlaywrightException)
        {
            return false; // the page or frame is navigating; look again
        }
    }

    /// <summary>
    /// Waits up to <paramref name="wait"/> for <paramref name="locator"/> to show, waking as soon as it does (no fixed
    /// sleep after a navigation); when it does not, or cannot be waited on, the whole interval passes before the next look.
    /// </summary>
    private static async Task WaitBrieflyAsync(ILocator locator, TimeSpan wait)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await locator.First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = (float)wait.TotalMilliseconds });
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            if (wait - clock.Elapsed is { Ticks: > 0 } rest)
            {
                await Task.Delay(rest, CancellationToken.None);
            }
        }
    }

    private static string OriginOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri.GetLeftPart(UriPartial.Authority)
            : $"a document with no web origin ({(uri?.Scheme ?? "unknown")}:)";

    private static async Task<bool> ReadsBackAsync(IElementHandle target, CardSecret card, CardField field)
    {
        var typed = Normalize(await target.InputValueAsync(), field);
        var expected = Normalize(card.Reveal(field), field);
        return typed.Length == expected.Length && typed[Math.Max(0, typed.Length - 4)..] == expected[Math.Max(0, expected.Length - 4)..];

        static string Normalize(string value, CardField field) =>
            field == CardField.Name ? value.Trim() : new string(value.Where(char.IsAsciiDigit).ToArray());
    }

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    /// <summary>
    /// What the page showed when a run stopped: address without its query (a GET form could have put values there),
    /// title, and the start of its visible text (input values are not part of it), card-like numbers masked.
    /// </summary>
    private static async Task<string?> DescribePageAsync(IPage page)
    {
        try
        {
            var address = Uri.TryCreate(page.Url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "(no address)";
            var title = await page.TitleAsync();
            var text = Whitespace().Replace(await page.Locator("body").InnerTextAsync(new LocatorInnerTextOptions { Timeout = 1000 }), " ").Trim();
            if (text.Length > 300)
            {
                text = text[..300] + "…";
            }
            return CardNumberMasker.Mask($"{address} \"{title}\": {text}");
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            return null;
        }
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

    /// <summary>The locator for a spec: into its iframes (outermost first), then its shadow host, then the element.</summary>
    internal static ILocator Locate(IPage page, LocatorSpec spec)
    {
        IFrameLocator? frame = null;
        foreach (var f in spec.Frames)
        {
            frame = frame is null ? page.FrameLocator(f.Selector) : frame.FrameLocator(f.Selector);
        }
        var root = frame?.Locator(":root") ?? page.Locator(":root");
        if (spec.Shadow is not null)
        {
            // Playwright's CSS pierces open shadow roots: searching inside the host reaches its shadow tree.
            root = root.Locator(spec.Shadow);
        }
        if (spec.Role is not null)
        {
            if (!Enum.TryParse<AriaRole>(spec.Role, ignoreCase: true, out var role))
            {
                throw new PlaywrightException($"unknown ARIA role '{spec.Role}'");
            }
            return root.GetByRole(role, new LocatorGetByRoleOptions { Name = spec.Name, Exact = spec.Name is not null });
        }
        if (spec.Label is not null)
        {
            return root.GetByLabel(spec.Label, new LocatorGetByLabelOptions { Exact = true });
        }
        if (spec.Text is not null)
        {
            return root.GetByText(spec.Text);
        }
        return spec.TestId is not null ? root.GetByTestId(spec.TestId) : root.Locator(spec.Css!);
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end].TrimEnd();
    }
}
