using CheckoutAgent.Link;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Observability;
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

    /// <value>
    /// A health check: stop before the first step that would type a card or account value (and before <c>submit</c>),
    /// having typed nothing secret and clicked nothing irreversible. Ends <see cref="OutcomeCodes.ReadyForSecrets"/>.
    /// </value>
    public bool StopBeforeSecrets { get; init; }

    /// <value>False: read the page's total at <c>assert_total</c> but do not compare it (a dry run with no amount given).</value>
    public bool CompareTotal { get; init; } = true;

    /// <value>The owner's account at this shop, for <c>${account.*}</c> steps; null when the recipe types none.</value>
    public AccountSecret? Account { get; init; }

    /// <value>Set: a 3-D Secure challenge (<c>three_ds_required</c>) after the final click is waited out with the page
    /// open (see <see cref="AuthenticationWait"/>) instead of ending the run. Null: it ends the run as before.</value>
    public IAuthenticationWatch? Authentication { get; init; }
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
    string? PageState = null)
{
    /// <value>For a step whose locator matched nothing or several: what the live page offers instead (verified). Else null.</value>
    public LocatorSuggestion? Suggestion { get; init; }
}

/// <summary>
/// Walks a recipe in one browser context. Deterministic: no model, no guessing. Card values are revealed only at the
/// moment of typing, only into an element whose frame's origin the recipe allows, read back by length and last 4,
/// and errors from steps that could show them keep the step, locator and error type but drop Playwright's text.
/// Outcome signals other than <c>succeeded</c> are watched before the final click too: a captcha wall or an
/// out-of-stock notice ends the run with its code instead of a step timing out.
/// </summary>
public sealed partial class RecipeRunner(IOptions<BrowserOptions> options, IOptions<RecipeOptions> recipeOptions, TimeProvider? time = null)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long an <c>optional: true</c> step waits for its element unless it sets its own timeout.</summary>
    public static readonly TimeSpan OptionalStepTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long an <c>if</c> waits for its element (or the next step's) unless it sets its own timeout.</summary>
    public static readonly TimeSpan IfTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a total that matches the approved amount must stay the same before <c>assert_total</c> accepts it. Short:
    /// a later change can only make the one-time card, scoped to the approved amount, decline.
    /// </summary>
    public static readonly TimeSpan MatchingTotalSettleTime = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a total that differs must stay the same before it ends the run: a shipping quote or tax may still be arriving.</summary>
    public static readonly TimeSpan DifferingTotalSettleTime = TimeSpan.FromSeconds(1);

    private readonly BrowserOptions _options = options.Value;
    private readonly RecipeOptions _recipes = recipeOptions.Value;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The origins a run may type card values into: the recipe's <c>card_origins</c>, resolved.</summary>
    public IReadOnlySet<string> AllowedCardOrigins(Recipe recipe, string merchantUrl) => Resolve(recipe.CardOrigins, merchantUrl);

    /// <summary>The origins a run may type account values into: the recipe's <c>account_origins</c>, resolved.</summary>
    public IReadOnlySet<string> AllowedAccountOrigins(Recipe recipe, string merchantUrl) => Resolve(recipe.AccountOrigins, merchantUrl);

    /// <summary>
    /// The card origins other than the merchant's own: the card fields' iframes (https://js.stripe.com). Nothing they
    /// load, and nothing loaded from them, is ever blocked: a card field that does not render cannot be typed into.
    /// </summary>
    private HashSet<string> CardFrameOrigins(Recipe recipe, string merchantUrl)
    {
        var merchantOrigin = new Uri(merchantUrl).GetLeftPart(UriPartial.Authority);
        var origins = Resolve(recipe.CardOrigins, merchantUrl);
        origins.Remove(merchantOrigin);
        return origins;
    }

    /// <summary>Aborts a request the recipe's <c>block:</c> list names, unless a card frame needs it; lets every other one go on.</summary>
    internal static Task BlockOrContinueAsync(IRoute route, ResourceBlock block, IReadOnlySet<string> cardFrameOrigins)
    {
        var request = route.Request;
        if (Uri.TryCreate(request.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            && !cardFrameOrigins.Contains(url.GetLeftPart(UriPartial.Authority))
            && !FromCardFrame(request, cardFrameOrigins)
            && block.Blocks(request.ResourceType, url.Host))
        {
            return route.AbortAsync("blockedbyclient");
        }
        return route.FallbackAsync();

        static bool FromCardFrame(IRequest request, IReadOnlySet<string> cardFrameOrigins)
        {
            try
            {
                return cardFrameOrigins.Contains(OriginOf(request.Frame.Url));
            }
            catch (PlaywrightException)
            {
                return false; // a service worker's request has no frame (service workers are blocked anyway)
            }
        }
    }

    private HashSet<string> Resolve(IEnumerable<string> origins, string merchantUrl)
    {
        var merchantOrigin = new Uri(merchantUrl).GetLeftPart(UriPartial.Authority);
        return origins.Select(o => o == "merchant" ? merchantOrigin : _recipes.Resolve(o)).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <param name="beforeSubmit">Called just before the final click; it must durably record that the purchase is submitting.</param>
    /// <param name="onStep">Called after each step.</param>
    public async Task<RecipeRunResult> RunAsync(IBrowserContext context, RecipeRun run,
        Func<CancellationToken, Task> beforeSubmit, Func<StepReport, Task> onStep, CancellationToken cancellationToken)
    {
        // Browser calls up to the final click, for the round trips per step that `bench` reports.
        var trips = new RoundTrips();
        if (run.Recipe.Block.Any)
        {
            trips.Add();
            var cardFrameOrigins = CardFrameOrigins(run.Recipe, run.MerchantUrl);
            await context.RouteAsync("**/*", route => BlockOrContinueAsync(route, run.Recipe.Block, cardFrameOrigins));
        }
        var page = await context.NewPageAsync();
        trips.Add();
        var stepsBeforeClick = 0;
        var timings = new List<Timing>();
        var submitted = false;
        var secretOnPage = false;
        RecipeStep? failedStep = null;
        var cardOrigins = AllowedCardOrigins(run.Recipe, run.MerchantUrl);
        var accountOrigins = AllowedAccountOrigins(run.Recipe, run.MerchantUrl);
        var signals = run.Recipe.Outcomes.Where(o => o.Code != OutcomeCodes.Succeeded).ToList();
        // Signals in the page itself are looked for together, in one call, with the step's own element (see ProbeAsync);
        // each one inside an iframe needs a call of its own.
        var framedSignals = signals.Where(o => !InMainFrame(o.When)).ToList();
        var anyPageSignal = signals.Where(o => InMainFrame(o.When)).Select(o => FirstIfVisible(Locate(page, o.When)))
            .Aggregate((ILocator?)null, (all, one) => all is null ? one : all.Or(one));
        var stepCount = run.Recipe.StepCount;
        // The timeline's step writes, one after another in step order, off the steps' path: each step goes on while the
        // write before it waits on the disk. All of them are committed before `submitting` is, and before the run returns.
        var reports = Task.CompletedTask;
        // A step whose look for signals afterwards was left to the next step's probe (it looks anyway, in the same call).
        RecipeStep? signalsUnchecked = null;
        foreach (var popUp in run.Recipe.Dismiss)
        {
            // Playwright runs the handler before any action it performs whenever the pop-up shows, and waits for it to
            // go: a cookie wall on some visits only, a newsletter modal half-way through the form.
            trips.Add();
            await page.AddLocatorHandlerAsync(Locate(page, popUp), async found =>
            {
                try
                {
                    await found.First.ClickAsync(new LocatorClickOptions { Timeout = 5000 });
                }
                catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                {
                    // Gone by itself meanwhile: the action it blocked goes on.
                }
            });
        }

        RecipeRunResult Finish(string code, string? message, string? orderNumber = null, string? chargedTotal = null) =>
            new(code, submitted, message, orderNumber, chargedTotal, timings, null, failedStep);

        RecipeRunResult result;
        try
        {
            result = await RunStepsAsync(run.Recipe.Steps, null) ?? await AwaitOutcomeAsync();
        }
        catch
        {
            // Whatever ended the run, no step write may land after the outcome the caller is about to record.
            await reports.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        await reports;
        if (stepsBeforeClick > 0)
        {
            RecipeMetrics.Record(trips.Count, stepsBeforeClick);
        }
        if (result.Code is not (OutcomeCodes.Succeeded or OutcomeCodes.ReadyToSubmit or OutcomeCodes.ReadyForSecrets))
        {
            result = result with { PageState = await DescribePageAsync(page) };
        }
        // Success or failure, leave a receipt of what the page showed, with card and account fields blacked out.
        var screenshotClock = Stopwatch.StartNew();
        var screenshot = await TryScreenshotAsync(page, run);
        timings.Add(new Timing("screenshot", screenshotClock.ElapsedMilliseconds));
        return result with { ScreenshotPath = screenshot };

        // Runs a list of steps; null when all ran and the run goes on. `after` is the step that follows the list (an if
        // uses it to decide early: when the next step's element shows, the if's element is not coming).
        async Task<RecipeRunResult?> RunStepsAsync(IReadOnlyList<RecipeStep> steps, RecipeStep? after)
        {
            for (var i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                var next = i + 1 < steps.Count ? steps[i + 1] : after;
                // Between steps: a shutdown or cancel stops here, before the next step, never inside one.
                cancellationToken.ThrowIfCancellationRequested();
                if (run.StopBeforeSecrets && (step.TypesSecret || step is SubmitStep))
                {
                    return await StopBeforeAsync(step);
                }
                var timeout = step.Timeout ?? (step.Optional ? OptionalStepTimeout : step is IfStep ? IfTimeout : _options.StepTimeout);
                if (!submitted)
                {
                    stepsBeforeClick++;
                }
                var clock = Stopwatch.StartNew();
                StepEnd end;
                try
                {
                    end = step is IfStep branch ? await DecideAsync(branch, next, timeout) : await RunStepAsync(step, timeout);
                }
                catch (TargetMissingException) when (step.Optional)
                {
                    end = new StepEnd(null, $"skipped: its element did not show within {Seconds(timeout)}", Skipped: true);
                }
                catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                {
                    // A signal on screen explains the failure better than the timeout does (a captcha instead of the form).
                    if (!submitted && await FindSignalAsync() is { } signal)
                    {
                        return SignalSeen(signal, step);
                    }
                    failedStep = step;
                    // Once a secret is on the page, Playwright's text can quote it (a fill on a disabled field, or a
                    // timeout previewing an element whose value holds it): keep only what is safe. Our own messages are.
                    var detail = ex is TargetMissingException ? ex.Message
                        : step.TypesSecret || secretOnPage ? ex.GetType().Name
                        : $"{ex.GetType().Name}: {CardNumberMasker.Mask(FirstLine(ex.Message))}";
                    // A locator that matches nothing or several: say what the page has instead (see LocatorSuggestions).
                    var suggestion = TargetOf(step) is { } spec && IsLocatorProblem(ex)
                        ? await LocatorSuggestions.ForStepAsync(page, step, spec, step.TypesSecret || secretOnPage) : null;
                    return Finish(FailureCodes.StepFailed(step.Number), $"step {step.Number} ({step.Describe()}) failed: {detail}{Hint(suggestion)}")
                        with { Suggestion = suggestion };
                }
                if (end.Result is { } ended)
                {
                    return ended;
                }
                signalsUnchecked = null;
                clock.Stop();
                if (!end.Skipped)
                {
                    timings.Add(new Timing($"step {step.Number} {step.Kind}", clock.ElapsedMilliseconds));
                }
                // The timeline write goes on behind the steps (see `reports`); after the final click it is awaited at once.
                reports = ReportAfterAsync(reports, new StepReport(step, stepCount, clock.ElapsedMilliseconds, end.Note));
                if (submitted)
                {
                    await reports;
                }
                // Signals the step brought up: looked for now, or, when the step that runs next begins by probing for its
                // element, in that same call (nothing acts on the page in between).
                var upcoming = end.Branch is { Count: > 0 } chosenFirst ? chosenFirst[0] : next;
                if (!submitted && Probes(upcoming))
                {
                    signalsUnchecked = step;
                }
                else if (!submitted && await FindSignalAsync() is { } shown)
                {
                    return SignalSeen(shown, step);
                }
                if (end.Branch is { } chosen)
                {
                    if (await RunStepsAsync(chosen, next) is { } inner)
                    {
                        return inner;
                    }
                }
            }
            return null;
        }

        // A health check's end: the step that would type a secret (or submit) is not run, only looked for, so a changed
        // card form is noticed too. Signals a step before left unchecked are looked for first.
        async Task<RecipeRunResult> StopBeforeAsync(RecipeStep step)
        {
            if (signalsUnchecked is { } before && await FindSignalAsync() is { } signal)
            {
                return SignalSeen(signal, before);
            }
            if (TargetOf(step) is { } target)
            {
                var timeout = step.Timeout ?? _options.StepTimeout;
                try
                {
                    await Locate(page, target).First.WaitForAsync(new LocatorWaitForOptions
                    {
                        State = WaitForSelectorState.Visible,
                        Timeout = (float)timeout.TotalMilliseconds,
                    });
                }
                catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                {
                    if (await FindSignalAsync() is { } shown)
                    {
                        return SignalSeen(shown, step);
                    }
                    failedStep = step;
                    // Nothing secret is on the page (nothing was typed), but the message is ours all the same.
                    var suggestion = await LocatorSuggestions.ForStepAsync(page, step, target, secretOnPage);
                    return Finish(FailureCodes.StepFailed(step.Number),
                        $"step {step.Number} ({step.Describe()}) failed: its element did not show within {Seconds(timeout)}{Hint(suggestion)}")
                        with { Suggestion = suggestion };
                }
            }
            return Finish(OutcomeCodes.ReadyForSecrets,
                $"reached step {step.Number} ({step.Describe()}), found its element and stopped before it: nothing secret typed, nothing submitted");
        }

        // An if: its element shows (run its steps), or the element the following step needs shows first, or its
        // timeout passes (run else). Outcome signals end the run as anywhere else.
        async Task<StepEnd> DecideAsync(IfStep branch, RecipeStep? next, TimeSpan timeout)
        {
            var condition = Locate(page, branch.Visible);
            var otherwise = (branch.Else.Count > 0 ? TargetOf(branch.Else[0]) : TargetOf(next)) is { } spec ? Locate(page, spec) : null;
            var clock = Stopwatch.StartNew();
            while (true)
            {
                trips.Add();
                if (await IsVisibleAsync(condition))
                {
                    return new StepEnd(null, $"{branch.Visible} showed: ran its {branch.Then.Count} step(s)", Branch: branch.Then);
                }
                trips.Add(otherwise is null ? 0 : 1);
                if (otherwise is not null && await IsVisibleAsync(otherwise))
                {
                    return new StepEnd(null, $"{branch.Visible} did not show (the next step's element did): skipped its {branch.Then.Count} step(s)", Branch: branch.Else);
                }
                if (!submitted && await FindSignalAsync() is { } signal)
                {
                    return new StepEnd(SignalSeen(signal, branch));
                }
                if (clock.Elapsed >= timeout)
                {
                    return new StepEnd(null, $"{branch.Visible} did not show within {Seconds(timeout)}: skipped its {branch.Then.Count} step(s)", Branch: branch.Else);
                }
                trips.Add();
                await WaitBrieflyAsync(otherwise is null ? condition : condition.Or(otherwise), PollInterval);
            }
        }

        async Task<StepEnd> RunStepAsync(RecipeStep step, TimeSpan timeout)
        {
            var ms = (float)timeout.TotalMilliseconds;
            switch (step)
            {
                case NavigateStep navigate:
                    trips.Add();
                    await page.GotoAsync(navigate.Url.Expand(run.Values), new PageGotoOptions { Timeout = ms });
                    return StepEnd.Next;
                case ClickStep click:
                    return await OnTargetAsync(step, click.Target, timeout, target =>
                    {
                        trips.Add();
                        return target.ClickAsync(new LocatorClickOptions { Timeout = ms });
                    });
                case FillStep { TypesSecret: true } fill:
                    return await OnTargetWithEndAsync(step, fill.Target, timeout, target => TypeSecretAsync(step, fill, target, ms));
                case FillStep fill:
                    return await OnTargetAsync(step, fill.Target, timeout, async target =>
                    {
                        var value = fill.Value.Expand(run.Values);
                        trips.Add(fill.Keys ? 3 : 1);
                        if (fill.Keys)
                        {
                            await ClearAsync(target, ms);
                            await target.PressSequentiallyAsync(value, new LocatorPressSequentiallyOptions { Timeout = ms });
                        }
                        else
                        {
                            await target.FillAsync(value, new LocatorFillOptions { Timeout = ms });
                        }
                    });
                case SelectStep { Value.CardField: { } field } select:
                    return await OnTargetWithEndAsync(step, select.Target, timeout, target => SelectCardOptionAsync(step, select, field, target, ms));
                case SelectStep select:
                    return await OnTargetAsync(step, select.Target, timeout, target =>
                    {
                        trips.Add();
                        return target.SelectOptionAsync(select.Value.Expand(run.Values), new LocatorSelectOptionOptions { Timeout = ms });
                    });
                case CheckStep check:
                    return await OnTargetAsync(step, check.Target, timeout, target =>
                    {
                        trips.Add();
                        return target.SetCheckedAsync(check.Checked, new LocatorSetCheckedOptions { Timeout = ms });
                    });
                case WaitForStep { Url: { } url }:
                    trips.Add();
                    await page.WaitForURLAsync(url, new PageWaitForURLOptions { Timeout = ms });
                    return StepEnd.Next;
                case WaitForStep { NetworkIdle: true }:
                    trips.Add();
                    await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new PageWaitForLoadStateOptions { Timeout = ms });
                    return StepEnd.Next;
                case WaitForStep { Hidden: true } wait:
                    trips.Add();
                    await Locate(page, wait.Target!).WaitForAsync(new LocatorWaitForOptions { Timeout = ms, State = WaitForSelectorState.Hidden });
                    return StepEnd.Next;
                case WaitForStep wait:
                    return await OnTargetAsync(step, wait.Target!, timeout, _ => Task.CompletedTask);
                case AssertTotalStep assertTotal:
                    return await OnTargetWithEndAsync(step, assertTotal.Target, timeout, target => AssertTotalAsync(assertTotal, target, timeout));
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
                        // Every step's timeline write is committed before `submitting` is; `submitting` before the click.
                        await reports;
                        await beforeSubmit(cancellationToken);
                        submitted = true;
                        trips.Add();
                        trips.Stop();
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

        // Pins the element, checks the origin of the frame it lives in as the browser reports it (the value goes to
        // that very element or nowhere), types the card or account value, and reads it back. The pinned element is not
        // released one by one: it lives as long as the run's context, which closes right after the run (a call saved).
        async Task<StepEnd> TypeSecretAsync(RecipeStep step, FillStep fill, ILocator target, float ms)
        {
            trips.Add();
            var handle = await target.ElementHandleAsync(new LocatorElementHandleOptions { Timeout = ms });
            var isCard = fill.Value.CardField is not null;
            if (await OriginRefusalAsync(step, fill.Target, handle, isCard) is { } refused)
            {
                return refused;
            }
            string value;
            if (fill.Value.CardField is { } cardField)
            {
                value = run.Card.Reveal(cardField);
            }
            else if (run.Account is not { } account)
            {
                failedStep = step;
                return new StepEnd(Finish(OutcomeCodes.LoginRequired,
                    $"step {step.Number} ({fill.Target}) needs the owner's account at this shop and none was given; nothing was typed"));
            }
            else
            {
                value = fill.Value.AccountField == AccountField.Totp
                    ? await account.CodeAsync(_time, cancellationToken)
                    : account.Reveal(fill.Value.AccountField!.Value);
            }
            secretOnPage = true;
            // Typing and the read-back: two calls (three key-by-key); the read-back is the field's value.
            trips.Add(fill.Keys ? 4 : 2);
            if (fill.Keys)
            {
                await handle.PressAsync("Control+A", new ElementHandlePressOptions { Timeout = ms });
                await handle.PressAsync("Backspace", new ElementHandlePressOptions { Timeout = ms });
                // The pinned, origin-checked element types key by key. ElementHandle has no PressSequentiallyAsync, and a
                // locator could resolve to another element between the origin check and the typing.
#pragma warning disable CS0612
                await handle.TypeAsync(value, new ElementHandleTypeOptions { Timeout = ms });
#pragma warning restore CS0612
            }
            else
            {
                await handle.FillAsync(value, new ElementHandleFillOptions { Timeout = ms });
            }
            var kept = fill.Value.CardField is { } typedCard
                ? await ReadsBackAsync(handle, run.Card, typedCard)
                : (await handle.InputValueAsync()).Length == value.Length;
            if (!kept)
            {
                failedStep = step;
                return new StepEnd(Finish(FailureCodes.StepFailed(step.Number),
                    $"step {step.Number} ({fill.Target}): the field did not keep what was typed (checked by {(isCard ? "length and last 4" : "length")}); it may be disabled, read-only or replaced"));
            }
            return StepEnd.Next;
        }

        // An expiry drop-down: the option that means the card's month or year, matched numerically, then read back.
        async Task<StepEnd> SelectCardOptionAsync(RecipeStep step, SelectStep select, CardField field, ILocator target, float ms)
        {
            trips.Add(2);
            var handle = await target.ElementHandleAsync(new LocatorElementHandleOptions { Timeout = ms });
            if (await OriginRefusalAsync(step, select.Target, handle, isCard: true) is { } refused)
            {
                return refused;
            }
            // Options are the page's own data (no card value in them), read as JSON in one round trip.
            var options = JsonSerializer.Deserialize<SelectOption[]>(await handle.EvaluateAsync<string>(
                "el => JSON.stringify(el.options ? Array.from(el.options).map(o => ({ value: o.value, text: o.text })) : [])"), OptionJson) ?? [];
            var wanted = field == CardField.ExpMonth ? run.Card.ExpMonth : run.Card.ExpYear;
            var index = ExpiryOptions.Find(options, field, wanted);
            if (index < 0)
            {
                failedStep = step;
                return new StepEnd(Finish(FailureCodes.StepFailed(step.Number),
                    $"step {step.Number} ({select.Target}): none of its {options.Length} options means the card's expiry {(field == CardField.ExpMonth ? "month" : "year")} (by value or text, numerically); nothing was selected"));
            }
            secretOnPage = true;
            trips.Add(2);
            await handle.SelectOptionAsync(new[] { new SelectOptionValue { Index = index } }, new ElementHandleSelectOptionOptions { Timeout = ms });
            if (await handle.EvaluateAsync<int>("el => el.selectedIndex") != index)
            {
                failedStep = step;
                return new StepEnd(Finish(FailureCodes.StepFailed(step.Number),
                    $"step {step.Number} ({select.Target}): the drop-down did not keep the chosen option; it may be disabled or replaced"));
            }
            return StepEnd.Next;
        }

        async Task<StepEnd?> OriginRefusalAsync(RecipeStep step, LocatorSpec spec, IElementHandle handle, bool isCard)
        {
            // An element found from the page without entering an iframe lives in the page's main frame (the handle pins it
            // there: after a navigation it is gone and typing fails), so its frame needs no call of its own. Elements
            // inside iframes ask the browser which frame holds them.
            IFrame? frame;
            if (InMainFrame(spec))
            {
                frame = page.MainFrame;
            }
            else
            {
                trips.Add();
                frame = await handle.OwnerFrameAsync();
            }
            var origin = frame is null ? "(detached element)" : OriginOf(frame.Url);
            if ((isCard ? cardOrigins : accountOrigins).Contains(origin))
            {
                return null;
            }
            return new StepEnd(Finish(FailureCodes.OriginViolation,
                $"step {step.Number} ({spec}): the {(isCard ? "card" : "account")} field is in a document from {origin}, which the recipe's {(isCard ? "card_origins" : "account_origins")} do not allow; nothing was typed"));
        }

        // Waits until the element holds one readable amount that has stopped changing for a moment (a shipping quote
        // or tax may still be arriving: "Calculating…" is not a mismatch), then compares it with the approved amount.
        async Task<StepEnd> AssertTotalAsync(AssertTotalStep assertTotal, ILocator target, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            string? lastText = null;
            var stableSince = TimeSpan.Zero;
            (long Amount, string? Currency)? settled = null;
            var shown = "";
            while (true)
            {
                var left = timeout - clock.Elapsed;
                trips.Add();
                var text = (await target.InnerTextAsync(new LocatorInnerTextOptions { Timeout = (float)Math.Max(left.TotalMilliseconds, 100) })).Trim();
                shown = CardNumberMasker.Mask(text);
                if (text != lastText)
                {
                    lastText = text;
                    stableSince = clock.Elapsed;
                }
                var readable = Money.TryParse(text, out var amount, out var currency);
                var matches = readable && (!run.CompareTotal || (amount == run.ApprovedAmount && Money.CurrencyMatches(currency, run.Currency)));
                if (readable && clock.Elapsed - stableSince >= (matches ? MatchingTotalSettleTime : DifferingTotalSettleTime))
                {
                    settled = (amount, currency);
                    break;
                }
                if (clock.Elapsed >= timeout)
                {
                    settled = readable ? (amount, currency) : null;
                    break;
                }
                if (!submitted && await FindSignalAsync() is { } signal)
                {
                    return new StepEnd(SignalSeen(signal, assertTotal));
                }
                await Task.Delay(PollInterval, CancellationToken.None);
            }
            if (settled is not { } total)
            {
                failedStep = assertTotal;
                return new StepEnd(Finish(FailureCodes.TotalMismatch,
                    $"step {assertTotal.Number} ({assertTotal.Target}): could not read one amount from \"{shown}\" within {Seconds(timeout)}; stopped before the final click"));
            }
            if (!run.CompareTotal)
            {
                return new StepEnd(null, $"page total {Money.Format(total.Amount, run.Currency)} (not compared: no amount given)");
            }
            if (total.Amount != run.ApprovedAmount || !Money.CurrencyMatches(total.Currency, run.Currency))
            {
                failedStep = assertTotal;
                return new StepEnd(Finish(FailureCodes.TotalMismatch,
                    $"the page's total \"{shown}\" differs from the approved {Money.Format(run.ApprovedAmount, run.Currency)}{(Money.CurrencyMatches(total.Currency, run.Currency) ? "" : $" (the page shows {total.Currency!.ToUpperInvariant()})")}; stopped before the final click"));
            }
            return new StepEnd(null, $"page total {Money.Format(total.Amount, run.Currency)} matches");
        }

        Task<StepEnd> OnTargetAsync(RecipeStep step, LocatorSpec spec, TimeSpan timeout, Func<ILocator, Task> action) =>
            OnTargetWithEndAsync(step, spec, timeout, async target =>
            {
                await action(target);
                return StepEnd.Next;
            });

        // Waits until the step's element is visible, watching for outcome signals meanwhile, then acts on it. Each look is
        // one probe: the element and the page's signals together (see ProbeAsync).
        async Task<StepEnd> OnTargetWithEndAsync(RecipeStep step, LocatorSpec spec, TimeSpan timeout, Func<ILocator, Task<StepEnd>> action)
        {
            var target = Locate(page, spec);
            var clock = Stopwatch.StartNew();
            // A signal seen at the first look was brought up by the step before (whose own look was left to this one).
            var causedBy = signalsUnchecked ?? step;
            while (true)
            {
                var (ready, signalShown) = await ProbeAsync(spec, target);
                if (signalShown && await FindSignalAsync() is { } signal)
                {
                    return new StepEnd(SignalSeen(signal, causedBy));
                }
                if (ready)
                {
                    return await action(target);
                }
                causedBy = step;
                if (clock.Elapsed >= timeout)
                {
                    throw new TargetMissingException(
                        $"nothing matching {spec} became visible within {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s");
                }
                // A step runs to its end (bounded by its timeout); cancellation is honoured between steps.
                trips.Add();
                await WaitBrieflyAsync(target, PollInterval);
            }
        }

        // Is the step's element visible, and is any outcome signal? Before the final click, when the element and every
        // signal are in the page itself (no iframe), one call answers both: the page's root is matched when it holds the
        // element (its first match, visible) and its body when it holds a signal (a signal's first match, visible).
        // Otherwise the looks go out together and are awaited together. After the click only the element is looked for.
        async Task<(bool Ready, bool Signal)> ProbeAsync(LocatorSpec spec, ILocator target)
        {
            if (submitted || (anyPageSignal is null && framedSignals.Count == 0))
            {
                trips.Add();
                return (await IsVisibleAsync(target), false);
            }
            if (InMainFrame(spec) && framedSignals.Count == 0)
            {
                trips.Add();
                var probe = page.Locator(":root").Filter(new LocatorFilterOptions { Has = FirstIfVisible(target) })
                    .Or(page.Locator("body").Filter(new LocatorFilterOptions { Has = anyPageSignal }));
                try
                {
                    // Runs in the page's own world: no Array methods, which a page's script may have replaced.
                    var found = await probe.EvaluateAllAsync<string[]>(
                        "elements => { const names = []; for (let i = 0; i < elements.length; i++) names[i] = elements[i].localName; return names; }");
                    return (found.Contains("html"), found.Contains("body"));
                }
                catch (PlaywrightException)
                {
                    return (false, false); // the page is navigating; look again
                }
            }
            var looks = new List<Task<bool>> { IsVisibleAsync(target) };
            if (anyPageSignal is not null)
            {
                looks.Add(IsVisibleAsync(anyPageSignal));
            }
            looks.AddRange(framedSignals.Select(o => IsVisibleAsync(Locate(page, o.When))));
            trips.Add(looks.Count);
            var seen = await Task.WhenAll(looks);
            return (seen[0], seen.Skip(1).Any(v => v));
        }

        // Which signal the page shows, if any: first one look for all of them (the page's together, each iframe's on its
        // own), then, only when one shows, which one it is, in the recipe's order.
        async Task<RecipeOutcome?> FindSignalAsync()
        {
            if (signals.Count == 0)
            {
                return null;
            }
            var looks = framedSignals.Select(o => IsVisibleAsync(Locate(page, o.When))).ToList();
            if (anyPageSignal is not null)
            {
                looks.Add(IsVisibleAsync(anyPageSignal));
            }
            trips.Add(looks.Count);
            if (!(await Task.WhenAll(looks)).Any(v => v))
            {
                return null;
            }
            foreach (var signal in signals)
            {
                trips.Add();
                if (await IsVisibleAsync(Locate(page, signal.When)))
                {
                    return signal;
                }
            }
            return null;
        }

        // Queues a step's timeline write after the ones before it (in step order; a failed write fails the ones after it,
        // and the run at the next await, before the final click at the latest).
        async Task ReportAfterAsync(Task before, StepReport report)
        {
            await before;
            await onStep(report);
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
                foreach (var shown in run.Recipe.Outcomes)
                {
                    if (!await IsVisibleAsync(Locate(page, shown.When)))
                    {
                        continue;
                    }
                    var outcome = shown;
                    string? afterChallenge = null;
                    if (outcome.Code == OutcomeCodes.ThreeDsRequired && run.Authentication is { } watch)
                    {
                        // The bank asks the card holder to confirm: wait with the page open, never click again.
                        timings.Add(new Timing("challenge", clock.ElapsedMilliseconds));
                        clock.Restart();
                        var waited = await AuthenticationWait.RunAsync(page, run.Recipe, watch, _options.AuthenticationTimeout, _time, cancellationToken);
                        timings.Add(new Timing("authentication", clock.ElapsedMilliseconds));
                        clock.Restart();
                        if (waited.Outcome is null)
                        {
                            return Finish(waited.Code!, waited.Message);
                        }
                        outcome = waited.Outcome;
                        afterChallenge = outcome.Code == OutcomeCodes.CardDeclined ? FailureCodes.AuthenticationFailed : null;
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
                    if (afterChallenge is not null)
                    {
                        message = $"after the card holder's confirmation (3-D Secure) the merchant's page showed the '{outcome.Code}' outcome ({outcome.When}): the confirmation was refused or failed";
                    }
                    return Finish(afterChallenge ?? outcome.Code, message, orderNumber, chargedTotal);
                }
                await WaitBrieflyAsync(run.Recipe.Outcomes.Select(o => Locate(page, o.When)).Aggregate((a, b) => a.Or(b)), PollInterval);
            }
            return Finish(FailureCodes.OutcomeUnknown,
                $"no outcome of the recipe appeared within {_options.OutcomeTimeout.TotalSeconds:0}s after the final click; check the merchant before retrying");
        }
    }

    /// <summary>How a step ended: <see cref="Result"/> set ends the run; <see cref="Note"/> is shown with the step.</summary>
    /// <summary>
    /// How a step ended: <see cref="Result"/> set ends the run; <see cref="Note"/> is shown with the step;
    /// <see cref="Branch"/> (an if) is the list of steps to run next; <see cref="Skipped"/>: an optional step that was not needed.
    /// </summary>
    private readonly record struct StepEnd(RecipeRunResult? Result, string? Note = null, IReadOnlyList<RecipeStep>? Branch = null, bool Skipped = false)
    {
        public static StepEnd Next => default;
    }

    /// <summary>The element a step acts on or waits for; null for steps that have none (navigate, url and network waits).</summary>
    private static LocatorSpec? TargetOf(RecipeStep? step) => step switch
    {
        ClickStep s => s.Target,
        FillStep s => s.Target,
        SelectStep s => s.Target,
        CheckStep s => s.Target,
        WaitForStep { Hidden: false, Target: { } target } => target,
        AssertTotalStep s => s.Target,
        SubmitStep s => s.Target,
        IfStep s => s.Visible,
        _ => null,
    };

    /// <summary>True when a step begins by probing for its element (and the page's signals with it): see <c>ProbeAsync</c>.</summary>
    private static bool Probes(RecipeStep? step) => step is not (null or IfStep or WaitForStep { Url: not null } or WaitForStep { NetworkIdle: true })
        && TargetOf(step) is not null;

    /// <summary>
    /// True when the spec finds its element in the page itself: no iframe to enter, and no selector chained with
    /// <c>&gt;&gt;</c> (Playwright's chains can enter an iframe).
    /// </summary>
    private static bool InMainFrame(LocatorSpec spec) =>
        spec.Frames.Count == 0 && spec.Css?.Contains(">>", StringComparison.Ordinal) != true && spec.Shadow?.Contains(">>", StringComparison.Ordinal) != true;

    /// <summary>The locator's first match, when it is visible; nothing otherwise.</summary>
    private static ILocator FirstIfVisible(ILocator locator) => locator.First.Filter(new LocatorFilterOptions { Visible = true });

    /// <summary>Counts the browser calls of one run until the final click.</summary>
    private sealed class RoundTrips
    {
        private bool _stopped;

        public int Count { get; private set; }

        public void Add(int calls = 1)
        {
            if (!_stopped)
            {
                Count += calls;
            }
        }

        public void Stop() => _stopped = true;
    }

    private static readonly JsonSerializerOptions OptionJson = new(JsonSerializerDefaults.Web);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + "s";

    /// <summary>Empties a field key by key, for inputs that ignore a programmatic value.</summary>
    private static async Task ClearAsync(ILocator target, float ms)
    {
        await target.PressAsync("Control+A", new LocatorPressOptions { Timeout = ms });
        await target.PressAsync("Backspace", new LocatorPressOptions { Timeout = ms });
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
            var cardFields = run.Recipe.AllSteps.Where(s => s.TypesSecret).Select(s => Locate(page, TargetOf(s)!)).ToList();
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

    /// <summary>
    /// The locator for a spec: into its iframes (outermost first), then its shadow host, then the element. A spec with
    /// neither starts from the page itself, so the same locator also works inside a <c>has</c> filter (see <c>ProbeAsync</c>).
    /// </summary>
    internal static ILocator Locate(IPage page, LocatorSpec spec)
    {
        IFrameLocator? frame = null;
        foreach (var f in spec.Frames)
        {
            frame = frame is null ? page.FrameLocator(f.Selector) : frame.FrameLocator(f.Selector);
        }
        var root = frame?.Locator(":root");
        if (spec.Shadow is not null)
        {
            // Playwright's CSS pierces open shadow roots: searching inside the host reaches its shadow tree.
            root = root is null ? page.Locator(spec.Shadow) : root.Locator(spec.Shadow);
        }
        if (spec.Role is not null)
        {
            if (!Enum.TryParse<AriaRole>(spec.Role, ignoreCase: true, out var role))
            {
                throw new PlaywrightException($"unknown ARIA role '{spec.Role}'");
            }
            return root?.GetByRole(role, new LocatorGetByRoleOptions { Name = spec.Name, Exact = spec.Name is not null })
                ?? page.GetByRole(role, new PageGetByRoleOptions { Name = spec.Name, Exact = spec.Name is not null });
        }
        if (spec.Label is not null)
        {
            return root?.GetByLabel(spec.Label, new LocatorGetByLabelOptions { Exact = true })
                ?? page.GetByLabel(spec.Label, new PageGetByLabelOptions { Exact = true });
        }
        if (spec.Text is not null)
        {
            return root?.GetByText(spec.Text) ?? page.GetByText(spec.Text);
        }
        if (spec.TestId is not null)
        {
            return root?.GetByTestId(spec.TestId) ?? page.GetByTestId(spec.TestId);
        }
        return root?.Locator(spec.Css!) ?? page.Locator(spec.Css!);
    }

    /// <summary>Nothing matched (our own timeout) or several did (Playwright's strict mode): a locator fix may help.</summary>
    private static bool IsLocatorProblem(Exception ex) =>
        ex is TargetMissingException || (ex is PlaywrightException && ex.Message.Contains("strict mode violation", StringComparison.Ordinal));

    /// <summary>"; on the page: { label: CVC } or { label: Card number }" for a one-line message; empty without suggestions.</summary>
    private static string Hint(LocatorSuggestion? suggestion) =>
        suggestion is null ? ""
        : suggestion.Locators.Count == 0 ? $"; {suggestion.Summary}"
        : $"; {suggestion.Summary}; on the page now: {string.Join(" or ", suggestion.Locators)}";

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end].TrimEnd();
    }
}
