using System.Net;
using Microsoft.Playwright;
using OtpNet;

namespace CheckoutAgent.DemoMerchant.Tests;

/// <summary>The account variant in Chromium: no guest checkout, password then authenticator code, a remembered session.</summary>
public sealed class AccountVariantTests : BrowserTestBase
{
    private const string Email = "grace@example.com";
    private const string Password = "Tr1cky-Pa55word!";

    // RFC 6238 appendix B: the SHA-1 key "12345678901234567890" (base32 below) gives 07081804 at 1111111109 s; 6 digits: 081804.
    private const string RfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    private const string RfcCode = "081804";
    private static readonly DateTimeOffset RfcTime = DateTimeOffset.FromUnixTimeSeconds(1111111109);

    private static DemoShopOptions Options(TimeProvider? clock = null) => new()
    {
        Variant = DemoVariant.Account,
        AccountEmail = Email,
        AccountPassword = Password,
        AccountTotpSecret = RfcSecret,
        Clock = clock ?? new FixedClock(RfcTime),
    };

    private static async Task SignInAsync(IPage page, string email, string password)
    {
        await Field(page, "Email").FillAsync(email);
        await Field(page, "Password").FillAsync(password);
        await Button(page, "Sign in").ClickAsync();
    }

    private static async Task VerifyAsync(IPage page, string code)
    {
        await Field(page, "Verification code").FillAsync(code);
        await Button(page, "Verify").ClickAsync();
    }

    [Test]
    public async Task CheckoutNeedsPasswordAndCodeThenPaysAndTheSessionCookieSkipsSignInInAFreshContext()
    {
        var authorizer = RecordingAuthorizer.Approving();
        var shop = await StartShopAsync(Options(), authorizer);
        var page = await NewPageAsync();

        await GoToCheckoutAsync(page, shop);
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/account/sign-in"), "no guest checkout");
        await SignInAsync(page, "Grace@Example.com", Password);
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/account/verify"), "a right password is only the first step");
        Assert.That(shop.SignIns, Is.Zero);
        await VerifyAsync(page, RfcCode);

        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/checkout"));
        Assert.That(await page.GetByTestId("signed-in-as").InnerTextAsync(), Is.EqualTo(Email));
        Assert.That(await Field(page, "Email").CountAsync(), Is.Zero, "a signed-in checkout asks for no email");
        await FillShippingAsync(page, withEmail: false);
        await FillCardAsync(page);
        var orderNumber = await PayAsync(page);

        Assert.That(await page.GetByTestId("order-email").InnerTextAsync(), Is.EqualTo(Email));
        Assert.That(shop.Orders.Single().OrderNumber, Is.EqualTo(orderNumber));
        Assert.That(shop.Orders.Single().Email, Is.EqualTo(Email));
        Assert.That((shop.SignInAttempts, shop.CodeVerifications, shop.SignIns), Is.EqualTo((1, 1, 1)));
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "dcs_session");
        Assert.That(session.HttpOnly, Is.True, "scripts on the page cannot read the session");

        // The same buyer later, in a new browser context that carries only the saved storage state.
        var state = await page.Context.StorageStateAsync();
        var later = await NewPageAsync(new BrowserNewContextOptions { StorageState = state });
        await GoToCheckoutAsync(later, shop);
        Assert.That(new Uri(later.Url).AbsolutePath, Is.EqualTo("/checkout"));
        Assert.That(await later.GetByTestId("signed-in-as").InnerTextAsync(), Is.EqualTo(Email));
        Assert.That((shop.SignInAttempts, shop.CodeVerifications, shop.SignIns), Is.EqualTo((1, 1, 1)), "no second sign-in");

