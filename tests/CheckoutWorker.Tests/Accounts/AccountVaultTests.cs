using System.Text;
using System.Text.Json;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Configuration;
using Microsoft.Extensions.Time.Testing;
using OtpNet;

namespace CheckoutAgent.Tests.Accounts;

/// <summary>Merchant accounts at rest: AES-GCM under a key outside the database, bound to host and purpose; TOTP codes.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class AccountVaultTests
{
    private const string Password = "correct-horse-battery-9271";
    private const string Base32Secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("ca-vault-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private WorkerOptions Worker => new() { DataDirectory = _dir };

    private AccountVault Vault(bool create = true) => AccountVault.Open(new AccountOptions(), Worker, create);

    [Test]
    public void A_sealed_login_opens_to_the_same_account_and_holds_no_plain_text()
    {
        var vault = Vault();
        var blob = vault.SealLogin("shop.example.com", "owner@example.com", Password, Base32Encoding.ToBytes(Base32Secret));

        Assert.That(Encoding.UTF8.GetString(blob), Does.Not.Contain(Password).And.Not.Contain("owner@example.com"));
        var account = vault.OpenLogin("shop.example.com", blob);
        Assert.That(account.Reveal(Core.Recipes.AccountField.Password), Is.EqualTo(Password));
        Assert.That(account.Reveal(Core.Recipes.AccountField.Username), Is.EqualTo("owner@example.com"));
        Assert.That(account.HasTotp, Is.True);
        Assert.That(account.ToString(), Is.EqualTo("account at shop.example.com (o•••@example.com)"));
        Assert.That(JsonSerializer.Serialize(account), Does.Not.Contain(Password).And.Not.Contain("owner@"));
    }

    [Test]
    public void The_key_file_is_made_0600_at_the_first_add_and_required_afterwards()
    {
        Assert.That(() => Vault(create: false), Throws.TypeOf<AccountKeyException>().With.Message.Contains("account.key is missing"));
        Vault(create: true);
        var path = Path.Combine(_dir, "account.key");
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(() => Vault(create: false), Throws.Nothing);
    }

    [Test]
    public void A_changed_key_is_a_clear_error_naming_the_host()
    {
        var blob = Vault().SealLogin("shop.example.com", "owner@example.com", Password, null);
        File.Delete(Path.Combine(_dir, "account.key"));
        var other = Vault(create: true);

        var error = Assert.Throws<AccountKeyException>(() => other.OpenLogin("shop.example.com", blob))!;
        Assert.That(error.Message, Does.StartWith("cannot decrypt the account for shop.example.com: the key changed"));
        Assert.That(error.Message, Does.Contain("restore it or re-add the account"));
    }

    [Test]
    public void A_blob_copied_to_another_host_or_purpose_does_not_open()
    {
        var vault = Vault();
        var blob = vault.SealLogin("shop.example.com", "owner@example.com", Password, null);
        Assert.That(() => vault.OpenLogin("other.example.com", blob), Throws.TypeOf<AccountKeyException>());
        Assert.That(() => vault.Unseal("shop.example.com", "session", blob), Throws.TypeOf<AccountKeyException>());
    }

    [Test]
    public void A_key_file_others_can_read_is_refused()
    {
        Vault();
        var path = Path.Combine(_dir, "account.key");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.That(() => Vault(create: false), Throws.TypeOf<AccountKeyException>().With.Message.Contains("chmod 600"));
    }

    [Test]
    public void A_key_from_the_environment_wins_and_a_bad_one_says_how_to_make_one()
    {
        var key = Convert.ToBase64String(new byte[32]);
        var vault = AccountVault.Open(new AccountOptions { Key = key }, Worker, create: false);
        Assert.That(File.Exists(Path.Combine(_dir, "account.key")), Is.False);
        Assert.That(vault.OpenLogin("a.example", vault.SealLogin("a.example", "u", "p", null)).Reveal(Core.Recipes.AccountField.Password), Is.EqualTo("p"));
        Assert.That(() => AccountVault.Open(new AccountOptions { Key = "c2hvcnQ=" }, Worker, false),
            Throws.TypeOf<AccountKeyException>().With.Message.Contains("holds 5 bytes").And.Message.Contains("/dev/urandom"));
    }

    [TestCase("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP")]
    [TestCase("jbswy3dpehpk3pxpjbswy3dpehpk3pxp")]
    [TestCase("otpauth://totp/Shop:owner%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Shop&digits=6&period=30")]
    public void Totp_secrets_read_from_base32_or_an_otpauth_uri(string input) =>
        Assert.That(TotpSecret.Parse(input), Is.EqualTo(Base32Encoding.ToBytes(Base32Secret)));

    [TestCase("otpauth://totp/Shop?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA256", "algorithm SHA256")]
    [TestCase("otpauth://hotp/Shop?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "not a TOTP URI")]
    [TestCase("not-a-secret-1890!", "must be base32")]
    public void Bad_totp_secrets_are_refused_without_repeating_them(string input, string expected)
    {
        var error = Assert.Throws<FormatException>(() => TotpSecret.Parse(input))!;
        Assert.That(error.Message, Does.Contain(expected));
        Assert.That(error.Message, Does.Not.Contain("JBSWY3DP").And.Not.Contain("1890"));
    }

    [Test]
    public async Task The_code_is_the_rfc_6238_code_of_the_moment_of_typing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 10, 0, 5, TimeSpan.Zero));
        var key = Base32Encoding.ToBytes(Base32Secret);
        var account = new AccountSecret("shop.example.com", "owner", Password, key);

        Assert.That(await account.CodeAsync(time, CancellationToken.None), Is.EqualTo(new Totp(key).ComputeTotp(time.GetUtcNow().UtcDateTime)));
    }

    [Test]
    public async Task A_code_about_to_expire_is_not_typed_the_next_one_is()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 10, 0, 28, TimeSpan.Zero));
        var key = Base32Encoding.ToBytes(Base32Secret);
        var account = new AccountSecret("shop.example.com", "owner", Password, key);
        var expiring = new Totp(key).ComputeTotp(time.GetUtcNow().UtcDateTime);

        var code = account.CodeAsync(time, CancellationToken.None);
        Assert.That(code.IsCompleted, Is.False, "waits for the next 30 s step");
        time.Advance(TimeSpan.FromSeconds(3));
        var typed = await code;

        Assert.That(typed, Is.Not.EqualTo(expiring));
        Assert.That(typed, Is.EqualTo(new Totp(key).ComputeTotp(new DateTime(2026, 12, 3, 10, 0, 31, DateTimeKind.Utc))));
    }

    [Test]
    public void An_account_without_a_totp_secret_says_how_to_add_one() =>
        Assert.That(() => new AccountSecret("shop.example.com", "owner", Password, null).CodeAsync(TimeProvider.System, CancellationToken.None),
            Throws.TypeOf<InvalidOperationException>().With.Message.Contains("account rotate shop.example.com --totp-secret-stdin"));
}
