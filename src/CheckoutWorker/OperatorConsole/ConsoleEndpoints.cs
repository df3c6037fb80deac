using System.Globalization;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.RecipeHealth;
using CheckoutAgent.Worker.Recipes;
using CheckoutAgent.Worker.Schedules;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.OperatorConsole;

/// <summary>
/// The operator console at <c>/console</c>: server-rendered pages (no front-end build, nothing loaded from elsewhere)
/// over the same services as the API. Every value on a page goes through <see cref="Html"/>, so it is encoded; every
/// form post checks its anti-forgery token first; every page is sent with a strict content security policy and
/// <c>Cache-Control: no-store</c>.
/// </summary>
internal static class ConsoleEndpoints
{
    private const int PageSize = 50;

    private static readonly string[] Statuses =
    [
        PurchaseStatus.Queued, PurchaseStatus.AwaitingApproval, PurchaseStatus.CheckingOut, PurchaseStatus.Submitting,
        PurchaseStatus.AwaitingAuthentication, PurchaseStatus.Succeeded, PurchaseStatus.Failed, PurchaseStatus.OutcomeUnknown,
    ];

    /// <summary>The security headers of every console response (pages, fragments, images, assets, redirects).</summary>
    public static IApplicationBuilder UseConsoleHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments("/console"))
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            headers.Pragma = "no-cache";
        }
        await next(context);
    });

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup("/console").AllowAnonymous().ExcludeFromDescription();
        open.MapGet("/assets/console.css", () => Results.Text(ConsoleLayout.Css, "text/css; charset=utf-8"));
        open.MapGet("/assets/console.js", () => Results.Text(ConsoleLayout.Script, "text/javascript; charset=utf-8"));
        open.MapGet("/sign-in", (HttpContext http) => SignInPage(http, null, 200));
        open.MapPost("/sign-in", (Delegate)SignInAsync);

        var console = app.MapGroup("/console").RequireAuthorization(policy => policy.AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser())
            .ExcludeFromDescription();
        console.MapGet("", () => Results.Redirect("/console/purchases"));
        console.MapGet("/", () => Results.Redirect("/console/purchases"));
        console.MapPost("/sign-out", (Delegate)SignOutAsync);
        console.MapGet("/purchases", PurchasesAsync);
        console.MapGet("/purchases/rows", PurchaseRowsAsync);
        console.MapGet("/purchases/{id}", PurchaseAsync);
        console.MapGet("/purchases/{id}/screenshot", ScreenshotAsync);
        console.MapPost("/purchases/{id}/cancel", CancelAsync);
        console.MapPost("/purchases/{id}/reconcile", ReconcileAsync);
        console.MapGet("/attention", AttentionAsync);
        console.MapGet("/agents", AgentsAsync);
        console.MapPost("/agents/{name}/revoke", RevokeAsync);
        console.MapGet("/schedules", SchedulesAsync);
        console.MapPost("/schedules/{id}/pause", (string id, HttpContext http, CancellationToken ct) => SchedulePauseAsync(id, true, http, ct));
        console.MapPost("/schedules/{id}/resume", (string id, HttpContext http, CancellationToken ct) => SchedulePauseAsync(id, false, http, ct));
        console.MapGet("/recipes", RecipesAsync);
        console.MapPost("/recipes/{name}/check", CheckRecipeAsync);
        console.MapGet("/recipes/{name}/checks/{checkId}/screenshot", async (string name, string checkId, RecipeHealthService health, CancellationToken ct) =>
            await health.ScreenshotAsync(name, checkId, ct) is { } file ? Results.File(file, "image/png") : Results.NotFound());
        console.MapPost("/pause", (HttpContext http, CancellationToken ct) => PauseAsync(true, http, ct));
        console.MapPost("/resume", (HttpContext http, CancellationToken ct) => PauseAsync(false, http, ct));
        return app;
    }

    private static ILogger Logger(HttpContext http) => http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CheckoutAgent.Worker.OperatorConsole");

    private static ConsoleOptions Options(HttpContext http) => http.RequestServices.GetRequiredService<IOptions<ConsoleOptions>>().Value;

    private static async Task<ConsoleFrame> FrameAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var agents = http.RequestServices.GetRequiredService<AgentStore>();
        var purchases = http.RequestServices.GetRequiredService<PurchaseStore>();
        var unknown = (await purchases.ListByStatusAsync(PurchaseStatus.OutcomeUnknown, cancellationToken)).Count;
        var broken = (await http.RequestServices.GetRequiredService<RecipeHealthService>().BrokenAsync(cancellationToken)).Count;
        return new ConsoleFrame(http, ConsoleAuth.AntiforgeryField(http), await agents.IsPausedAsync(cancellationToken), unknown + broken);
    }

    private static IResult Forged(HttpContext http) => ConsoleLayout.Document("Refused", Html.Of($"""
        <main class="signin card">
        <h1>Form refused</h1>
        <p class="error" role="alert">This form post did not carry a valid anti-forgery token, so it was refused and nothing changed.
        Go back, reload the page and try again.</p>
        <p><a href="/console/purchases">Back to the console</a></p>
        </main>
        """), 400);

    private static async Task<IResult> Problem(HttpContext http, string title, string message, string back, int status, CancellationToken cancellationToken) =>
        ConsoleLayout.Page(await FrameAsync(http, cancellationToken), title,
            Html.Of($"<p class=\"error\" role=\"alert\">{message}</p><p><a href=\"{back}\">Back</a></p>"), status);

    // ---- sign-in ----

    private static IResult SignInPage(HttpContext http, string? error, int status) => ConsoleLayout.Document("Sign in", Html.Of($"""
        <main class="signin card">
        <h1>CheckoutAgent console</h1>
        <p class="muted">Sign in with an agent token that has the <code>admin</code> scope
        (<code>checkout-agent agent add NAME --scopes admin</code> prints one). The token is checked once and never stored in your browser.</p>
        {(error is null ? Html.Empty : Html.Of($"<p class=\"error\" role=\"alert\" id=\"sign-in-error\">{error}</p>"))}
        <form method="post" action="/console/sign-in" class="stack" autocomplete="off">
        {ConsoleAuth.AntiforgeryField(http)}
        <label>Admin token <input type="password" name="token" id="token" required autocomplete="off" spellcheck="false"></label>
        <button type="submit" id="sign-in">Sign in</button>
        </form>
        </main>
        """), status);

    private static async Task<IResult> SignInAsync(HttpContext http)
    {
        var logger = Logger(http);
        if (await ConsoleAuth.ReadFormAsync(http, logger) is not { } form)
        {
            return Forged(http);
        }
        var error = await ConsoleAuth.SignInAsync(http, form["token"].ToString(), Options(http), logger);
        if (error is not null)
        {
            // A fresh anti-forgery token for the anonymous form again (the refused attempt left none signed in).
            return SignInPage(http, error, error.StartsWith("The agent", StringComparison.Ordinal) ? 403 : 401);
        }
        return Results.Redirect("/console/purchases", permanent: false, preserveMethod: false);
    }

    private static async Task<IResult> SignOutAsync(HttpContext http)
    {
        var logger = Logger(http);
        if (await ConsoleAuth.ReadFormAsync(http, logger) is null)
        {
            return Forged(http);
        }
        Log.ConsoleSignedOut(logger, http.Operator().Name);
        await http.SignOutAsync(ConsoleAuth.Scheme);
        return Results.Redirect("/console/sign-in");
    }

    // ---- purchases ----

    private sealed record Filters(string? Status, string? Agent, string? Recipe, string? From, string? To, string? StartingAfter)
    {
        public string Query(bool withCursor = true)
        {
            var parts = new List<string>();
            void Add(string name, string? value)
            {
                if (!string.IsNullOrEmpty(value))
                {
                    parts.Add($"{name}={Uri.EscapeDataString(value)}");
                }
            }
            Add("status", Status);
            Add("agent", Agent);
            Add("recipe", Recipe);
            Add("from", From);
            Add("to", To);
            if (withCursor)
            {
                Add("starting_after", StartingAfter);
            }
            return string.Join('&', parts);
        }
    }

    private static Filters ReadFilters(HttpContext http)
    {
        string? Text(string name) => http.Request.Query[name].ToString() is { Length: > 0 and <= 200 } text && !text.Any(char.IsControl) ? text : null;
        return new Filters(Text("status"), Text("agent"), Text("recipe"), Text("from"), Text("to"), Text("starting_after"));
    }

    /// <summary>The list query for the filters, or the problems with them (each naming the filter and what it takes).</summary>
    private static (PurchaseQuery? Query, List<string> Problems) Query(Filters filters, IReadOnlyList<Agent> agents)
    {
        var problems = new List<string>();
        if (filters.Status is { } status && !Statuses.Contains(status, StringComparer.Ordinal))
        {
            problems.Add($"status must be one of {string.Join(", ", Statuses)}");
        }
        string? agentId = null;
        if (filters.Agent is { } name)
        {
            agentId = agents.FirstOrDefault(a => a.Name == name || a.Id == name)?.Id;
            if (agentId is null)
            {
                problems.Add($"no agent named '{name}'");
            }
        }
        DateTimeOffset? Day(string? text, string label)
        {
            if (text is null)
            {
                return null;
            }
            if (DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var day))
            {
                return day;
            }
            problems.Add($"{label} must be a date such as 2026-11-21");
            return null;
        }
        var from = Day(filters.From, "from");
        var to = Day(filters.To, "to");
        return problems.Count > 0 ? (null, problems) : (new PurchaseQuery
        {
            AgentId = agentId, Status = filters.Status, Recipe = filters.Recipe, CreatedAfter = from, CreatedBefore = to?.AddDays(1),
            Limit = PageSize, StartingAfter = filters.StartingAfter,
        }, problems);
    }

    private static async Task<IResult> PurchasesAsync(HttpContext http, PurchaseStore store, AgentStore agentStore, RecipeCatalog recipes, CancellationToken cancellationToken)
    {
        var frame = await FrameAsync(http, cancellationToken);
        var filters = ReadFilters(http);
        var agents = await agentStore.ListAsync(cancellationToken);
        var (query, problems) = Query(filters, agents);
        Html Choices(IEnumerable<string> values, string? selected) => Html.Join(values.Select(v => v == selected
            ? Html.Of($"<option value=\"{v}\" selected>{v}</option>")
            : Html.Of($"<option value=\"{v}\">{v}</option>")));
        var form = Html.Of($"""
            <form method="get" action="/console/purchases" class="filters" id="filters">
            <label>Status <select name="status" id="filter-status"><option value="">any</option>{Choices(Statuses, filters.Status)}</select></label>
            <label>Agent <select name="agent" id="filter-agent"><option value="">any</option>{Choices(agents.Select(a => a.Name), filters.Agent)}</select></label>
            <label>Recipe <select name="recipe" id="filter-recipe"><option value="">any</option>{Choices(recipes.List().Select(r => r.Name), filters.Recipe)}</select></label>
            <label>From <input type="date" name="from" value="{filters.From ?? ""}"></label>
            <label>To <input type="date" name="to" value="{filters.To ?? ""}"></label>
            <button type="submit" class="secondary">Filter</button> <a href="/console/purchases">clear</a>
            </form>
            """);
        if (query is null)
        {
            return ConsoleLayout.Page(frame, "Purchases", Html.Of($"{form}<p class=\"error\" role=\"alert\">{string.Join("; ", problems)}</p>"), 400);
        }
        var (rows, more) = await RowsAsync(store, query, agents, cancellationToken);
        // Only the first page follows new purchases live; an older page stays as it was.
        var live = filters.StartingAfter is null
            ? Html.Of($" data-live=\"/console/purchases/rows?{filters.Query()}\" data-every=\"{Options(http).RefreshSeconds}\"")
            : Html.Empty;
        var older = more is { } last
            ? Html.Of($"<p><a href=\"/console/purchases?{new Filters(filters.Status, filters.Agent, filters.Recipe, filters.From, filters.To, last).Query()}\">Older purchases</a></p>")
            : Html.Empty;
        return ConsoleLayout.Page(frame, "Purchases", Html.Of($"""
            {form}
            <div class="scroll"><table id="purchases">
            <thead><tr><th>Created</th><th>Purchase</th><th>Status</th><th>Amount</th><th class="wide">Recipe</th><th class="wide">Agent</th><th class="wide">Outcome</th></tr></thead>
            <tbody{live}>{rows}</tbody>
            </table></div>
            {older}
            <p class="muted">Newest first, {PageSize} a page; the first page updates itself every {Options(http).RefreshSeconds} s.</p>
            """));
    }

    private static async Task<IResult> PurchaseRowsAsync(HttpContext http, PurchaseStore store, AgentStore agentStore, CancellationToken cancellationToken)
    {
        var agents = await agentStore.ListAsync(cancellationToken);
        var (query, _) = Query(ReadFilters(http), agents);
        if (query is null)
        {
            return Results.StatusCode(400);
        }
        return ConsoleLayout.Fragment((await RowsAsync(store, query, agents, cancellationToken)).Rows);
    }

    private static async Task<(Html Rows, string? More)> RowsAsync(PurchaseStore store, PurchaseQuery query, IReadOnlyList<Agent> agents, CancellationToken cancellationToken)
    {
        var (page, hasMore) = await store.ListAsync(query, cancellationToken);
        var names = agents.ToDictionary(a => a.Id, a => a.Name, StringComparer.Ordinal);
        if (page.Count == 0)
        {
            return (Html.Of($"<tr><td colspan=\"7\" class=\"muted\">No purchases match.</td></tr>"), null);
        }
        var rows = Html.Join(page.Select(p => Html.Of($"""
            <tr data-id="{p.Id}"><td class="nowrap">{ConsoleLayout.When(p.CreatedAt)}</td><td><a href="/console/purchases/{p.Id}">{p.Id}</a></td><td>{ConsoleLayout.Status(p.Status)}</td>
            <td>{Money.Format(p.Request.Amount, p.Request.Currency)}</td><td class="wide">{p.Recipe}</td>
            <td class="wide">{(p.AgentId is { } agent && names.TryGetValue(agent, out var name) ? name : p.AgentId ?? "local")}</td>
            <td class="wide">{OutcomeSummary(p.Outcome)}</td></tr>
            """)));
        return (rows, hasMore ? page[^1].Id : null);
    }

    private static string OutcomeSummary(PurchaseOutcome? outcome) => outcome switch
    {
        null => "",
        { OrderNumber: { } order } => $"order {order}",
        { Code: { } code } => code,
        _ => "",
    };

    private static async Task<IResult> PurchaseAsync(string id, HttpContext http, PurchaseStore store, AgentStore agentStore, IServiceProvider services,
        CancellationToken cancellationToken)
    {
        var frame = await FrameAsync(http, cancellationToken);
        if (await store.GetAsync(id, cancellationToken) is not { } purchase)
        {
            return await Problem(http, "Not found", $"There is no purchase '{InputEcho.Quote(id)}'.", "/console/purchases", 404, cancellationToken);
        }
        var timeline = await store.GetTimelineAsync(id, cancellationToken);
        var agent = purchase.AgentId is { } agentId ? await agentStore.GetAsync(agentId, cancellationToken) : null;
        var webhooks = await new WebhookOutbox(services.GetRequiredService<IConnectionFactory>(), services.GetRequiredService<SqlDialect>())
            .ListAsync(id, cancellationToken);
        var outcome = purchase.Outcome;
        Html Row(string label, object? value) => value is null or "" ? Html.Empty : Html.Of($"<dt>{label}</dt><dd>{value}</dd>");
        var card = outcome is { CardBrand: { } brand, CardLast4: { } last4 } ? $"{brand} •••• {last4}" : null;
        var reconciliation = outcome?.Reconciliation is { } r
            ? $"{(r.Decision == ReconcileDecisions.OrderExists ? $"order {r.OrderNumber} exists" : "no order")}: decided by {r.By} at {ConsoleLayout.When(r.At)}" +
              (r.PreviousCode is null ? "" : $" (was {r.PreviousCode})")
            : null;
        var summary = Html.Of($"""
            <div class="card"><dl id="summary">
            <dt>Status</dt><dd id="status">{ConsoleLayout.Status(purchase.Status)}</dd>
            {Row("Amount", Money.Format(purchase.Request.Amount, purchase.Request.Currency))}
            {Row("Charged", outcome?.ChargedTotal)}
            {Row("Merchant", purchase.Request.MerchantUrl)}
            {Row("Recipe", purchase.Recipe)}
            {Row("Agent", agent is null ? purchase.AgentId ?? "local (demo or recipe test)" : $"{agent.Name} ({agent.Id})")}
            {Row("Schedule", purchase.ScheduleId)}
            {Row("Created", ConsoleLayout.When(purchase.CreatedAt))}
            {Row("Updated", purchase.UpdatedAt == default ? null : ConsoleLayout.When(purchase.UpdatedAt))}
            {Row("Link spend request", purchase.SpendRequestId)}
            {Row("Outcome code", outcome?.Code)}
            {Row("Order number", outcome?.OrderNumber)}
            {Row("Card", card)}
            {Row("Message", outcome?.Message)}
            {Row("Page", outcome?.Page)}
            {Row("Reconciled", reconciliation)}
            </dl></div>
            """);
        var actions = Html.Empty;
        if (purchase.Status == PurchaseStatus.OutcomeUnknown)
        {
            actions = Html.Of($"<h2>Reconcile</h2>{ReconcileForms(frame, purchase)}");
        }
        else if (PurchaseStateMachine.Cancel(purchase.Status) == CancelDisposition.Canceled)
        {
            actions = Html.Of($"""
                <h2>Cancel</h2>
                <form method="post" action="/console/purchases/{purchase.Id}/cancel" class="inline" data-confirm="Cancel this purchase? Its spend request is canceled at Link.">
                {frame.Csrf}<button type="submit" class="danger" id="cancel">Cancel purchase</button>
                <span class="muted">Possible until the final click; its spend request is canceled at Link.</span></form>
                """);
        }
        var items = Html.Join(purchase.Request.Items.Select(i => Html.Of(
            $"<tr><td>{i.Name}</td><td>{i.Quantity}</td><td>{Money.Format(i.UnitAmount, purchase.Request.Currency)}</td></tr>")));
        var events = Html.Join(timeline.Select(e => Html.Of(
            $"<tr><td>{ConsoleLayout.When(e.At)}</td><td>{e.Kind}</td><td>{e.Message}</td><td class=\"wide nowrap\">{(e.DurationMs is { } ms ? $"{ms} ms" : "")}</td></tr>")));
        var deliveries = webhooks.Count == 0
            ? Html.Of($"<p class=\"muted\">{(purchase.Request.CallbackUrl is null ? "No callback_url: no webhooks for this purchase." : "None yet.")}</p>")
            : Html.Of($"""
                <div class="scroll"><table id="webhooks"><thead><tr><th>Event</th><th>Type</th><th>State</th><th>Attempts</th></tr></thead><tbody>
                {Html.Join(webhooks.Select(w => Html.Of($"<tr><td><code>{w.Id}</code></td><td>{w.EventType}</td><td>{w.State}</td><td>{w.Attempts}</td></tr>")))}
                </tbody></table></div>
                """);
        var receipt = outcome?.ScreenshotPath is not null && ScreenshotFile(http, purchase) is not null
            ? Html.Of($"<h2>Receipt</h2><p class=\"muted\">What the page showed at the end, card and account fields blacked out.</p><img class=\"receipt\" id=\"receipt\" src=\"/console/purchases/{purchase.Id}/screenshot\" alt=\"Masked screenshot of the merchant's page\">")
            : Html.Empty;
        return ConsoleLayout.Page(frame, $"Purchase {purchase.Id}", Html.Of($"""
            {summary}
            {actions}
            <h2>Items</h2>
            <div class="scroll"><table><thead><tr><th>Item</th><th>Qty</th><th>Unit</th></tr></thead><tbody>{items}</tbody></table></div>
            {receipt}
            <h2>Timeline</h2>
            <div class="scroll"><table id="timeline"><thead><tr><th>At</th><th>What</th><th>Message</th><th class="wide">Took</th></tr></thead><tbody>{events}</tbody></table></div>
            <h2>Webhooks</h2>
            {deliveries}
            """));
    }

    /// <summary>The two reconcile forms of an <c>outcome_unknown</c> purchase.</summary>
    private static Html ReconcileForms(ConsoleFrame frame, PurchaseRecord purchase) => Html.Of($"""
        <div class="card reconcile" data-id="{purchase.Id}">
        <p>The final click happened but the merchant's answer never came{(purchase.Outcome?.Code is { } code ? $" ({code})" : "")}.
        Check the merchant's order list or the card's transactions, then record what you found. It ends the purchase, sends its webhook and tells Link.</p>
        <form method="post" action="/console/purchases/{purchase.Id}/reconcile" class="inline">
        {frame.Csrf}<input type="hidden" name="decision" value="order_exists">
        <label>Order number <input name="order_number" required maxlength="{PurchaseReconcile.MaxOrderNumberLength}" autocomplete="off"></label>
        <button type="submit" name="action" value="order_exists">An order exists</button>
        </form>
        <form method="post" action="/console/purchases/{purchase.Id}/reconcile" class="inline" data-confirm="Record that the merchant has no order? The purchase ends failed and its card is canceled at Link.">
        {frame.Csrf}<input type="hidden" name="decision" value="no_order">
        <button type="submit" class="danger" name="action" value="no_order">No order</button>
        </form>
        </div>
        """);

    private static string? ScreenshotFile(HttpContext http, PurchaseRecord purchase)
    {
        if (purchase.Outcome?.ScreenshotPath is not { } path)
        {
            return null;
        }
        // Only a PNG in this worker's screenshots folder: the stored path is ours, but the file is served only from there.
        var folder = Path.Combine(http.RequestServices.GetRequiredService<IOptions<Configuration.WorkerOptions>>().Value.DataDirectoryFullPath, "screenshots") + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(path);
        return full.StartsWith(folder, StringComparison.Ordinal) && full.EndsWith(".png", StringComparison.OrdinalIgnoreCase) && File.Exists(full) ? full : null;
    }

    private static async Task<IResult> ScreenshotAsync(string id, HttpContext http, PurchaseStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } purchase && ScreenshotFile(http, purchase) is { } file
            ? Results.File(file, "image/png")
            : Results.NotFound();

    private static async Task<IResult> CancelAsync(string id, HttpContext http, PurchaseService purchases, CancellationToken cancellationToken)
    {
        var logger = Logger(http);
        if (await ConsoleAuth.ReadFormAsync(http, logger) is null)
        {
            return Forged(http);
        }
        var result = await purchases.CancelAsync(id, null, cancellationToken);
        var back = $"/console/purchases/{Uri.EscapeDataString(id)}";
        switch (result.Disposition)
        {
            case CancelDisposition.NotFound:
                return await Problem(http, "Not found", $"There is no purchase '{InputEcho.Quote(id)}'.", "/console/purchases", 404, cancellationToken);
            case CancelDisposition.Submitting:
                return await Problem(http, "Too late to cancel", "The final click is under way; wait for its outcome.", back, 409, cancellationToken);
            case CancelDisposition.AlreadyEnded:
                return await Problem(http, "Already ended", $"It already ended {result.Purchase!.Status}; there is nothing to cancel.", back, 409, cancellationToken);
        }
        Log.ConsoleAction(logger, http.Actor(), $"canceled purchase {id}");
        return Results.Redirect($"{back}?notice=canceled");
    }

    private static async Task<IResult> ReconcileAsync(string id, HttpContext http, PurchaseReconciler reconciler, CancellationToken cancellationToken)
    {
        if (await ConsoleAuth.ReadFormAsync(http, Logger(http)) is not { } form)
        {
            return Forged(http);
        }
        var decision = form["decision"].ToString();
        var orderNumber = decision == ReconcileDecisions.OrderExists ? form["order_number"].ToString() : null;
        var back = $"/console/purchases/{Uri.EscapeDataString(id)}";
        if (PurchaseReconcile.Validate(decision, orderNumber) is { } problem)
        {
            return await Problem(http, "Not reconciled", problem, back, 422, cancellationToken);
        }
        var result = await reconciler.ReconcileAsync(id, decision, orderNumber, http.Actor(), cancellationToken);
        return result.Disposition switch
        {
            ReconcileDisposition.Reconciled => Results.Redirect($"{back}?notice=reconciled"),
            ReconcileDisposition.AlreadyReconciled => Results.Redirect($"{back}?notice=already-reconciled"),
            ReconcileDisposition.NotFound => await Problem(http, "Not found", $"There is no purchase '{InputEcho.Quote(id)}'.", "/console/attention", 404, cancellationToken),
            ReconcileDisposition.ConflictingDecision => await Problem(http, "Already reconciled",
                $"It was already reconciled as {result.Purchase!.Outcome!.Reconciliation!.Decision} by {result.Purchase.Outcome.Reconciliation.By}; a reconcile is final.", back, 409, cancellationToken),
            ReconcileDisposition.Running => await Problem(http, "Still running", "A run of this purchase is still working on it; wait for it to end.", back, 409, cancellationToken),
            _ => await Problem(http, "Nothing to reconcile", $"It ended {result.Purchase!.Status} by itself, not outcome_unknown.", back, 409, cancellationToken),
        };
    }

    // ---- needs attention ----

    private static async Task<IResult> AttentionAsync(HttpContext http, PurchaseStore store, AgentStore agentStore, RecipeHealthService health,
        CancellationToken cancellationToken)
    {
        var broken = await health.BrokenAsync(cancellationToken);
        var recipes = broken.Count == 0
            ? Html.Of($"<p class=\"muted\" id=\"broken-recipes\">No recipe's latest health check failed.</p>")
            : Html.Of($"""
                <div class="scroll"><table id="broken-recipes"><thead><tr><th>Recipe</th><th>Checked (UTC)</th><th>What failed</th></tr></thead><tbody>
                {Html.Join(broken.Select(b => Html.Of($"<tr data-recipe=\"{b.Name}\"><td><a href=\"/console/recipes#recipe-{b.Name}\">{b.Name}</a> <span class=\"badge broken\">broken</span></td><td>{(b.LastCheck is { } c ? ConsoleLayout.When(c.CheckedAt) : "")}</td><td>{HealthProblem(b.LastCheck)}</td></tr>")))}
                </tbody></table></div>
                """);
        var frame = await FrameAsync(http, cancellationToken);
        var unknown = (await store.ListByStatusAsync(PurchaseStatus.OutcomeUnknown, cancellationToken)).OrderByDescending(p => p.CreatedAt).ToList();
        var names = (await agentStore.ListAsync(cancellationToken)).ToDictionary(a => a.Id, a => a.Name, StringComparer.Ordinal);
        var purchases = unknown.Count == 0
            ? Html.Of($"<p class=\"muted\" id=\"nothing-unknown\">No purchase waits for reconciling.</p>")
            : Html.Join(unknown.Select(p => Html.Of($"""
                <h3><a href="/console/purchases/{p.Id}">{p.Id}</a> · {Money.Format(p.Request.Amount, p.Request.Currency)} at {p.Request.MerchantUrl ?? p.Recipe}
                · {(p.AgentId is { } a && names.TryGetValue(a, out var n) ? n : "local")} · {ConsoleLayout.When(p.CreatedAt)}</h3>
                {ReconcileForms(frame, p)}
                """)));
        return ConsoleLayout.Page(frame, "Needs attention", Html.Of($"""
            <h2>Outcome unknown ({unknown.Count})</h2>
            <p class="muted">These purchases had their final click but the merchant's answer never came. Nothing retries them: a person decides.</p>
            {purchases}
            <h2>Broken recipes ({broken.Count})</h2>
            <p class="muted">A recipe whose latest health check failed: the merchant's checkout probably changed. Purchases with it are likely to fail until the recipe is fixed.</p>
            {recipes}
            """));
    }

    // ---- agents ----

    private static async Task<IResult> AgentsAsync(HttpContext http, AgentStore agentStore, PurchaseStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var frame = await FrameAsync(http, cancellationToken);
        var agents = await agentStore.ListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var rows = new List<Html>();
        foreach (var agent in agents.OrderBy(a => a.RevokedAt is not null).ThenBy(a => a.Name, StringComparer.Ordinal))
        {
            var spent = await store.Queries.SpentAsync(agent.Id, now, cancellationToken);
            var policy = agent.Policy;
            string Limit(long? cents) => cents is { } c ? Money.Format(c, "usd") : "none";
            var limits = $"per purchase {Limit(policy.MaxPerPurchase)}; day {Limit(policy.DailyBudget)}; month {Limit(policy.MonthlyBudget)}; " +
                $"merchants {(policy.Merchants is { } m ? string.Join(", ", m) : "any")}; {policy.MaxRequestsPerSecond?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"} req/s; " +
                $"{policy.MaxPurchasesPerHour?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"} purchases/h";
            var used = spent.Count == 0 ? "nothing" : string.Join("; ", spent.Select(s => $"today {Money.Format(s.Today, s.Currency)}, month {Money.Format(s.Month, s.Currency)}"));
            var action = agent.RevokedAt is { } revoked
                ? Html.Of($"<span class=\"badge revoked\">revoked {ConsoleLayout.When(revoked)}</span>")
                : Html.Of($"""
                    <form method="post" action="/console/agents/{agent.Name}/revoke" class="inline" data-confirm="Revoke {agent.Name}? Every token of it stops working at once.">
                    {frame.Csrf}<button type="submit" class="danger">Revoke</button></form>
                    """);
            rows.Add(Html.Of($"""
                <tr data-agent="{agent.Name}"><td><strong>{agent.Name}</strong><br><code class="muted">{agent.Id}</code></td><td>{string.Join(", ", agent.Scopes)}</td>
                <td class="wide">{limits}</td><td>{used}</td><td>{action}</td></tr>
                """));
        }
        return ConsoleLayout.Page(frame, "Agents", Html.Of($"""
            <div class="scroll"><table id="agents"><thead><tr><th>Agent</th><th>Scopes</th><th class="wide">Policy</th><th>Budget used (UTC)</th><th></th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            <p class="muted">Budget used counts purchases that have not failed. New agents and policy changes: <code>checkout-agent agent add|policy</code>.</p>
            """));
    }

    private static async Task<IResult> RevokeAsync(string name, HttpContext http, AgentStore agents, CancellationToken cancellationToken)
    {
        var logger = Logger(http);
        if (await ConsoleAuth.ReadFormAsync(http, logger) is null)
        {
            return Forged(http);
        }
        if (!await agents.RevokeAsync(name, cancellationToken, http.Actor()))
        {
            return await Problem(http, "Not revoked", $"There is no live agent named '{InputEcho.Quote(name)}'.", "/console/agents", 404, cancellationToken);
        }
        Log.ConsoleAction(logger, http.Actor(), $"revoked agent {name}");
        return Results.Redirect("/console/agents?notice=revoked");
    }

    // ---- schedules ----

    private static async Task<IResult> SchedulesAsync(HttpContext http, ScheduleStore schedules, ScheduleService service, AgentStore agentStore, CancellationToken cancellationToken)
    {
        var frame = await FrameAsync(http, cancellationToken);
        var names = (await agentStore.ListAsync(cancellationToken)).ToDictionary(a => a.Id, a => a.Name, StringComparer.Ordinal);
        var rows = new List<Html>();
        foreach (var record in await schedules.ListAllAsync(cancellationToken))
        {
            var view = await service.GetAsync(record.Id, record.AgentId, cancellationToken);
            var next = view?.NextFireAt is { } at ? ConsoleLayout.When(at) : record.Paused ? "paused" : "—";
            var verb = record.Paused ? "resume" : "pause";
            rows.Add(Html.Of($"""
                <tr data-schedule="{record.Id}"><td><strong>{record.Name}</strong><br><code class="muted">{record.Id}</code></td>
                <td>{(names.TryGetValue(record.AgentId, out var n) ? n : record.AgentId)}</td><td class="wide"><code>{record.Cron}</code> {record.TimeZone}</td><td>{next}</td>
                <td><form method="post" action="/console/schedules/{record.Id}/{verb}" class="inline">{frame.Csrf}<button type="submit" class="secondary">{(record.Paused ? "Resume" : "Pause")}</button></form></td></tr>
                """));
        }
        var table = rows.Count == 0
            ? Html.Of($"<p class=\"muted\">No schedules. Agents create them with POST /v1/schedules or checkout-agent schedule create.</p>")
            : Html.Of($"""
                <div class="scroll"><table id="schedules"><thead><tr><th>Schedule</th><th>Agent</th><th class="wide">When</th><th>Next fire (UTC)</th><th></th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """);
        return ConsoleLayout.Page(frame, "Schedules", table);
    }

    private static async Task<IResult> SchedulePauseAsync(string id, bool pause, HttpContext http, CancellationToken cancellationToken)
    {
        var logger = Logger(http);
        if (await ConsoleAuth.ReadFormAsync(http, logger) is null)
        {
            return Forged(http);
        }
        var store = http.RequestServices.GetRequiredService<ScheduleStore>();
        var service = http.RequestServices.GetRequiredService<ScheduleService>();
        if (await store.GetAsync(id, cancellationToken) is not { } record
            || await (pause ? service.PauseAsync(id, record.AgentId, cancellationToken) : service.ResumeAsync(id, record.AgentId, cancellationToken)) is null)
        {
            return await Problem(http, "Not found", $"There is no schedule '{InputEcho.Quote(id)}'.", "/console/schedules", 404, cancellationToken);
        }
        Log.ConsoleAction(logger, http.Actor(), $"{(pause ? "paused" : "resumed")} schedule {id}");
        return Results.Redirect($"/console/schedules?notice={(pause ? "schedule-paused" : "schedule-resumed")}");
    }

    // ---- recipes ----

    private static string HealthProblem(RecipeCheckView? check) => check is null ? "" :
        string.Join(" · ", new[] { check.Code, check.Message ?? (check.Step is { } step ? $"step {check.FailedStep}: {step}" : null) }.OfType<string>());

    private static Html HealthCell(string name, RecipeHealthView? health, Html csrf)
    {
        var check = health?.LastCheck;
        var status = health?.Status ?? RecipeHealthService.Statuses.Unchecked;
        var badge = status switch
        {
            RecipeHealthService.Statuses.Healthy => Html.Of($"<span class=\"badge ok\">healthy</span>"),
            RecipeHealthService.Statuses.Broken => Html.Of($"<span class=\"badge broken\">broken</span>"),
            _ => Html.Of($"<span class=\"muted\">not checked</span>"),
        };
        var detail = check is null ? Html.Empty : Html.Of($"""
            <div class="muted">checked {ConsoleLayout.When(check.CheckedAt)} ({check.Trigger})</div>
            {(check.Passed ? Html.Empty : Html.Of($"<div class=\"problem\">{HealthProblem(check)}</div>{(check.Page is { } page ? Html.Of($"<div class=\"muted\">page: {page}</div>") : Html.Empty)}"))}
            {(check.HasScreenshot ? Html.Of($"<a href=\"/console/recipes/{name}/checks/{check.Id}/screenshot\">masked screenshot</a>") : Html.Empty)}
            """);
        return Html.Of($"""
            {badge}{detail}
            <form method="post" action="/console/recipes/{name}/check" class="inline">{csrf}<button type="submit" class="secondary">Check now</button></form>
            """);
    }

    private static async Task<IResult> CheckRecipeAsync(string name, HttpContext http, RecipeCatalog catalog, RecipeHealthChecker checker, CancellationToken cancellationToken)
    {
        var logger = Logger(http);
        if (await ConsoleAuth.ReadFormAsync(http, logger) is null)
        {
            return Forged(http);
        }
        try
        {
            catalog.Get(name);
        }
        catch (RecipeException)
        {
            return await Problem(http, "Not checked", $"There is no recipe '{InputEcho.Quote(name)}' that loads; see its lint problems.", "/console/recipes", 404, cancellationToken);
        }
        Log.ConsoleAction(logger, http.Actor(), $"checked recipe {name}");
        await checker.CheckAsync(name, RecipeCheckTriggers.Console, null, cancellationToken);
        return Results.Redirect($"/console/recipes?notice=checked#recipe-{Uri.EscapeDataString(name)}");
    }

    private static async Task<IResult> RecipesAsync(HttpContext http, RecipeCatalog catalog, RecipeHealthService healthService, CancellationToken cancellationToken)
    {
        var frame = await FrameAsync(http, cancellationToken);
        var health = (await healthService.ListAsync(cancellationToken)).Data.ToDictionary(h => h.Name, StringComparer.Ordinal);
        var directory = catalog.Directory;
        var files = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.y*ml").Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).ToList()
            : [];
        var rows = new List<Html>();
        foreach (var file in files)
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var problems = RecipeLinter.LintFile(file);
            string merchant;
            try
            {
                var recipe = catalog.Get(name);
                merchant = $"{recipe.MerchantName} ({recipe.MerchantUrl})";
            }
            catch (RecipeException)
            {
                merchant = "—";
            }
            var lint = problems.Count == 0
                ? Html.Of($"<span class=\"badge ok\">ok</span>")
                : Html.Of($"<span class=\"badge broken\">{problems.Count} problem(s)</span><ul>{Html.Join(problems.Take(5).Select(p => Html.Of($"<li><code>{Path.GetFileName(p)}</code></li>")))}</ul>");
            rows.Add(Html.Of($"""
                <tr data-recipe="{name}" id="recipe-{name}"><td><strong>{name}</strong></td><td class="wide">{merchant}</td><td>{lint}</td>
                <td class="health">{HealthCell(name, health.GetValueOrDefault(name), frame.Csrf)}</td></tr>
                """));
        }
        return ConsoleLayout.Page(frame, "Recipes", Html.Of($"""
            <div class="scroll"><table id="recipes"><thead><tr><th>Recipe</th><th class="wide">Merchant</th><th>Lint</th><th>Health</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            <p class="muted">From <code>{directory}</code>. Lint: <code>checkout-agent recipe lint</code>. Health: the latest check of each recipe at its merchant,
            up to just before the card (<code>checkout-agent recipe check NAME</code>, or on the <code>Recipes:HealthCheck:Cron</code> schedule).</p>
            """));
    }

    // ---- global pause ----

    private static async Task<IResult> PauseAsync(bool pause, HttpContext http, CancellationToken cancellationToken)
    {
        var logger = Logger(http);
        if (await ConsoleAuth.ReadFormAsync(http, logger) is not { } form)
        {
            return Forged(http);
        }
        await http.RequestServices.GetRequiredService<AgentStore>().SetPausedAsync(pause, cancellationToken, http.Actor());
        Log.ConsoleAction(logger, http.Actor(), pause ? "paused all purchases" : "resumed purchases");
        // Back to the page the switch was flipped on: a console path only, never another site.
        var back = form["back"].ToString() is { Length: > 0 and < 200 } path && path.StartsWith("/console/", StringComparison.Ordinal)
            && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-') && !path.Contains("//", StringComparison.Ordinal)
            ? path : "/console/purchases";
        return Results.Redirect($"{back}?notice={(pause ? "paused" : "resumed")}");
    }
}
