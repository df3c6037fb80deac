namespace CheckoutAgent.Tests.Storage;

[TestFixture(CheckoutDatabase.SqliteProvider)]
[TestFixture(CheckoutDatabase.PostgresProvider)]
public class AccountStoreTests(string provider) : StorageTest(provider)
{
    private static readonly byte[] Secret = [1, 2, 3, 4], OtherSecret = [9, 8, 7], Session = [42, 43];
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private ManualTime _time = null!;
    private AccountStore _accounts = null!;

    [SetUp]
    public async Task CreateStore()
    {
        var database = OpenDatabase();
        await database.InitializeAsync(CancellationToken.None);
        _time = new ManualTime(Start);
        _accounts = new AccountStore(database, _time);
    }

    [Test]
    public async Task Add_stores_the_account_under_its_lower_case_host_and_Get_returns_it_with_its_bytes()
    {
        var added = await _accounts.AddAsync("Shop.Example.COM", "ada@example.com", Secret, hasTotp: true, CancellationToken.None);

        Assert.That(added.Host, Is.EqualTo("shop.example.com"));
        var found = await _accounts.GetAsync("SHOP.example.com", CancellationToken.None);
        Assert.That(found, Is.Not.Null);
        Assert.That(found!.Host, Is.EqualTo("shop.example.com"));
        Assert.That(found.Username, Is.EqualTo("ada@example.com"));
        Assert.That(found.Secret, Is.EqualTo(Secret));
        Assert.That(found.HasTotp, Is.True);
        Assert.That(found.Session, Is.Null);
        Assert.That(found.CreatedAt, Is.EqualTo(Start));
        Assert.That(found.UpdatedAt, Is.EqualTo(Start));
        Assert.That(found.LastUsedAt, Is.Null);
    }

    [Test]
    public async Task Get_of_an_unknown_host_is_null()
    {
        await _accounts.AddAsync("shop.example.com", "ada", Secret, false, CancellationToken.None);

        Assert.That(await _accounts.GetAsync("other.example.com", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Add_for_a_host_that_has_an_account_fails_clearly_and_keeps_the_first()
    {
        await _accounts.AddAsync("shop.example.com", "ada", Secret, false, CancellationToken.None);

        var error = Assert.ThrowsAsync<ArgumentException>(() => _accounts.AddAsync("SHOP.example.com", "bob", OtherSecret, true, CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("shop.example.com").And.Contain("already exists"));
        var kept = await _accounts.GetAsync("shop.example.com", CancellationToken.None);
        Assert.That(kept!.Username, Is.EqualTo("ada"));
        Assert.That(kept.Secret, Is.EqualTo(Secret));
    }

    [Test]
    public async Task List_gives_every_account_by_host_without_secret_or_session_bytes()
    {
        await _accounts.AddAsync("zeta.example.com", "z", Secret, true, CancellationToken.None);
        await _accounts.AddAsync("alpha.example.com", "a", Secret, false, CancellationToken.None);
        await _accounts.SaveSessionAsync("zeta.example.com", Session, CancellationToken.None);

        var list = await _accounts.ListAsync(CancellationToken.None);

        Assert.That(list.Select(a => (a.Host, a.Username, a.HasTotp, a.HasSession)),
            Is.EqualTo(new[] { ("alpha.example.com", "a", false, false), ("zeta.example.com", "z", true, true) }));
        Assert.That(typeof(MerchantAccountSummary).GetProperties().Select(p => p.PropertyType), Has.None.EqualTo(typeof(byte[])),
            "a summary cannot carry the bytes");
    }

    [Test]
    public async Task Remove_deletes_the_account_and_says_whether_there_was_one()
    {
        await _accounts.AddAsync("shop.example.com", "ada", Secret, false, CancellationToken.None);

        Assert.That(await _accounts.RemoveAsync("Shop.Example.com", CancellationToken.None), Is.True);
        Assert.That(await _accounts.GetAsync("shop.example.com", CancellationToken.None), Is.Null);
        Assert.That(await _accounts.RemoveAsync("shop.example.com", CancellationToken.None), Is.False);
    }

    [Test]
    public async Task ReplaceSecret_changes_secret_and_totp_and_clears_the_session()
    {
        await _accounts.AddAsync("shop.example.com", "ada", Secret, true, CancellationToken.None);
        await _accounts.SaveSessionAsync("shop.example.com", Session, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.That(await _accounts.ReplaceSecretAsync("shop.example.com", OtherSecret, hasTotp: false, CancellationToken.None), Is.True);

        var changed = await _accounts.GetAsync("shop.example.com", CancellationToken.None);
        Assert.That(changed!.Secret, Is.EqualTo(OtherSecret));
        Assert.That(changed.HasTotp, Is.False);
        Assert.That(changed.Session, Is.Null, "the session belonged to the old credentials");
        Assert.That(changed.UpdatedAt, Is.EqualTo(Start.AddHours(1)));
        Assert.That(changed.CreatedAt, Is.EqualTo(Start));
        Assert.That(await _accounts.ReplaceSecretAsync("none.example.com", OtherSecret, false, CancellationToken.None), Is.False);
    }

    [Test]
    public async Task SaveSession_keeps_the_bytes_and_ClearSession_forgets_them()
    {
        await _accounts.AddAsync("shop.example.com", "ada", Secret, false, CancellationToken.None);

        Assert.That(await _accounts.SaveSessionAsync("shop.example.com", Session, CancellationToken.None), Is.True);
        Assert.That((await _accounts.GetAsync("shop.example.com", CancellationToken.None))!.Session, Is.EqualTo(Session));
        Assert.That((await _accounts.GetAsync("shop.example.com", CancellationToken.None))!.Secret, Is.EqualTo(Secret), "the secret is untouched");

        Assert.That(await _accounts.ClearSessionAsync("shop.example.com", CancellationToken.None), Is.True);
        Assert.That((await _accounts.GetAsync("shop.example.com", CancellationToken.None))!.Session, Is.Null);
        Assert.That(await _accounts.SaveSessionAsync("none.example.com", Session, CancellationToken.None), Is.False);
        Assert.That(await _accounts.ClearSessionAsync("none.example.com", CancellationToken.None), Is.False);
    }

    [Test]
    public async Task Touch_records_the_last_use_and_nothing_else()
    {
        await _accounts.AddAsync("shop.example.com", "ada", Secret, false, CancellationToken.None);
        var used = Start.AddDays(2);
        _time.Advance(TimeSpan.FromDays(3));

        Assert.That(await _accounts.TouchAsync("shop.example.com", used, CancellationToken.None), Is.True);

        var touched = await _accounts.GetAsync("shop.example.com", CancellationToken.None);
        Assert.That(touched!.LastUsedAt, Is.EqualTo(used));
        Assert.That(touched.UpdatedAt, Is.EqualTo(Start), "using an account is not changing it");
        Assert.That((await _accounts.ListAsync(CancellationToken.None)).Single().LastUsedAt, Is.EqualTo(used));
        Assert.That(await _accounts.TouchAsync("none.example.com", used, CancellationToken.None), Is.False);
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
