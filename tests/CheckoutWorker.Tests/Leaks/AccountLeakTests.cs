using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Emulator;
using CheckoutAgent.Tests.Clients;
using CheckoutAgent.Tests.Observability;
using CheckoutAgent.Tests.Service;
using CheckoutAgent.Tests.Webhooks;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Cli;
using CheckoutAgent.Worker.Hosting;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OtpNet;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>
/// The leak suite at a shop without guest checkout (recipes/demo-account.yaml): next to the card, the account's
/// password, its TOTP secret, the one-time codes typed and the shop's session cookie are canaries, searched by the
/// same <see cref="LeakSweep"/> in every place the card is (API and MCP answers, webhooks, console, log files, Seq,
/// the SQLite database with -wal/-shm, data, temp and /dev/shm folders, browser profiles, screenshots). Each scenario
/// draws a fresh password and secret, so no other test's files can hold them, and first proves it reached its point
/// (the sign-in ran, failed, was refused, or was cut by a kill).
/// </summary>
[Category("Browser")]
[NonParallelizable]
public class AccountLeakTests
{
    private const string Email = "owner@shop.test";

    // Steps of recipes/demo-account.yaml: 5 the if (sign in when asked), 6 email, 7 password, 8 Sign in, 9 code, 10 Verify.
    private const int PasswordStep = 7;
    private const int SignInStep = 8;
    private const int CodeStep = 9;

    private static readonly Dictionary<string, string?> ShortSteps = new() { ["Browser:StepTimeout"] = "00:00:05" };

    /// <summary>A password no other test uses, with characters that URL, form and JSON encodings change.</summary>
    private static string NewPassword() => $"Pw+leak&{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}/canary";

    /// <summary>A 160-bit TOTP secret in base32, as shops show it.</summary>
    private static string NewTotpSecret() => Base32Encoding.ToString(RandomNumberGenerator.GetBytes(20)).TrimEnd('=');

    private static DemoShopOptions Shop(string password, string totpSecret, Func<CancellationToken, Task>? beforeVerificationPage = null) => new()
    {
        Variant = DemoVariant.Account,
        AccountEmail = Email,
        AccountPassword = password,
        AccountTotpSecret = totpSecret,
        BeforeVerificationPage = beforeVerificationPage,
    };

    private static string Host(DemoShop shop) => AccountService.HostOf(shop.BaseUrl.ToString());

    private static AccountService Accounts(LeakWorld world) => world.Service.Services.GetRequiredService<AccountService>();

    private static async Task AddAccountAsync(LeakWorld world, string password, string totpSecret) =>
        await Accounts(world).AddAsync(Host(world.Shop), Email, password, TotpSecret.Parse(totpSecret), CancellationToken.None);

