using System.Diagnostics;
using CheckoutAgent.Link;
using CheckoutAgent.Link.Cards;
using ShippingAddress = CheckoutAgent.Core.Purchases.ShippingAddress;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Configuration;
using CheckoutAgent.Worker.Cluster;
using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Logging;
using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// Takes one purchase from wherever its timeline says it stands to a terminal state:
/// validate → spend request → approval → card file → fresh browser context → recipe → final click (at most once)
/// → confirmation → card file deleted → outcome recorded. Safe to run again after a crash: it never creates a second
/// spend request and never clicks again once <c>submitting</c> was recorded.
/// </summary>
public sealed class PurchasePipeline(
    PurchaseStore store,
    ILinkClient link,
    CardVault vault,
    AgentStore agents,
    AccountService accounts,
    BrowserPool browsers,
    MerchantLimiter merchants,
    RecipeRunner runner,
    WorkerNode node,
    IOptions<WorkerOptions> worker,
    IOptions<LinkOptions> linkOptions,
    TimeProvider time,
    ILogger<PurchasePipeline> logger)
{
    /// <summary>The <c>Agent</c> log property of purchases queued locally (the demo, <c>recipe test</c>), not by an agent.</summary>
    public const string LocalAgent = "local";

    public async Task RunAsync(string purchaseId, CancellationToken cancellationToken)
    {
        var purchase = await store.GetAsync(purchaseId, cancellationToken);
        if (purchase is null)
        {
            Log.PurchaseMissing(logger, purchaseId);
            return;
        }
        var start = PurchaseStateMachine.Start(purchase.Status);
        if (start == RunStart.Nothing)
        {
            return;
        }
        // This run takes the purchase: a run elsewhere that still thinks it owns it (a node declared dead while it was
        // only slow) can no longer move it, so it can no longer record `submitting`, so it cannot click.
        var epoch = await store.ClaimRunAsync(purchaseId, node.Id, cancellationToken);
        using var fence = RunFence.Enter(purchaseId, epoch);
        // Properties on every event of this run (not built into strings), so one purchase can be followed end to end in Seq.
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["PurchaseId"] = purchaseId, ["Recipe"] = purchase.Recipe, ["Agent"] = purchase.AgentId ?? LocalAgent,
        });
        var request = purchase.Request;
        var timings = new List<Timing>();
        var outcome = new PurchaseOutcome
        {
            PurchaseId = purchaseId, Status = PurchaseStatus.Failed, Amount = request.Amount, Currency = request.Currency,
            SpendRequestId = purchase.SpendRequestId,
        };

        if (start == RunStart.EndOutcomeUnknown)
        {
            // The final click may have happened before the crash. Clicking again could buy twice: a person decides.
            await EndAsync(outcome with
            {
                Status = PurchaseStatus.OutcomeUnknown,
                Code = FailureCodes.InterruptedWhileSubmitting,
                Message = "the worker stopped after recording the final click and before reading the merchant's answer; check the merchant for an order before retrying",
            }, cancelSpendRequest: false, cancellationToken);
            return;
        }

        if (purchase.Status == PurchaseStatus.Queued)
        {
            timings.Add(new Timing("queue", (long)(time.GetUtcNow() - purchase.CreatedAt).TotalMilliseconds));
        }
        var clock = Stopwatch.StartNew();
        Recipe recipe;
        try
        {
            recipe = RecipeLoader.LoadByName(RecipesDirectory.Resolve(worker.Value.RecipesDirectory), request.Recipe);
        }
        catch (RecipeException ex)
        {
            await EndAsync(outcome with { Code = FailureCodes.RecipeInvalid, Message = ex.Message }, false, cancellationToken);
            return;
        }
        var problems = PurchaseValidator.Validate(request);
        if (problems.Count > 0)
        {
            await EndAsync(outcome with { Code = FailureCodes.InvalidRequest, Message = string.Join("; ", problems) }, false, cancellationToken);
            return;
        }
        var merchantUrl = request.MerchantUrl ?? recipe.MerchantUrl;
        timings.Add(new Timing("validate", clock.ElapsedMilliseconds));

        // A shop without guest checkout: the owner's account there, decrypted now, before Link is asked for anything.
        AccountSecret? account = null;
        string? session = null;
        var accountHost = AccountService.HostOf(merchantUrl);
        if (recipe.UsesAccount)
        {
            (AccountSecret Account, string? Session)? found;
            try
            {
                found = await accounts.OpenAsync(accountHost, cancellationToken);
            }
            catch (AccountKeyException ex)
            {
                await EndAsync(outcome with { Code = FailureCodes.LoginRequired, Message = ex.Message }, true, cancellationToken);
                return;
            }
            if (found is null)
            {
                await EndAsync(outcome with
                {
                    Code = FailureCodes.LoginRequired,
                    Message = $"recipe '{recipe.Name}' signs in at {accountHost} and no account is stored for it; add one with: checkout-agent account add {accountHost} --username USER",
                }, true, cancellationToken);
                return;
            }
            (account, session) = found.Value;
        }

        if (request.Buyer is null || request.Shipping is null)
        {
            // "Use the wallet's": the person's own name, email and default address from Link, read fresh on every run.
            var resolved = await WalletDetailsAsync(request, cancellationToken);
            if (resolved.Error is not null)
            {
                await EndAsync(outcome with { Code = FailureCodes.WalletDetailsUnavailable, Message = resolved.Error }, true, cancellationToken);
                return;
            }
            request = resolved.Request;
        }

        // Spend request: created once per purchase, its id committed before anything waits on it.
        var spendRequestId = purchase.SpendRequestId;
        if (spendRequestId is null)
        {
            if (await agents.IsPausedAsync(cancellationToken))
            {
                // The switch was turned on after this purchase was accepted: it stops before Link is asked.
                await EndAsync(outcome with { Code = FailureCodes.PolicyRefused, Message = "paused: purchasing was paused by the owner before Link was asked" },
                    false, cancellationToken);
                return;
            }
            clock.Restart();
            try
            {
                var created = await SpendRequestCreation.CreateAsync(link, purchaseId, new SpendRequestCreateOptions
                {
                    Amount = request.Amount,
                    Currency = request.Currency,
                    MerchantName = recipe.MerchantName,
                    MerchantUrl = merchantUrl,
                    Context = request.Context,
                    LineItems = request.Items.Select(i => new LineItem(i.Name, i.Quantity, i.UnitAmount, i.ProductUrl)).ToList(),
                    Totals = [new Total("total", "Total", request.Amount)],
                    RequestApproval = true,
                }, time, note => store.AppendAsync(purchaseId, "spend_request_retry", note, cancellationToken), cancellationToken);
                spendRequestId = created.Id;
            }
            catch (LinkException ex)
            {
                await EndAsync(outcome with
                {
                    Code = PurchaseStateMachine.SpendRequestRefused(ex.Code),
                    Message = $"Link refused the spend request ({ex.Code}): {ex.Message}",
                }, false, cancellationToken);
                return;
            }
            outcome = outcome with { SpendRequestId = spendRequestId };
            timings.Add(new Timing("spend_request", clock.ElapsedMilliseconds));
            if (!await store.TransitionAsync(purchaseId, PurchaseStatus.AwaitingApproval, "spend_request",
                $"spend request {spendRequestId} created for {Money.Format(request.Amount, request.Currency)} at {merchantUrl}; waiting for the person to approve in Link",
                cancellationToken, spendRequestId: spendRequestId))
            {
                // Canceled while Link was being asked: the new request must not stay open.
                await CancelAtLinkAsync(spendRequestId, cancellationToken);
                return;
            }
        }
        using var spendScope = logger.BeginScope(new Dictionary<string, object?> { ["SpendRequestId"] = spendRequestId });

        // Approval: keep polling the same spend request; the card arrives only as a 0600 file.
        clock.Restart();
        vault.EnsureDirectory();
        var cardPath = vault.PathFor(purchaseId);
        SpendRequest approved;
        try
        {
            approved = File.Exists(cardPath)
                ? await link.RetrieveSpendRequestAsync(spendRequestId, cancellationToken)
                : await link.WaitForApprovalAsync(spendRequestId, cardPath, linkOptions.Value.ApprovalPollInterval,
                    time.GetUtcNow() + linkOptions.Value.ApprovalTimeout, cancellationToken);
        }
        catch (LinkException ex) when (ex.Code == "POLLING_TIMEOUT")
        {
            await EndAsync(outcome with
            {
                Code = FailureCodes.ApprovalTimeout,
                Message = $"nobody approved spend request {spendRequestId} within {linkOptions.Value.ApprovalTimeout}; it was canceled",
            }, cancelSpendRequest: true, cancellationToken);
            return;
        }
        catch (LinkException ex)
        {
            await EndAsync(outcome with { Code = FailureCodes.LinkError, Message = $"Link error while waiting for approval ({ex.Code}): {WithoutCardPath(ex.Message)}" },
                true, cancellationToken);
            return;
        }
        var approvalCode = PurchaseStateMachine.ApprovalFailure(approved.Status);
        if (approvalCode is not null)
        {
            await EndAsync(outcome with
            {
                Code = approvalCode,
                Message = approved.NextAction is { } action
                    ? $"spend request {spendRequestId} ended {approved.Status.ToWire()} ({action.Type}): {action.DisplayMessage ?? "see the Link app"}"
                    : $"spend request {spendRequestId} ended {approved.Status.ToWire()}",
            }, false, cancellationToken);
            return;
        }
        timings.Add(new Timing("approval", clock.ElapsedMilliseconds));

        CardSecret card;
        try
        {
            card = CardFile.Read(cardPath);
        }
        catch (Exception ex) when (ex is LinkException or IOException or UnauthorizedAccessException)
        {
            await EndAsync(outcome with { Code = FailureCodes.CardUnavailable, Message = $"the approved card could not be read safely: {WithoutCardPath(ex.Message)}" },
                true, cancellationToken);
            return;
        }
        outcome = outcome with { CardBrand = card.Brand, CardLast4 = card.Last4 };
        // At most Worker:PerMerchantConcurrency checkouts per shop: over it, wait here, before a browser context is opened.
        clock.Restart();
        using var merchantSlot = await merchants.AcquireAsync(new Uri(merchantUrl).Host, cancellationToken);
        timings.Add(new Timing("merchant_wait", clock.ElapsedMilliseconds));
        if (card.ValidUntil is { } validUntil && validUntil <= time.GetUtcNow().AddSeconds(30))
        {
            await EndAsync(outcome with { Code = FailureCodes.CardUnavailable, Message = $"the one-time card expired at {validUntil:u} before the checkout could finish" },
                true, cancellationToken);
            return;
        }
        var resumed = purchase.Status == PurchaseStatus.CheckingOut;
        if (!await store.TransitionAsync(purchaseId, PurchaseStatus.CheckingOut, resumed ? "resumed" : "approved",
            resumed
                ? $"checkout restarted in a fresh browser context with the same one-time {card}"
                : $"approved: one-time {card} valid until {card.ValidUntil:u}", cancellationToken))
        {
            vault.Delete(purchaseId);
            return;
        }

        // Checkout in a fresh context: nothing from another purchase is visible to this merchant.
        clock.Restart();
        RecipeRunResult result;
        // A 3-D Secure challenge after the click is waited out with the page open (and this merchant's slot held).
        var authentication = new PurchaseAuthentication(store, link, outcome, spendRequestId);
        try
        {
            var context = await browsers.NewContextAsync(session, cancellationToken);
            timings.Add(new Timing("context", clock.ElapsedMilliseconds));
            if (account is not null)
            {
                // The host only: agents read timelines, and the owner's account (even its masked username) is not theirs.
                await store.AppendAsync(purchaseId, "account", session is null
                    ? $"account at {accountHost}: no kept session, the recipe signs in if the shop asks"
                    : $"account at {accountHost}: the kept session is loaded, the shop may not ask for a sign-in", cancellationToken);
            }
            string? keptSession = null;
            try
            {
                result = await runner.RunAsync(context, new RecipeRun(recipe, merchantUrl, card, approved.Amount, request.Currency,
                        TemplateValues(request, merchantUrl), Path.Combine(worker.Value.DataDirectoryFullPath, "screenshots", purchaseId + ".png"))
                    {
                        Account = account,
                        Authentication = authentication,
                    },
                    async ct =>
                    {
                        if (!await store.TransitionAsync(purchaseId, PurchaseStatus.Submitting, "submitting", "final click", ct))
                        {
                            throw new PurchaseEndedException(purchaseId);
                        }
                    },
                    report =>
                    {
                        Log.StepCompleted(logger, report.Step.Number, report.StepCount, report.Step.Kind, report.Milliseconds);
                        return store.AppendAsync(purchaseId, "step",
                            $"step {report.Step.Number}/{report.StepCount} {report.Step.Describe()}{(report.Note is null ? "" : $": {report.Note}")}",
                            cancellationToken, report.Milliseconds);
                    },
                    cancellationToken);
                if (account is not null && result.Code == OutcomeCodes.Succeeded)
                {
                    // Signed in (or still signed in): the shop's cookies are kept, encrypted, for this account's next purchase.
                    keptSession = await KeepSessionAsync(context);
                }
            }
            finally
            {
                await context.CloseAsync();
                merchantSlot.Dispose();
            }
            if (account is not null && await RememberAccountUseAsync(accountHost, keptSession))
            {
                await store.AppendAsync(purchaseId, "account", $"account at {accountHost}: the shop's session is kept (encrypted) for the next purchase", CancellationToken.None);
            }
        }
        catch (PurchaseEndedException)
        {
            // Canceled while the form was being filled: no final click, and the cancel already ended it.
            vault.Delete(purchaseId);
            return;
        }
        catch (BrowserNotFoundException ex)
        {
            await EndAsync(outcome with { Code = FailureCodes.BrowserUnavailable, Message = ex.Message }, true, cancellationToken);
            return;
        }
        timings.AddRange(result.Timings);

        var end = PurchaseStateMachine.Finished(result.Code, result.Submitted);
        await EndAsync(outcome with
        {
            Status = end.Status,
            Code = end.Code,
            Message = result.Message,
            OrderNumber = result.OrderNumber,
            ChargedTotal = result.ChargedTotal,
            ScreenshotPath = result.ScreenshotPath,
            Page = result.PageState,
            Timings = timings,
            Action = authentication.Action,
        }, end.CancelSpendRequest, cancellationToken);
    }

    /// <summary>
    /// Records an unexpected failure. After <c>submitting</c> the answer is unknown, never "failed": a retry must not
    /// follow a click that may have bought.
    /// </summary>
    public async Task RecordCrashAsync(string purchaseId, Exception exception, CancellationToken cancellationToken)
    {
        var purchase = await store.GetAsync(purchaseId, cancellationToken);
        if (purchase is null || PurchaseStatus.IsTerminal(purchase.Status))
        {
            return;
        }
        var end = PurchaseStateMachine.Crashed(purchase.Status);
        await EndAsync(new PurchaseOutcome
        {
            PurchaseId = purchaseId,
            Status = end.Status,
            Code = end.Code,
            // The type only: an exception's text is not ours to vouch for.
            Message = $"the worker hit an unexpected {exception.GetType().Name}; see the log for the purchase id",
            Amount = purchase.Request.Amount,
            Currency = purchase.Request.Currency,
            SpendRequestId = purchase.SpendRequestId,
        }, end.CancelSpendRequest, cancellationToken);
    }

    /// <summary>The context's storage state, or null when it cannot be read: a lost session never changes a bought order's outcome.</summary>
    private async Task<string?> KeepSessionAsync(Microsoft.Playwright.IBrowserContext context)
    {
        try
        {
            return await context.StorageStateAsync();
        }
        catch (Exception ex) when (ex is Microsoft.Playwright.PlaywrightException or TimeoutException)
        {
            Log.AccountSessionNotKept(logger, ex.GetType().Name);
            return null;
        }
    }

    /// <summary>
    /// Records that the account was used and keeps its session. Runs after the final click may have happened, so a
    /// failure here is logged (type only) and never turns the purchase's real outcome into an unknown one.
    /// </summary>
    private async Task<bool> RememberAccountUseAsync(string host, string? keptSession)
    {
        try
        {
            await accounts.TouchAsync(host, time.GetUtcNow(), CancellationToken.None);
            if (keptSession is null)
            {
                return false;
            }
            await accounts.SaveSessionAsync(host, keptSession, CancellationToken.None);
            return true;
        }
        catch (Exception ex) when (ex is AccountKeyException or System.Data.Common.DbException or InvalidOperationException)
        {
            Log.AccountSessionNotKept(logger, ex.GetType().Name);
            return false;
        }
    }

    private async Task EndAsync(PurchaseOutcome outcome, bool cancelSpendRequest, CancellationToken cancellationToken)
    {
        vault.Delete(outcome.PurchaseId);
        if (await store.IsFencedOffAsync(outcome.PurchaseId, cancellationToken))
        {
            // Another node took this purchase over while this one was stalled: the spend request and the outcome are
            // that run's now. What this run saw is kept in the timeline for whoever reconciles, and nothing else is done.
            Log.RunFencedOff(logger, outcome.PurchaseId, outcome.Status, outcome.Code);
            await store.AppendAsync(outcome.PurchaseId, "superseded_run",
                $"a run on {node.Id} that another node had taken over ended with {outcome.Status}" +
                (outcome.OrderNumber is { } order ? $" (order {order})" : outcome.Code is { } code ? $" ({code})" : "") + "; not recorded as the outcome",
                CancellationToken.None);
            return;
        }
        if (cancelSpendRequest && outcome.SpendRequestId is not null)
        {
            // An unused one-time card is killed, so nothing can spend it later.
            await CancelAtLinkAsync(outcome.SpendRequestId, cancellationToken);
        }
        await ReportToLinkAsync(outcome, cancellationToken);
        var message = outcome.Status == PurchaseStatus.Succeeded
            ? $"order {outcome.OrderNumber ?? "(number not shown)"} confirmed, {Money.Format(outcome.Amount, outcome.Currency)} charged to {outcome.CardBrand} •••• {outcome.CardLast4}"
            : $"{outcome.Code}: {outcome.Message}";
        await store.TransitionAsync(outcome.PurchaseId, outcome.Status, outcome.Status, message, cancellationToken, outcome: outcome);
        Log.PurchaseEnded(logger, outcome.PurchaseId, outcome.Status, outcome.Code);
    }

    private async Task CancelAtLinkAsync(string spendRequestId, CancellationToken cancellationToken)
    {
        try
        {
            await link.CancelSpendRequestAsync(spendRequestId, cancellationToken);
        }
        catch (LinkException ex)
        {
            Log.CancelFailed(logger, spendRequestId, ex.Code);
        }
    }

    private async Task<(PurchaseRequest Request, string? Error)> WalletDetailsAsync(PurchaseRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var buyer = request.Buyer;
            if (buyer is null)
            {
                var user = await link.GetUserInfoAsync(cancellationToken);
                var name = user.Name ?? string.Join(' ', new[] { user.FirstName, user.LastName }.OfType<string>());
                if (string.IsNullOrWhiteSpace(user.Email) || string.IsNullOrWhiteSpace(name))
                {
                    return (request, "the Link wallet has no name and email to buy with; send buyer details in the purchase instead");
                }
                buyer = new Buyer(user.Email, name, user.Phone);
            }
            var shipping = request.Shipping;
            if (shipping is null)
            {
                var addresses = await link.ListShippingAddressesAsync(cancellationToken);
                var chosen = addresses.FirstOrDefault(a => a.IsDefault) ?? (addresses.Count > 0 ? addresses[0] : null);
                if (chosen is null)
                {
                    return (request, "the Link wallet has no saved shipping address; send a shipping address in the purchase instead");
                }
                var a = chosen.Address;
                shipping = new ShippingAddress(a.Name ?? buyer.Name, a.Line1 ?? "", a.Line2, a.Locality ?? "", a.AdministrativeArea, a.PostalCode ?? "", a.CountryCode ?? "");
            }
            return (request with { Buyer = buyer, Shipping = shipping }, null);
        }
        catch (LinkException ex)
        {
            return (request, $"could not read the Link wallet's details ({ex.Code}): {ex.Message}");
        }
    }

    /// <summary>
    /// Tells Link how the checkout went at the merchant (<c>link-cli report</c>), once a card was in hand: success, or
    /// what blocked it (captcha, 3-D Secure, decline, ...), or why the worker gave up. Best effort: the purchase's
    /// outcome stands whatever Link answers, and the timeline says whether the report went through.
    /// </summary>
    private async Task ReportToLinkAsync(PurchaseOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome.SpendRequestId is null || outcome.CardLast4 is null || ObservationFor(outcome) is not { } observation)
        {
            return;
        }
        var purchase = await store.GetAsync(outcome.PurchaseId, cancellationToken);
        if (purchase is null || !Uri.TryCreate(purchase.Request.MerchantUrl, UriKind.Absolute, out var merchant))
        {
            return;
        }
        var report = new AgentObservation
        {
            Domain = merchant.Host,
            Outcome = observation.Outcome,
            SpendRequestId = outcome.SpendRequestId,
            Tags = observation.Tags,
            Step = "checkout",
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var tags = report.Tags.Count == 0 ? "" : $" ({string.Join(", ", report.Tags)})";
        try
        {
            await link.ReportAsync(report, timeout.Token);
            await store.AppendAsync(outcome.PurchaseId, "reported", $"reported to Link: {report.Outcome}{tags}", cancellationToken);
        }
        catch (Exception ex) when (ex is LinkException or NotSupportedException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var code = ex is LinkException linkError ? linkError.Code : ex.GetType().Name;
            await store.AppendAsync(outcome.PurchaseId, "report_failed", $"could not report {report.Outcome}{tags} to Link ({code})", cancellationToken);
        }
    }

    private static (string Outcome, IReadOnlyList<string> Tags)? ObservationFor(PurchaseOutcome outcome) => outcome.Status switch
    {
        PurchaseStatus.Succeeded => (ObservationOutcomes.Success, []),
        // After the final click nobody knows what happened: a person reconciles first.
        PurchaseStatus.OutcomeUnknown => null,
        _ => outcome.Code switch
        {
            OutcomeCodes.CardDeclined => (ObservationOutcomes.Blocked, [ObservationTags.PaymentDeclined]),
            OutcomeCodes.CaptchaRequired => (ObservationOutcomes.Blocked, [ObservationTags.Captcha]),
            OutcomeCodes.ThreeDsRequired => (ObservationOutcomes.Blocked, [ObservationTags.ThreeDsChallenge]),
            FailureCodes.AuthenticationFailed => (ObservationOutcomes.Blocked, [ObservationTags.ThreeDsChallenge]),
            FailureCodes.AuthenticationTimeout => (ObservationOutcomes.Abandoned, [ObservationTags.ThreeDsChallenge, ObservationTags.Timeout]),
            OutcomeCodes.LoginRequired => (ObservationOutcomes.Blocked, [ObservationTags.LoginRequired]),
            FailureCodes.OriginViolation => (ObservationOutcomes.Blocked, [FailureCodes.OriginViolation]),
            OutcomeCodes.OutOfStock => (ObservationOutcomes.Abandoned, [ObservationTags.OutOfStock]),
            OutcomeCodes.TotalMismatch => (ObservationOutcomes.Abandoned, [ObservationTags.TotalMismatch]),
            null => null,
            var other => (ObservationOutcomes.Abandoned, [other]),
        },
    };

    /// <summary>Card file errors name the file; where the card lives is nobody's business outside the worker.</summary>
    private string WithoutCardPath(string message) => message.Replace(vault.Directory, "<card folder>", StringComparison.Ordinal);

    internal static Dictionary<string, string> TemplateValues(PurchaseRequest request, string merchantUrl)
    {
        var first = request.Items[0];
        var buyer = request.Buyer ?? throw new ArgumentException("the buyer must be resolved before the checkout", nameof(request));
        var shipping = request.Shipping ?? throw new ArgumentException("the shipping address must be resolved before the checkout", nameof(request));
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["buyer.email"] = buyer.Email,
            ["buyer.name"] = buyer.Name,
            ["buyer.phone"] = buyer.Phone ?? "",
            ["shipping.name"] = shipping.Name,
            ["shipping.line1"] = shipping.Line1,
            ["shipping.line2"] = shipping.Line2 ?? "",
            ["shipping.city"] = shipping.City,
            ["shipping.state"] = shipping.State ?? "",
            ["shipping.postal_code"] = shipping.PostalCode,
            ["shipping.country"] = shipping.Country,
            ["job.amount"] = Money.Format(request.Amount, request.Currency),
            ["job.currency"] = request.Currency,
            ["job.merchant_url"] = merchantUrl,
            ["job.product_url"] = first.ProductUrl ?? merchantUrl,
            ["job.quantity"] = first.Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["job.item_name"] = first.Name,
            ["job.item_count"] = request.Items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["job.line_items"] = string.Join("; ", request.Items.Select(i => $"{i.Quantity} x {i.Name}")),
            ["job.product_urls"] = string.Join(" ", request.Items.Select(i => i.ProductUrl).OfType<string>()),
        };
    }
}

/// <summary>The purchase ended (canceled) while the checkout ran: the final click must not happen.</summary>
public sealed class PurchaseEndedException(string purchaseId) : Exception($"purchase {purchaseId} ended while its checkout was running");
