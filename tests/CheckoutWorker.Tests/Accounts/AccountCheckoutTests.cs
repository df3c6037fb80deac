using System.Text;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Demo;
using Microsoft.Extensions.DependencyInjection;

namespace CheckoutAgent.Tests.Accounts;

/// <summary>
/// Purchases at a shop with no guest checkout, through the real worker and Chromium: sign-in with password and one-time
/// code, the kept session skipping the sign-in next time, and every way it can go wrong ending before a click, with
/// the password, the TOTP secret and the shop's session cookie in no log, database text or timeline.
/// </summary>
[Category("Browser")]
[NonParallelizable]
public class AccountCheckoutTests
{
    private const string Password = "Pw-canary-7c1e0d93";
    private const string TotpBase32 = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";

    private static DemoShopOptions ShopOptions() => new()
    {
        Variant = DemoVariant.Account, AccountEmail = "owner@shop.test", AccountPassword = Password, AccountTotpSecret = TotpBase32,
    };

    private static async Task<(DemoShop Shop, TestWorker Worker, LinkSandbox Sandbox, DemoShopOptions Options)> StartAsync()
    {
        var sandbox = new LinkSandbox(new LinkSandboxOptions());
        var options = ShopOptions();
        var shop = await DemoShop.StartAsync(options, new SandboxIssuer(sandbox));
        var worker = await TestWorker.StartAsync(sandbox, new Dictionary<string, string?>(DemoRunner.ShopConfiguration(shop)));
        return (shop, worker, sandbox, options);
    }

    private static AccountService Accounts(TestWorker worker) => worker.Services.GetRequiredService<AccountService>();

    private static async Task<(PurchaseRecord Purchase, IReadOnlyList<PurchaseEvent> Timeline)> BuyAsync(TestWorker worker, DemoShop shop, DemoShopOptions options)
    {
        var purchase = await worker.EnqueueAsync(DemoRunner.Request(shop, options, "pour-over-dripper", 1, "demo-account"));
        var ended = await worker.WaitForEndAsync(purchase.Id, TimeSpan.FromSeconds(90));
        return (ended, await worker.Store.GetTimelineAsync(purchase.Id, CancellationToken.None));
    }