    /// <summary>The value of the shop's session cookie in the account's kept session (the Playwright storage state).</summary>
    private static async Task<string> SessionCookieAsync(AccountService accounts, string host)
    {
        var opened = await accounts.OpenAsync(host, CancellationToken.None);
        Assert.That(opened?.Session, Is.Not.Null, "the session was kept after the purchase");
        using var state = JsonDocument.Parse(opened!.Value.Session!);
        var cookie = state.RootElement.GetProperty("cookies").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "dcs_session").GetProperty("value").GetString()!;
        Assert.That(cookie, Has.Length.GreaterThanOrEqualTo(32));
        return cookie;
    }

    private static List<LeakCanary> Canaries(string password, string totpSecret, string secretName = "TOTP secret") =>
        [LeakCanary.Text("account password", password), LeakCanary.TotpSecret(secretName, totpSecret)];

    [Test]
    [Category(TestStorage.SqliteOnly)] // runs serve / the owner's CLI as child processes on the data directory's SQLite file
    public async Task SignInThenKeptSession()
    {
        var start = DateTime.UtcNow;
        var (password, secret) = (NewPassword(), NewTotpSecret());
        await using var world = await LeakWorld.StartAsync(Shop(password, secret));
        await AddAccountAsync(world, password, secret);

        var first = await world.PostPurchaseAsync("demo-account");
        var firstEnded = await world.WaitForEndAsync(first);
        var second = await world.PostPurchaseAsync("demo-account");
        await world.WaitForEndAsync(second);

        // The sign-in ran once, with a code, and the second purchase went in on the kept session.
        Assert.That(Status(firstEnded), Is.EqualTo(PurchaseStatus.Succeeded), firstEnded.ToString());
        Assert.That(Messages(firstEnded), Has.Some.Contains("showed: ran its 5 step(s)"));
        Assert.That(world.Shop.SignIns, Is.EqualTo(1));
        Assert.That(world.Shop.SignInAttempts, Is.EqualTo(1));
        Assert.That(world.Shop.CodeVerifications, Is.EqualTo(1));
        var host = Host(world.Shop);
        var cookie = await SessionCookieAsync(Accounts(world), host);
        Assert.That((await Accounts(world).ListAsync(CancellationToken.None)).Single().HasSession, Is.True,
            "the database holds the sealed session the sweep scans for the cookie");
        var list = await ClientCli.RunAsync("account", "list", "--data-dir", world.Service.DataDirectory);
        Assert.That(list.Code, Is.Zero, list.ToString());

        var canaries = Canaries(password, secret);
        canaries.Add(LeakCanary.Text("shop session cookie (dcs_session)", cookie));
        canaries.AddRange(LeakCanary.CodesBetween("typed", secret, start, DateTime.UtcNow));
        var sweep = await world.SweepAsync(second, world.Sandbox.IssuedCards, canaries, browserRan: true, [first],
            beforeStop: s => s.Text("account list (the owner's CLI)", list.Out + list.Err, host));

        Assert.That(Status(sweep.Purchase), Is.EqualTo(PurchaseStatus.Succeeded), sweep.Purchase.ToString());
        Assert.That(Messages(sweep.Purchase), Has.Some.Contains("did not show (the next step's element did): skipped its 5 step(s)"));
        Assert.That(world.Sandbox.IssuedCards, Has.Count.EqualTo(2));
        Assert.That(world.Shop.Orders, Has.Count.EqualTo(2));
        Assert.That(world.Shop.SignIns, Is.EqualTo(1), "no second sign-in");
    }

    [Test]
    public async Task PasswordFieldCannotBeFilled()
    {
        // A recipe whose password step points at the wrong element (as after a shop's redesign): the fill fails with
        // the password in hand, and Playwright's text for the failed fill quotes the value it was given.
        var (password, secret) = (NewPassword(), NewTotpSecret());
        var recipes = Directory.CreateTempSubdirectory("leak-recipes-");
        try
        {
            var recipe = await File.ReadAllTextAsync(Path.Combine(RecipesDirectory.Resolve(null), "demo-account.yaml"));
            const string PasswordFill = "      - fill: { label: Password, value: \"${account.password}\" }\n";
            Assert.That(recipe, Does.Contain(PasswordFill));
            await File.WriteAllTextAsync(Path.Combine(recipes.FullName, "demo-account-wrong-field.yaml"), recipe.Replace(PasswordFill,
                "      - fill: { role: button, name: Sign in, value: \"${account.password}\" }\n", StringComparison.Ordinal));
            await using var world = await LeakWorld.StartAsync(Shop(password, secret),
                configuration: new Dictionary<string, string?>(ShortSteps) { ["Worker:RecipesDirectory"] = recipes.FullName });
            await AddAccountAsync(world, password, secret);

            var id = await world.PostPurchaseAsync("demo-account-wrong-field");
            await world.WaitForEndAsync(id);
            var sweep = await world.SweepAsync(id, world.Sandbox.IssuedCards, Canaries(password, secret), browserRan: true);

            AssertFailed(sweep.Purchase, FailureCodes.StepFailed(PasswordStep));
            TestContext.Out.WriteLine("outcome: " + sweep.Purchase.GetProperty("outcome"));
            Assert.That(world.Shop.SignInAttempts, Is.Zero, "the sign-in form was never sent");
            Assert.That(world.Shop.PaySubmissions, Is.Zero);
        }
        finally
        {
            recipes.Delete(recursive: true);
        }
    }

    [Test]
    public async Task SignInTimesOutAfterThePasswordWasTyped()
    {
        // The shop takes the password and then shows the code page only long after the step timeout: the step after
        // the password times out with the password still in its field on the page. (Held for ever, the purchase never
        // ends: see the report. 20 s lets the runner's screenshot and page description finish.)
        var (password, secret) = (NewPassword(), NewTotpSecret());
        var held = 0;
        await using var world = await LeakWorld.StartAsync(Shop(password, secret, async ct =>
        {
            Interlocked.Increment(ref held);
            await Task.Delay(TimeSpan.FromSeconds(20), ct);
        }), configuration: ShortSteps);
        await AddAccountAsync(world, password, secret);

        var id = await world.PostPurchaseAsync("demo-account");
        await world.WaitForEndAsync(id);
        var sweep = await world.SweepAsync(id, world.Sandbox.IssuedCards, Canaries(password, secret), browserRan: true);

        var code = sweep.Purchase.GetProperty("outcome").GetProperty("code").GetString();
        TestContext.Out.WriteLine("outcome: " + sweep.Purchase.GetProperty("outcome").GetProperty("message"));
        Assert.That(code, Is.AnyOf(FailureCodes.StepFailed(SignInStep), FailureCodes.StepFailed(CodeStep)), sweep.Purchase.ToString());
        AssertFailed(sweep.Purchase, code!, "TimeoutException");
        Assert.That(StepDone(sweep.Purchase, PasswordStep), Is.True, "the password was typed before the timeout");
        Assert.That(held, Is.EqualTo(1), "the shop held the code page after a right password");
        Assert.That(world.Shop.SignInAttempts, Is.EqualTo(1));
        Assert.That(world.Shop.PaySubmissions, Is.Zero);
    }

    [Test]
    public async Task CodeRefused()
    {
        // The stored secret is not the shop's: the password is right, the code typed is not.
        var start = DateTime.UtcNow;
        var (password, shopSecret, wrongSecret) = (NewPassword(), NewTotpSecret(), NewTotpSecret());
        await using var world = await LeakWorld.StartAsync(Shop(password, shopSecret));
        await AddAccountAsync(world, password, wrongSecret);

        var id = await world.PostPurchaseAsync("demo-account");
        await world.WaitForEndAsync(id);
        Assert.That(await Accounts(world).OpenAsync(Host(world.Shop), CancellationToken.None) is { Session: null }, Is.True, "no session was kept");
        var canaries = Canaries(password, wrongSecret, "stored (wrong) TOTP secret");
        canaries.AddRange(LeakCanary.CodesBetween("typed (wrong)", wrongSecret, start, DateTime.UtcNow));
        var sweep = await world.SweepAsync(id, world.Sandbox.IssuedCards, canaries, browserRan: true);

        AssertFailed(sweep.Purchase, FailureCodes.LoginRequired);
        Assert.That(StepDone(sweep.Purchase, CodeStep), Is.True, "a code was typed");
        Assert.That(ServiceWorld.Kinds(sweep.Purchase), Does.Not.Contain(PurchaseStatus.Submitting), "no final click");
        Assert.That(world.Shop.CodeVerifications, Is.EqualTo(1), "the shop was sent a code");
        Assert.That(world.Shop.SignIns, Is.Zero);
        Assert.That(world.Shop.PaySubmissions, Is.Zero);
    }

    [Test]
    [Category(TestStorage.SqliteOnly)] // runs serve / the owner's CLI as child processes on the data directory's SQLite file
    public async Task KillDuringSignIn_ThenRestart()
    {
        var since = DateTime.UtcNow;
        var (password, secret) = (NewPassword(), NewTotpSecret());
        var dataDirectory = DataDirectoryTest.NewDataDirectory();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holds = 0;
        await using var seq = await FakeSeq.StartAsync();
        await using var webhooks = await WebhookReceiver.StartAsync();
        // The first buyer is held after its right password, with the password typed on the page, until it dies; the
        // resumed one goes on.
        var world = await ServiceWorld.StartAsync(dataDirectory, EmulatorApprovalMode.Auto, Shop(password, secret, async ct =>
        {
            if (Interlocked.Increment(ref holds) == 1)
            {
                held.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }
        }));
        try
        {
            // The owner stores the login with the CLI verb, on the data directory, before the service starts.
            var host = Host(world.Shop);
            CliRun added;
            AccountCommand.InputOverride = new StringReader($"{password}\n{secret}\n");
            try
            {
                added = await ClientCli.RunAsync("account", "add", host, "--username", Email, "--totp-secret-stdin", "--data-dir", dataDirectory);
            }
            finally
            {
                AccountCommand.InputOverride = null;
            }
            Assert.That(added.Code, Is.Zero, added.ToString());

            var environment = new Dictionary<string, string>
            {
                // The webhook receiver is on loopback.
                ["Webhooks__AllowPrivateNetworks"] = "true",
                ["Seq__ServerUrl"] = seq.BaseUrl.ToString(),
                // Playwright's driver would print every typed value with these: the worker must start it without them.
                ["DEBUG"] = "pw:api,pw:protocol,pw:channel",
            };
            var first = await world.StartServiceAsync("first run", environment);
            var id = await PostAccountPurchaseAsync(world, first, webhooks.Url());
            await world.WaitUntilAsync(() => held.Task.IsCompleted, "the password to be accepted and the code page held", first);
            var midSignIn = await world.WaitForAsync(first, id, p => StepDone(p, PasswordStep), "the password step");
            Assert.Multiple(() =>
            {
                Assert.That(Status(midSignIn), Is.EqualTo(PurchaseStatus.CheckingOut), world.Explain(midSignIn));
                Assert.That(world.Shop.SignInAttempts, Is.EqualTo(1), "the password was sent");
                Assert.That(world.Shop.CodeVerifications, Is.Zero, "held before the code");
                Assert.That(world.Shop.PaySubmissions, Is.Zero, "no final click before the kill");
            });

            await first.KillAsync();
            var second = await world.StartServiceAsync("second run", environment);
            var ended = await world.WaitForAsync(second, id, ServiceWorld.IsTerminal, "a terminal status");
            Assert.Multiple(() =>
            {
                Assert.That(Status(ended), Is.EqualTo(PurchaseStatus.Succeeded), world.Explain(ended));
                Assert.That(ServiceWorld.Kinds(ended), Does.Contain("resumed"), world.Explain(ended));
                Assert.That(world.Shop.Orders, Has.Count.EqualTo(1), "bought exactly once");
                Assert.That(world.Shop.PaySubmissions, Is.EqualTo(1), "one final click");
                Assert.That(holds, Is.EqualTo(2), "the resumed checkout signed in again in a fresh page");
                Assert.That(world.Shop.SignIns, Is.EqualTo(1));
            });

            var cookie = await SessionCookieAsync(AccountsOn(dataDirectory), host);
            var canaries = Canaries(password, secret);
            canaries.Add(LeakCanary.Text("shop session cookie (dcs_session)", cookie));
            canaries.AddRange(LeakCanary.CodesBetween("typed", secret, since, DateTime.UtcNow));
            var sweep = new LeakSweep([world.Emulator.Sandbox.IssuedCards.Single()], canaries, since,
                new LeakSources(second.BaseAddress, world.Token, id, dataDirectory, seq, webhooks));
            await sweep.LiveAsync();
            sweep.Text("account add (the owner's CLI)", added.Out + added.Err, host);
            Assert.That(await second.TerminateAsync(TimeSpan.FromSeconds(30)), Is.Zero, second.Describe());
            sweep.Final(first.Output + second.Output, browserRan: true);
            Assert.That(sweep.LeftoverProfileFiles, Is.Not.Empty, "the killed browser's profile stayed in the temp folder and was scanned");
        }
        finally
        {
            AccountCommand.InputOverride = null;
            await world.DisposeAsync();
            DataDirectoryTest.Delete(dataDirectory);
        }
    }

    /// <summary>The account service of a data directory, as the CLI verbs open it (the key file beside the database).</summary>
    private static AccountService AccountsOn(string dataDirectory)
    {
        var worker = new WorkerOptions { DataDirectory = dataDirectory };
        var database = new CheckoutDatabase(worker.DatabasePath);
        database.Initialize();
        return new AccountService(new AccountStore(database, TimeProvider.System), Options.Create(new AccountOptions()), Options.Create(worker));
    }

    private static async Task<string> PostAccountPurchaseAsync(ServiceWorld world, ServiceProcess run, string callbackUrl)
    {
        var body = TestService.PurchaseBodyFor(world.Shop, callbackUrl: callbackUrl);
        body["recipe"] = "demo-account";
        using var response = await TestService.PostPurchaseAsync(run.Client(world.Token), body, "leak-" + Guid.NewGuid().ToString("N"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text + "\n" + run.Describe());
        using var created = JsonDocument.Parse(text);
        return created.RootElement.GetProperty("id").GetString()!;
    }

    private static string Status(JsonElement purchase) => ServiceWorld.Status(purchase);

    private static List<string> Messages(JsonElement purchase) => [.. ServiceWorld.Timeline(purchase).Select(e => e.Message)];

    private static bool StepDone(JsonElement purchase, int step) =>
        ServiceWorld.Timeline(purchase).Any(e => e.Kind == "step" && e.Message.StartsWith($"step {step}/", StringComparison.Ordinal));

    private static void AssertFailed(JsonElement purchase, string code, string? messageHas = null) =>
        ServiceWorld.AssertFailed(purchase, code, messageHas);
}