        // Control: without the state, a new context is sent to sign in.
        var stranger = await NewPageAsync();
        await GoToCheckoutAsync(stranger, shop);
        Assert.That(new Uri(stranger.Url).AbsolutePath, Is.EqualTo("/account/sign-in"));
    }

    [Test]
    public async Task WrongPasswordOrCodeSignsNobodyInAndNeitherPasswordNorCodeIsEchoedOrLogged()
    {
        var shop = await StartShopAsync(Options());
        var page = await NewPageAsync();
        var pages = new List<string>();
        var staleCode = new Totp(Base32Encoding.ToBytes(RfcSecret)).ComputeTotp(RfcTime.UtcDateTime.AddSeconds(-90));
        Assume.That(staleCode, Is.Not.EqualTo(RfcCode));

        await GoToCheckoutAsync(page, shop);
        await SignInAsync(page, Email, "wrong-" + Password);
        pages.Add(await page.ContentAsync());
        Assert.That(await page.GetByTestId("signin-error").InnerTextAsync(), Does.Contain("incorrect"));
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/account/sign-in"));
        Assert.That(await Field(page, "Password").InputValueAsync(), Is.Empty);
        Assert.That(await Field(page, "Email").InputValueAsync(), Is.EqualTo(Email), "the email is kept");

        await SignInAsync(page, Email, Password);
        pages.Add(await page.ContentAsync());
        await VerifyAsync(page, staleCode);
        pages.Add(await page.ContentAsync());
        Assert.That(await page.GetByTestId("signin-error").InnerTextAsync(), Does.Contain("code"));
        Assert.That(await Field(page, "Verification code").InputValueAsync(), Is.Empty);
        Assert.That(shop.SignIns, Is.Zero);
        Assert.That((await page.Context.CookiesAsync()).Select(c => c.Name), Has.None.EqualTo("dcs_session"));

        await page.GotoAsync(new Uri(shop.BaseUrl, "checkout").ToString());
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/account/sign-in"), "still not signed in");
        Assert.That((shop.SignInAttempts, shop.CodeVerifications), Is.EqualTo((2, 1)));

        var log = string.Join('\n', Logs.Lines);
        Assert.That(log, Does.Contain("Account sign-in refused: wrong password").And.Contain("wrong verification code"), "the refusals were logged");
        foreach (var secret in new[] { Password, "wrong-" + Password, staleCode, RfcSecret })
        {
            Assert.That(log, Does.Not.Contain(secret));
            Assert.That(pages, Has.None.Contain(secret));
        }
    }

    [Test]
    public async Task TooManyWrongCodesSendTheBuyerBackToThePasswordStep()
    {
        var shop = await StartShopAsync(Options());
        var page = await NewPageAsync();
        await GoToCheckoutAsync(page, shop);
        await SignInAsync(page, Email, Password);

        for (var i = 0; i < 5; i++)
        {
            await VerifyAsync(page, "000000");
        }
        // The right code no longer helps: the half-done sign-in is gone.
        await VerifyAsync(page, RfcCode);

        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/account/sign-in"));
        Assert.That(shop.SignIns, Is.Zero);
        Assert.That(shop.CodeVerifications, Is.EqualTo(6));
    }
}

/// <summary>The account variant's code check over plain HTTP: RFC 6238 vectors, the ±1 step window, the system clock.</summary>
[TestFixture]
public sealed class AccountCodeTests : HttpShopTest
{
    private const string RfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    /// <summary>Signs in with the password, then posts <paramref name="code"/>; returns the verify POST's status.</summary>
    private async Task<(HttpStatusCode Status, DemoShop Shop)> SignInWithCodeAsync(TimeProvider clock, string code)
    {
        var shop = await DemoShop.StartAsync(new DemoShopOptions
        {
            Variant = DemoVariant.Account, AccountEmail = "a@example.com", AccountPassword = "pw", AccountTotpSecret = RfcSecret, Clock = clock,
        }, RecordingAuthorizer.Approving());
        Track(shop);
        var buyer = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }, disposeHandler: true)
        {
            BaseAddress = shop.BaseUrl,
        };
        Track(buyer);
        using (var password = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "a@example.com", ["password"] = "pw" }))
        using (var signIn = await buyer.PostAsync(new Uri("/account/sign-in", UriKind.Relative), password))
        {
            Assert.That(signIn.Headers.Location?.OriginalString, Is.EqualTo("/account/verify"));
        }
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = code });
        using var verify = await buyer.PostAsync(new Uri("/account/verify", UriKind.Relative), form);
        return (verify.StatusCode, shop);
    }

    // 1111111109 s is the last second of its 30 s step: one step later the code is the previous step's, one step earlier the next's.
    [TestCase(0, true)]
    [TestCase(30, true)]
    [TestCase(-30, true)]
    [TestCase(60, false)]
    [TestCase(-60, false)]
    public async Task RfcVectorCodeIsAcceptedWithinOneStepEitherSide(int clockOffsetSeconds, bool accepted)
    {
        var clock = new FixedClock(DateTimeOffset.FromUnixTimeSeconds(1111111109 + clockOffsetSeconds));

        var (status, shop) = await SignInWithCodeAsync(clock, "081804");

        Assert.That(status, Is.EqualTo(accepted ? HttpStatusCode.SeeOther : HttpStatusCode.Unauthorized));
        Assert.That(shop.SignIns, Is.EqualTo(accepted ? 1 : 0));
    }

    [Test]
    public async Task CodeFromAnAuthenticatorAppOnTheSystemClockSignsIn()
    {
        var code = new Totp(Base32Encoding.ToBytes(RfcSecret)).ComputeTotp(DateTime.UtcNow);

        var (status, shop) = await SignInWithCodeAsync(TimeProvider.System, code[..3] + " " + code[3..]);

        Assert.That(status, Is.EqualTo(HttpStatusCode.SeeOther), "the current code, typed with a space as apps show it");
        Assert.That(shop.SignIns, Is.EqualTo(1));
    }

    [Test]
    public void InvalidAccountOptionsAreRejected()
    {
        Assert.That(async () => await DemoShop.StartAsync(new DemoShopOptions { AccountTotpSecret = "not base32!" }, RecordingAuthorizer.Approving()),
            Throws.ArgumentException);
        Assert.That(async () => await DemoShop.StartAsync(new DemoShopOptions { AccountTotpSecret = "GEZDGNBV" }, RecordingAuthorizer.Approving()),
            Throws.ArgumentException, "40 bits is too short");
        Assert.That(async () => await DemoShop.StartAsync(new DemoShopOptions { AccountPassword = "" }, RecordingAuthorizer.Approving()),
            Throws.ArgumentException);
    }
}
