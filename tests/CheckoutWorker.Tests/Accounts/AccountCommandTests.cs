using System.Security.Cryptography;
using CheckoutAgent.Tests.Clients;
using CheckoutAgent.Worker.Cli;
using OtpNet;

namespace CheckoutAgent.Tests.Accounts;

/// <summary>
/// <c>checkout-agent account add|list|rotate</c> print nothing secret: not the password, not the TOTP secret (in any
/// case or as its key's bytes), also when a secret is refused. Secrets come through <see cref="AccountCommand.InputOverride"/>,
/// as standard input would bring them.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AccountCommandTests : DataDirectoryTest
{
    private const string Host = "shop.example.com";
    private const string Username = "owner@example.com";

    [TearDown]
    public void ResetInput() => AccountCommand.InputOverride = null;

    private static string NewPassword() => $"Cli+pw&{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";

    private static string NewSecret() => Base32Encoding.ToString(RandomNumberGenerator.GetBytes(20)).TrimEnd('=');

    private Task<CliRun> RunAsync(string stdin, params string[] args)
    {
        AccountCommand.InputOverride = new StringReader(stdin);
        return ClientCli.RunAsync([.. args, "--data-dir", DataDirectory]);
    }

    /// <summary>The forms a TOTP secret could be printed in: as given, lower case, grouped, its key as hex and base64.</summary>
    private static IEnumerable<string> SecretForms(string secret)
    {
        var compact = new string(secret.Where(char.IsAsciiLetterOrDigit).ToArray());
        yield return secret;
        yield return compact.ToUpperInvariant();
        yield return compact.ToLowerInvariant();
        if (compact.Length >= 16 && compact.ToUpperInvariant().All(c => c is >= 'A' and <= 'Z' or >= '2' and <= '7'))
        {
            var key = Base32Encoding.ToBytes(compact);
            yield return Convert.ToHexString(key);
            yield return Convert.ToHexStringLower(key);
            yield return Convert.ToBase64String(key);
        }
    }

    private static void AssertClean(CliRun run, string password, string secret)
    {
        var printed = run.Out + "\n" + run.Err;
        Assert.That(printed, Does.Not.Contain(password), "the password was printed");
        foreach (var form in SecretForms(secret))
        {
            Assert.That(printed, Does.Not.Contain(form), "the TOTP secret was printed");
        }
    }

    [Test]
    public async Task Add_list_and_rotate_print_neither_the_password_nor_the_secret()
    {
        var (password, secret) = (NewPassword(), NewSecret());
        var add = await RunAsync($"{password}\n{secret}\n", "account", "add", Host, "--username", Username, "--totp-secret-stdin");
        Assert.That(add.Code, Is.Zero, add.ToString());
        Assert.That(add.Out, Does.Contain(Host).And.Contain("one-time codes"), "add reports what it stored");
        AssertClean(add, password, secret);

        var list = await RunAsync("", "account", "list");
        var json = await RunAsync("", "account", "list", "--json");
        foreach (var run in new[] { list, json })
        {
            Assert.That(run.Code, Is.Zero, run.ToString());
            Assert.That(run.Out, Does.Contain(Host), "the list shows the account");
            Assert.That(run.Out, Does.Not.Contain(Username), "the username is masked");
            AssertClean(run, password, secret);
        }

        var (newPassword, newSecret) = (NewPassword(), NewSecret());
        var rotate = await RunAsync($"{newPassword}\n{newSecret}\n", "account", "rotate", Host, "--totp-secret-stdin");
        Assert.That(rotate.Code, Is.Zero, rotate.ToString());
        AssertClean(rotate, password, secret);
        AssertClean(rotate, newPassword, newSecret);
    }

    [TestCase("not base32", "Zz9!notbase32!{0}")]
    [TestCase("too short", "ABCDEF{0}")]
    [TestCase("otpauth with SHA256", "otpauth://totp/Shop:owner?secret={0}&algorithm=SHA256&digits=6&period=30")]
    [TestCase("otpauth with 8 digits", "otpauth://totp/Shop:owner?secret={0}&digits=8")]
    [TestCase("otpauth hotp", "otpauth://hotp/Shop:owner?secret={0}&counter=1")]
    public async Task A_refused_secret_is_not_echoed_and_nothing_is_stored(string why, string template)
    {
        var password = NewPassword();
        // Short enough for the "too short" case to stay too short, distinctive enough to be found if echoed.
        var marker = why == "too short" ? "QX7" : NewSecret();
        var secret = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, marker);

        var add = await RunAsync($"{password}\n{secret}\n", "account", "add", Host, "--username", Username, "--totp-secret-stdin");

        Assert.That(add.Code, Is.EqualTo(2), add.ToString());
        Assert.That(add.Err, Does.Contain("--totp-secret-stdin"), "the error says which input was refused");
        AssertClean(add, password, secret);
        AssertClean(add, password, marker);
        var list = await RunAsync("", "account", "list");
        Assert.That(list.Out, Does.Contain("no accounts"), "a refused secret stores nothing");
    }
}