    [Test]
    public async Task The_second_purchase_reuses_the_kept_session_and_skips_the_sign_in()
    {
        var (shop, worker, _, options) = await StartAsync();
        await using var shopScope = shop;
        await using var workerScope = worker;
        var host = AccountService.HostOf(shop.BaseUrl.ToString());
        await Accounts(worker).AddAsync(host, options.AccountEmail, Password, TotpSecret.Parse(TotpBase32), CancellationToken.None);

        var (first, firstTimeline) = await BuyAsync(worker, shop, options);
        Assert.That(first.Status, Is.EqualTo(PurchaseStatus.Succeeded), first.Outcome?.Message);
        Assert.That(shop.SignIns, Is.EqualTo(1));
        Assert.That(firstTimeline.Select(e => e.Message), Has.Some.Contains("showed: ran its 5 step(s)"));
        Assert.That(firstTimeline.Select(e => e.Message), Has.Some.Contains("session is kept (encrypted)"));

        var (second, secondTimeline) = await BuyAsync(worker, shop, options);
        Assert.That(second.Status, Is.EqualTo(PurchaseStatus.Succeeded), second.Outcome?.Message);
        Assert.That(shop.SignIns, Is.EqualTo(1), "no second sign-in");
        Assert.That(shop.SignInAttempts, Is.EqualTo(1));
        Assert.That(secondTimeline.Select(e => e.Message), Has.Some.Contains("the kept session is loaded"));
        Assert.That(secondTimeline.Select(e => e.Message), Has.Some.Contains("did not show (the next step's element did): skipped its 5 step(s)"));
        Assert.That(shop.Orders, Has.Count.EqualTo(2));

        // The session's cookie, the password and the TOTP secret: in no log or database text, and no timeline.
        var session = (await Accounts(worker).OpenAsync(host, CancellationToken.None))!.Value.Session!;
        var cookie = System.Text.Json.JsonDocument.Parse(session).RootElement.GetProperty("cookies").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "dcs_session").GetProperty("value").GetString()!;
        AssertNowhere(worker, [Password, TotpBase32, cookie], firstTimeline.Concat(secondTimeline));
        Assert.That(firstTimeline.Concat(secondTimeline).Select(e => e.Message), Has.None.Contains("@shop.test"),
            "agents read timelines: not even the masked username is in them");
    }

    [Test]
    public async Task Rotating_the_account_drops_the_kept_session()
    {
        var (shop, worker, _, options) = await StartAsync();
        await using var shopScope = shop;
        await using var workerScope = worker;
        var host = AccountService.HostOf(shop.BaseUrl.ToString());
        await Accounts(worker).AddAsync(host, options.AccountEmail, Password, TotpSecret.Parse(TotpBase32), CancellationToken.None);
        Assert.That((await BuyAsync(worker, shop, options)).Purchase.Status, Is.EqualTo(PurchaseStatus.Succeeded));

        await Accounts(worker).RotateAsync(host, Password, null, CancellationToken.None);
        Assert.That((await Accounts(worker).OpenAsync(host, CancellationToken.None))!.Value.Session, Is.Null);
        var (again, timeline) = await BuyAsync(worker, shop, options);

        Assert.That(again.Status, Is.EqualTo(PurchaseStatus.Succeeded), again.Outcome?.Message);
        Assert.That(shop.SignIns, Is.EqualTo(2), "signed in afresh");
        Assert.That(timeline.Select(e => e.Message), Has.Some.Contains("no kept session"));
    }

    [Test]
    public async Task Without_an_account_the_purchase_ends_login_required_before_Link_is_asked()
    {
        var (shop, worker, sandbox, options) = await StartAsync();
        await using var shopScope = shop;
        await using var workerScope = worker;

        var (purchase, _) = await BuyAsync(worker, shop, options);

        Assert.That(purchase.Status, Is.EqualTo(PurchaseStatus.Failed));
        Assert.That(purchase.Outcome!.Code, Is.EqualTo(FailureCodes.LoginRequired));
        Assert.That(purchase.Outcome.Message, Does.Contain("checkout-agent account add 127.0.0.1 --username"));
        Assert.That(purchase.SpendRequestId, Is.Null, "Link was never asked");
        Assert.That(sandbox.List(includeHistory: true), Is.Empty);
        Assert.That(shop.SignInAttempts, Is.Zero);
    }

    [TestCase("wrong-password")]
    [TestCase("wrong-code")]
    public async Task A_refused_sign_in_ends_login_required_without_a_click_or_a_leak(string fault)
    {
        var (shop, worker, _, options) = await StartAsync();
        await using var shopScope = shop;
        await using var workerScope = worker;
        var host = AccountService.HostOf(shop.BaseUrl.ToString());
        const string wrongPassword = "Wrong-pw-canary-55aa91";
        const string wrongTotp = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";
        await Accounts(worker).AddAsync(host, options.AccountEmail, fault == "wrong-password" ? wrongPassword : Password,
            TotpSecret.Parse(fault == "wrong-code" ? wrongTotp : TotpBase32), CancellationToken.None);

        var (purchase, timeline) = await BuyAsync(worker, shop, options);

        Assert.That(purchase.Outcome!.Code, Is.EqualTo(FailureCodes.LoginRequired), purchase.Outcome.Message);
        Assert.That(timeline.Count(e => e.Kind == PurchaseStatus.Submitting), Is.Zero, "no final click");
        Assert.That(shop.SignIns, Is.Zero);
        Assert.That(shop.PaymentAttempts, Is.Zero);
        AssertNowhere(worker, [Password, wrongPassword, TotpBase32, wrongTotp], timeline);
    }

    private static void AssertNowhere(TestWorker worker, IReadOnlyList<string> secrets, IEnumerable<PurchaseEvent> timeline)
    {
        var places = 0;
        TestStorage.Dump(worker.DataDirectory);
        foreach (var file in Directory.EnumerateFiles(worker.DataDirectory, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(".png", StringComparison.Ordinal))
            {
                continue;
            }
            var text = Encoding.UTF8.GetString(File.ReadAllBytes(file));
            foreach (var secret in secrets)
            {
                Assert.That(text, Does.Not.Contain(secret), $"{secret[..4]}… found in {file}");
            }
            places++;
        }
        Assert.That(places, Is.GreaterThan(2), "the database and logs were scanned");
        foreach (var entry in timeline)
        {
            foreach (var secret in secrets)
            {
                Assert.That(entry.Message, Does.Not.Contain(secret));
            }
        }
    }
}
