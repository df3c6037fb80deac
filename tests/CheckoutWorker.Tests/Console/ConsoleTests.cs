using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CheckoutAgent.Tests.Clients;
using CheckoutAgent.Tests.Leaks;
using CheckoutAgent.Tests.Service;
using Microsoft.Playwright;

namespace CheckoutAgent.Tests.OperatorConsole;

/// <summary>
/// The operator console in headless Chromium against a real <c>serve</c> with a real demo checkout behind it
/// (<see cref="ConsoleWorld"/>, shared by the fixture; each test has its own browser context, so its own cookies).
/// </summary>
[Category("Browser")]
public class ConsoleTests
{
    private ConsoleWorld _world = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _world = await ConsoleWorld.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _world.DisposeAsync();

    private async Task<IPage> SignedInAsync(IBrowserContext context, IPage page)
    {
        await _world.SignInAsync(page, _world.Admin.Token);
        Assert.That(page.Url, Does.EndWith("/console/purchases"), await page.ContentAsync());
        return page;
    }

    /// <summary>A path as given, or relative to the repository's root (the tests run in their output folder).</summary>
    private static string RepositoryPath(string path)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CheckoutAgent.sln")))
            {
                return Path.Combine(dir.FullName, path);
            }
        }
        throw new DirectoryNotFoundException("no CheckoutAgent.sln above the test folder");
    }

    [Test]
    public async Task Sign_in_takes_an_admin_token_only_and_sign_out_ends_the_session()
    {
        var (context, page) = await _world.NewPageAsync();
        await using var _ = context;

        await page.GotoAsync(_world.Url("/console/purchases"));
        Assert.That(page.Url, Does.Contain("/console/sign-in"), "not signed in: the console sends you to sign in");

        await _world.SignInAsync(page, _world.Reader.Token);
        Assert.That(await page.TextContentAsync("#sign-in-error"), Does.Contain("lacks the admin scope"));
        await _world.SignInAsync(page, "cat_not-a-real-token");
        Assert.That(await page.TextContentAsync("#sign-in-error"), Does.Contain("unknown or was revoked"));
        Assert.That((await context.CookiesAsync()).Select(c => c.Name), Does.Not.Contain("checkout-agent.console"), "no session for a refused token");
        Assert.That(await page.InputValueAsync("#token"), Is.Empty, "the refused token is not put back into the form");

        await SignedInAsync(context, page);
        Assert.That(await page.TextContentAsync("h1"), Is.EqualTo("Purchases"));
        var session = (await context.CookiesAsync()).Single(c => c.Name == "checkout-agent.console");
        Assert.Multiple(() =>
        {
            Assert.That(session.HttpOnly, Is.True, "HttpOnly");
            Assert.That(session.SameSite, Is.EqualTo(SameSiteAttribute.Strict), "SameSite=Strict");
            Assert.That(session.Value, Does.Not.Contain(_world.Admin.Token).And.Not.Contain(_world.Admin.Token["cat_".Length..]), "the token is not in the cookie");
        });

        await page.ClickAsync("#sign-out");
        await page.WaitForURLAsync("**/console/sign-in");
        Assert.That(page.Url, Does.EndWith("/console/sign-in"));
        Assert.That((await context.CookiesAsync()).Select(c => c.Name), Does.Not.Contain("checkout-agent.console"));
        await page.GotoAsync(_world.Url("/console/agents"));
        Assert.That(page.Url, Does.Contain("/console/sign-in"), "signed out: the old session no longer opens pages");
    }

    [Test]
    public async Task A_session_replayed_after_its_agent_is_revoked_opens_nothing()
    {
        // A second admin whose session cookie outlives the agent: revoking it ends the session at once.
        var (_, doomed) = await _world.Service.AddAgentAsync("doomed-admin-" + Guid.NewGuid().ToString("N")[..6], "admin");
        var (context, page) = await _world.NewPageAsync();
        await using var _ = context;
        await _world.SignInAsync(page, doomed.Token);
        Assert.That(page.Url, Does.EndWith("/console/purchases"));
        await _world.Service.Agents.RevokeAsync(doomed.Agent.Name, CancellationToken.None);
        await page.GotoAsync(_world.Url("/console/purchases"));
        Assert.That(page.Url, Does.Contain("/console/sign-in"));
    }

    [Test]
    public async Task The_list_shows_purchases_live_and_the_detail_shows_timeline_webhooks_and_the_receipt()
    {
        var (context, page) = await _world.NewPageAsync();
        await using var _ = context;
        await SignedInAsync(context, page);

        var row = page.Locator($"tr[data-id='{_world.SucceededId}']");
        Assert.That(await row.TextContentAsync(), Does.Contain("succeeded").And.Contain("$24.00").And.Contain("buyer"));

        await page.SelectOptionAsync("#filter-status", PurchaseStatus.Failed);
        await page.ClickAsync("#filters button");
        await page.WaitForURLAsync("**status=failed**");
        Assert.That(await page.Locator($"tr[data-id='{_world.SucceededId}']").CountAsync(), Is.Zero, "filtered out");
        await page.SelectOptionAsync("#filter-status", PurchaseStatus.Succeeded);
        await page.ClickAsync("#filters button");
        await page.WaitForURLAsync("**status=succeeded**");
        Assert.That(await page.Locator($"tr[data-id='{_world.SucceededId}']").CountAsync(), Is.EqualTo(1), "filtered in");

        // Live: a purchase queued while the page is open shows up without a reload.
        await page.GotoAsync(_world.Url("/console/purchases"));
        using var response = await TestService.PostPurchaseAsync(_world.BuyerApi, _world.Service.PurchaseBody(), Guid.NewGuid().ToString("N"));
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var newId = created.GetProperty("id").GetString()!;
        await page.Locator($"tr[data-id='{newId}']").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        // Its status moves on live too; once it has ended the list holds still for the clicks below.
        await TestService.WaitForEndAsync(_world.BuyerApi, newId);
        await page.Locator($"tr[data-id='{newId}']", new PageLocatorOptions { HasText = "succeeded" }).WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });

        await page.GotoAsync(_world.Url("/console/purchases"));
        await page.ClickAsync($"a[href='/console/purchases/{_world.SucceededId}']");
        await page.WaitForURLAsync($"**/console/purchases/{_world.SucceededId}");
        Assert.That(await page.TextContentAsync("#status"), Does.Contain("succeeded"));
        var purchase = await _world.GetPurchaseAsync(_world.SucceededId);
        var outcome = purchase.GetProperty("outcome");
        var summary = await page.TextContentAsync("#summary");
        Assert.Multiple(() =>
        {
            Assert.That(summary, Does.Contain(outcome.GetProperty("order_number").GetString()), "order number");
            Assert.That(summary, Does.Contain(purchase.GetProperty("spend_request_id").GetString()), "Link spend request id");
            Assert.That(summary, Does.Contain("•••• " + outcome.GetProperty("card_last4").GetString()), "masked card");
        });
        Assert.That(await page.TextContentAsync("#timeline"), Does.Contain("submitting").And.Contain("succeeded"));
        await Poll.UntilAsync(() => _world.Webhooks.Received.Any(w => w.Body.Contains(_world.SucceededId, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50), () => "no webhook for the purchase");
        await page.ReloadAsync();
        Assert.That(await page.TextContentAsync("#webhooks"), Does.Contain("purchase.succeeded").And.Contain("delivered"));
        var width = await page.EvalOnSelectorAsync<int>("#receipt", "img => img.complete ? img.naturalWidth : -1");
        Assert.That(width, Is.GreaterThan(100), "the masked receipt screenshot is shown inline and loads");
    }

    [Test]
    public async Task An_outcome_unknown_purchase_is_reconciled_from_needs_attention_with_webhook_and_Link_report()
    {
        var (context, page) = await _world.NewPageAsync();
        await using var _ = context;
        await SignedInAsync(context, page);
        await page.ClickAsync("nav a[href='/console/attention']");
        await page.WaitForURLAsync("**/console/attention");
        var card = page.Locator($".reconcile[data-id='{_world.UnknownId}']");
        await card.Locator("input[name=order_number]").FillAsync(_world.HeldOrderNumber);
        await card.Locator("button[value=order_exists]").ClickAsync();
        await page.WaitForURLAsync($"**/console/purchases/{_world.UnknownId}?notice=reconciled");

        Assert.That(page.Url, Does.Contain($"/console/purchases/{_world.UnknownId}"));
        Assert.That(await page.TextContentAsync("#status"), Does.Contain("succeeded"));
        Assert.That(await page.TextContentAsync("#timeline"), Does.Contain($"reconciled by agent ops-admin ({_world.Admin.Agent.Id}) in the console: the merchant has order {_world.HeldOrderNumber}"));

        var purchase = await _world.GetPurchaseAsync(_world.UnknownId);
        var reconciliation = purchase.GetProperty("outcome").GetProperty("reconciliation");
        Assert.Multiple(() =>
        {
            Assert.That(purchase.GetProperty("status").GetString(), Is.EqualTo(PurchaseStatus.Succeeded));
            Assert.That(purchase.GetProperty("outcome").GetProperty("order_number").GetString(), Is.EqualTo(_world.HeldOrderNumber));
            Assert.That(reconciliation.GetProperty("decision").GetString(), Is.EqualTo(ReconcileDecisions.OrderExists));
            Assert.That(reconciliation.GetProperty("by").GetString(), Does.Contain("ops-admin").And.Not.Contain("cat_"));
            Assert.That(reconciliation.GetProperty("previous_code").GetString(), Is.EqualTo(FailureCodes.OutcomeUnknown));
        });
        var spendRequest = purchase.GetProperty("spend_request_id").GetString();
        await Poll.UntilAsync(() => _world.Webhooks.Received.Any(w => w.Body.Contains(_world.UnknownId, StringComparison.Ordinal) && w.Body.Contains("\"purchase.succeeded\"", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50), () => "no purchase.succeeded webhook after the reconcile");
        Assert.That(_world.Service.Sandbox.Observations.Any(o => o.SpendRequestId == spendRequest && o.Outcome == "success"), Is.True, "Link was told it succeeded");

        await page.GotoAsync(_world.Url("/console/attention"));
        Assert.That(await page.Locator($".reconcile[data-id='{_world.UnknownId}']").CountAsync(), Is.Zero, "no longer needs attention");
    }

    [Test]
    public async Task Reconcile_over_the_API_and_CLI_is_admin_only_validated_idempotent_and_final()
    {
        var id = _world.ApiUnknownId;
        async Task<(HttpStatusCode Status, JsonElement Body, bool Replayed)> Post(HttpClient client, string purchase, object body)
        {
            using var response = await client.PostAsJsonAsync($"/v1/purchases/{purchase}/reconcile", body);
            return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(),
                response.Headers.TryGetValues("Idempotent-Replayed", out var v) && v.Contains("true"));
        }
        string Code(JsonElement error) => error.GetProperty("error").GetProperty("code").GetString()!;

        // The operator's admin agent reads the buyer's purchase it is about to reconcile; another agent does not see it.
        using (var asAdmin = await _world.AdminApi.GetAsync($"/v1/purchases/{id}"))
        {
            Assert.That(asAdmin.StatusCode, Is.EqualTo(HttpStatusCode.OK), "an admin reads any agent's purchase");
            Assert.That((await asAdmin.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString(), Is.EqualTo(PurchaseStatus.OutcomeUnknown));
        }
        using (var asReader = await _world.ReaderApi.GetAsync($"/v1/purchases/{id}"))
        {
            Assert.That(asReader.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "an agent without admin sees only its own");
        }
        var refused = await Post(_world.ReaderApi, id, new { decision = "no_order" });
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Forbidden), refused.Body.ToString());
        var missing = await Post(_world.AdminApi, id, new { decision = "order_exists" });
        Assert.That((missing.Status, Code(missing.Body)), Is.EqualTo((HttpStatusCode.UnprocessableEntity, "invalid_field")), missing.Body.ToString());
        var cardLike = await Post(_world.AdminApi, id, new { decision = "order_exists", order_number = "4242 4242 4242 4242" });
        Assert.That(cardLike.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(cardLike.Body.ToString(), Does.Contain("looks like a card number").And.Not.Contain("4242 4242"));
        var notUnknown = await Post(_world.AdminApi, _world.SucceededId, new { decision = "no_order" });
        Assert.That((notUnknown.Status, Code(notUnknown.Body)), Is.EqualTo((HttpStatusCode.Conflict, "not_outcome_unknown")));
        var unknownId = await Post(_world.AdminApi, "pur_nope", new { decision = "no_order" });
        Assert.That(unknownId.Status, Is.EqualTo(HttpStatusCode.NotFound));

        var first = await Post(_world.AdminApi, id, new { decision = "order_exists", order_number = _world.ApiHeldOrderNumber });
        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK), first.Body.ToString());
        Assert.That(first.Replayed, Is.False);
        Assert.That(first.Body.GetProperty("status").GetString(), Is.EqualTo(PurchaseStatus.Succeeded));
        Assert.That(first.Body.GetProperty("outcome").GetProperty("reconciliation").GetProperty("by").GetString(),
            Is.EqualTo($"agent ops-admin ({_world.Admin.Agent.Id})"));
        Assert.That(first.Body.ToString(), Does.Not.Contain(_world.Admin.Token));

        var again = await Post(_world.AdminApi, id, new { decision = "order_exists", order_number = _world.ApiHeldOrderNumber });
        Assert.That((again.Status, again.Replayed), Is.EqualTo((HttpStatusCode.OK, true)), again.Body.ToString());
        Assert.That(again.Body.GetProperty("outcome").GetProperty("reconciliation").GetProperty("at").GetString(),
            Is.EqualTo(first.Body.GetProperty("outcome").GetProperty("reconciliation").GetProperty("at").GetString()), "the first decision stands unchanged");
        var conflict = await Post(_world.AdminApi, id, new { decision = "no_order" });
        Assert.That((conflict.Status, Code(conflict.Body)), Is.EqualTo((HttpStatusCode.Conflict, "reconcile_conflict")), conflict.Body.ToString());

        var cli = await ClientCli.RunAsync("purchase", "reconcile", id, "--order-exists", _world.ApiHeldOrderNumber,
            "--server", _world.Service.BaseAddress.ToString(), "--token", _world.Admin.Token);
        Assert.That(cli.Code, Is.Zero, cli.ToString());
        Assert.That(cli.Out, Does.Contain($"already reconciled purchase {id}: now succeeded"));
        var cliConflict = await ClientCli.RunAsync("purchase", "reconcile", id, "--no-order",
            "--server", _world.Service.BaseAddress.ToString(), "--token", _world.Admin.Token);
        Assert.That(cliConflict.Code, Is.EqualTo(2), cliConflict.ToString());
        Assert.That(cliConflict.Err + cliConflict.Out, Does.Contain("already reconciled as order_exists"));
        var usage = await ClientCli.RunAsync("purchase", "reconcile", id, "--server", _world.Service.BaseAddress.ToString(), "--token", _world.Admin.Token);
        Assert.That(usage.Code, Is.EqualTo(2));
        Assert.That(usage.Err, Does.Contain("give exactly one of --order-exists ORDER_NUMBER"));
        var help = await ClientCli.RunAsync("purchase", "reconcile", "--help");
        Assert.That(help.Out, Does.Contain("--order-exists <ORDER_NUMBER>").And.Contain("--no-order").And.Contain("admin scope"));

        var openApi = await _world.AdminApi.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var operation = openApi.GetProperty("paths").GetProperty("/v1/purchases/{id}/reconcile").GetProperty("post");
        Assert.That(operation.GetProperty("operationId").GetString(), Is.EqualTo("reconcilePurchase"));
        Assert.That(operation.GetProperty("description").GetString(), Does.Contain("'admin' scope"));
        Assert.That(operation.GetProperty("requestBody").ToString(), Does.Contain("application/json"));
        Assert.That(openApi.ToString(), Does.Not.Contain("/console"), "the console is not part of the API document");
    }

    [Test]
    public async Task A_broken_recipe_is_flagged_by_its_health_check_on_recipes_and_needs_attention()
    {
        var (context, page) = await _world.NewPageAsync();
        await using var _ = context;
        await SignedInAsync(context, page);
        await page.ClickAsync("nav a[href='/console/recipes']");
        await page.WaitForURLAsync("**/console/recipes");
        var broken = page.Locator("tr[data-recipe='broken'] td.health");
        var text = await broken.TextContentAsync();
        Assert.That(text, Does.Contain("broken").And.Contain("step 3 (click role button \"Add to basket\") failed").And.Contain(_world.BrokenCheck.Code));
        Assert.That(await page.Locator("tr[data-recipe='demo-shop'] td.health").TextContentAsync(), Does.Contain("not checked"));
        var shot = await page.APIRequest.GetAsync(_world.Url(await broken.Locator("a").GetAttributeAsync("href") ?? "/missing"));
        Assert.That((shot.Status, shot.Headers["content-type"]), Is.EqualTo((200, "image/png")), "the check's masked screenshot opens");

        await page.GotoAsync(_world.Url("/console/attention"));
        Assert.That(await page.TextContentAsync("#broken-recipes"), Does.Contain("broken").And.Contain("Add to basket"));
        Assert.That(await page.TextContentAsync("nav a[href='/console/attention']"), Does.Match(@"Needs attention \(\d+\)"));

        // "Check now" walks the recipe there and then, and the check says the console started it.
        await page.GotoAsync(_world.Url("/console/recipes"));
        await page.ClickAsync("tr[data-recipe='demo-shop'] button:has-text('Check now')");
        await page.WaitForURLAsync("**/console/recipes?notice=checked*");
        var checkedNow = await page.Locator("tr[data-recipe='demo-shop'] td.health").TextContentAsync();
        Assert.That(checkedNow, Does.Not.Contain("not checked").And.Contain("(console)"));
    }

    [Test]
    public async Task The_pause_switch_pauses_and_resumes_purchases()
    {
        var (context, page) = await _world.NewPageAsync();
        await using var _ = context;
        await SignedInAsync(context, page);
        await page.GotoAsync(_world.Url("/console/agents"));
        await page.ClickAsync("#pause");
        await page.WaitForURLAsync("**/console/agents?notice=paused");
        Assert.That(await page.TextContentAsync("#pause-state"), Is.EqualTo("Purchases paused"));
        Assert.That((await _world.AdminApi.GetFromJsonAsync<JsonElement>("/v1/admin/status")).GetProperty("paused").GetBoolean(), Is.True);
        await page.ClickAsync("#resume");
        await page.WaitForURLAsync("**/console/agents?notice=resumed");
        Assert.That(await page.TextContentAsync("#pause-state"), Is.EqualTo("Purchases running"));
        Assert.That((await _world.AdminApi.GetFromJsonAsync<JsonElement>("/v1/admin/status")).GetProperty("paused").GetBoolean(), Is.False);
    }

    [Test]
    public async Task A_form_post_without_a_valid_antiforgery_token_is_refused_and_changes_nothing()
    {
        var (context, page) = await _world.NewPageAsync();
        await using var _ = context;
        await SignedInAsync(context, page);
        // The browser's own session cookie goes along; only the form's token is missing or wrong.
        var missing = await page.APIRequest.PostAsync(_world.Url("/console/pause"), new APIRequestContextOptions
        {
            Form = context.APIRequest.CreateFormData().Set("back", "/console/agents"),
            MaxRedirects = 0,
        });
        Assert.That(missing.Status, Is.EqualTo(400));
        Assert.That(await missing.TextAsync(), Does.Contain("did not carry a valid anti-forgery token"));
        var wrong = await page.APIRequest.PostAsync(_world.Url($"/console/purchases/{_world.SucceededId}/cancel"), new APIRequestContextOptions
        {
            Form = context.APIRequest.CreateFormData().Set("__csrf", "CfDJ8forged"),
            MaxRedirects = 0,
        });
        Assert.That(wrong.Status, Is.EqualTo(400));
        Assert.That((await _world.AdminApi.GetFromJsonAsync<JsonElement>("/v1/admin/status")).GetProperty("paused").GetBoolean(), Is.False, "not paused");
        var signIn = await page.APIRequest.PostAsync(_world.Url("/console/sign-in"), new APIRequestContextOptions
        {
            Form = context.APIRequest.CreateFormData().Set("token", _world.Admin.Token),
            MaxRedirects = 0,
        });
        Assert.That(signIn.Status, Is.EqualTo(400), "the sign-in form needs its token too");
    }

    [Test]
    public async Task Every_console_page_keeps_cards_tokens_and_secrets_out_of_html_headers_and_cookies()
    {
        var (context, page) = await _world.NewPageAsync();
        await using var _ = context;
        var sweep = new ConsoleLeakSweep(_world.Service.Sandbox.IssuedCards,
        [
            .. new[] { _world.Buyer, _world.Admin, _world.Reader }.SelectMany(a => new[]
            {
                LeakCanary.Text($"{a.Agent.Name} token", a.Token),
                LeakCanary.Text($"{a.Agent.Name} webhook secret", a.Agent.WebhookSecret),
            }),
            LeakCanary.Text("account password", ConsoleWorld.AccountPassword),
            LeakCanary.TotpSecret("account TOTP secret", ConsoleWorld.AccountTotp),
        ]);
        page.Response += (_, response) => sweep.Watch(response);
        await _world.SignInAsync(page, _world.Reader.Token);
        await SignedInAsync(context, page);
        string[] pages =
        [
            "/console/purchases", $"/console/purchases/rows", $"/console/purchases?status={PurchaseStatus.Succeeded}",
            $"/console/purchases/{_world.SucceededId}", $"/console/purchases/{_world.UnknownId}", $"/console/purchases/{_world.ApiUnknownId}",
            $"/console/purchases/{_world.SucceededId}/screenshot", "/console/attention", "/console/agents", "/console/schedules", "/console/recipes",
            "/console/purchases/pur_missing", "/console/assets/console.css", "/console/assets/console.js",
            $"/console/recipes/broken/checks/{_world.BrokenCheck.Id}/screenshot",
        ];
        foreach (var path in pages)
        {
            var response = await page.GotoAsync(_world.Url(path));
            Assert.That(response, Is.Not.Null, path);
            await sweep.ScanPageAsync(path, response!, page);
        }
        await sweep.ScanAsync(await context.CookiesAsync());

        Assert.That(sweep.Findings, Is.Empty, string.Join('\n', sweep.Findings));
        // The sweep read real pages: the purchases, the masked cards and the agents were on them.
        var card = _world.Service.Sandbox.IssuedCards[0];
        Assert.Multiple(() =>
        {
            Assert.That(sweep.Pages, Is.EqualTo(pages.Length), "every page's body was scanned");
            Assert.That(sweep.Responses, Is.GreaterThan(pages.Length), "every response's headers were scanned, sign-in and redirects too");
            Assert.That(sweep.Html, Does.Contain(_world.SucceededId).And.Contain(_world.UnknownId));
            Assert.That(sweep.Html, Does.Contain("•••• " + card.Number[^4..]), "the masked card shows");
            Assert.That(sweep.Html, Does.Contain("ops-admin").And.Contain("buyer").And.Contain("reader"));
            Assert.That(sweep.Headers, Does.Contain("set-cookie: checkout-agent.console="), "the sign-in's Set-Cookie was scanned");
            Assert.That(sweep.Cookies, Is.GreaterThanOrEqualTo(2), "session and anti-forgery cookies were scanned");
            Assert.That(sweep.Headers, Does.Contain("content-security-policy: default-src 'self'").And.Contain("x-frame-options: DENY").And.Contain("no-store"));
        });
    }

    [Test]
    public async Task A_phone_shows_every_page_without_sideways_scrolling()
    {
        var (context, page) = await _world.NewPageAsync(390, 844);
        await using var _ = context;
        await SignedInAsync(context, page);
        var shots = Environment.GetEnvironmentVariable("CHECKOUT_CONSOLE_SCREENSHOTS") is { Length: > 0 } given ? RepositoryPath(given) : null;
        foreach (var path in new[] { "/console/purchases", $"/console/purchases/{_world.SucceededId}", "/console/attention", "/console/agents", "/console/recipes" })
        {
            await page.GotoAsync(_world.Url(path));
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            var wide = overflow <= 0 ? "" : await page.EvaluateAsync<string>(
                "() => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id).join(', ')");
            Assert.That(overflow, Is.LessThanOrEqualTo(0), $"{path} scrolls sideways on a phone by {overflow} px: {wide}");
        }
        if (shots is not null)
        {
            Directory.CreateDirectory(shots);
            // Not a test: how the README's screenshots are made (this test runs before the reconcile tests, so an outcome_unknown purchase shows) (CHECKOUT_CONSOLE_SCREENSHOTS=docs/console dotnet test --filter ConsoleTests).
            await page.GotoAsync(_world.Url($"/console/purchases/{_world.SucceededId}"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "phone-purchase.png"), FullPage = false });
            var (desktopContext, desktop) = await _world.NewPageAsync(1200, 760);
            await using var __ = desktopContext;
            await SignedInAsync(desktopContext, desktop);
            foreach (var (path, name) in new[]
            {
                ("/console/purchases", "purchases"), ($"/console/purchases/{_world.SucceededId}", "purchase"), ("/console/attention", "attention"),
                ("/console/agents", "agents"), ("/console/recipes", "recipes"),
            })
            {
                await desktop.GotoAsync(_world.Url(path));
                await desktop.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, name + ".png"), FullPage = name == "purchase" });
            }
        }
    }
}
