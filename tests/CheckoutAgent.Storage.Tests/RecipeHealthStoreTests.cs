namespace CheckoutAgent.Tests.Storage;

[TestFixture(CheckoutDatabase.SqliteProvider)]
[TestFixture(CheckoutDatabase.PostgresProvider)]
public class RecipeHealthStoreTests(string provider) : StorageTest(provider)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private RecipeHealthStore _store = null!;

    [SetUp]
    public async Task CreateStore()
    {
        var database = OpenDatabase();
        await database.InitializeAsync(CancellationToken.None);
        _store = new RecipeHealthStore(database);
    }

    private static RecipeCheckRecord Check(string recipe, int minutes, bool passed) => new(
        RecipeCheckRecord.NewId(), recipe, Start.AddMinutes(minutes), passed, passed ? "ready_for_secrets" : "step_failed:3",
        passed ? null : 3, passed ? null : "click role button \"Add to basket\"", passed ? "reached step 11" : "nothing matched",
        passed ? null : "http://shop/ \"Shop\"", "/tmp/check.png", 1234, "schedule");

    [Test]
    public async Task Latest_is_the_newest_check_of_each_recipe_with_every_field_kept()
    {
        await _store.RecordAsync(Check("alpha", 0, passed: true), CancellationToken.None);
        var broken = Check("alpha", 5, passed: false);
        await _store.RecordAsync(broken, CancellationToken.None);
        await _store.RecordAsync(Check("beta", 1, passed: true), CancellationToken.None);
        await _store.SetAlertAsync(broken.Id, "recipe.broken delivered (200) on attempt 1", CancellationToken.None);

        var latest = await _store.LatestAsync(CancellationToken.None);

        Assert.That(latest.Keys, Is.EquivalentTo(new[] { "alpha", "beta" }));
        Assert.That(latest["alpha"], Is.EqualTo(broken with { Alert = "recipe.broken delivered (200) on attempt 1" }));
        Assert.That(latest["beta"].Passed, Is.True);
        Assert.That(latest["beta"].FailedStep, Is.Null);
    }

    [Test]
    public async Task History_is_newest_first_and_trimmed_to_the_kept_number_per_recipe()
    {
        for (var i = 0; i < RecipeHealthStore.KeepPerRecipe + 3; i++)
        {
            await _store.RecordAsync(Check("alpha", i, passed: i % 2 == 0), CancellationToken.None);
        }
        await _store.RecordAsync(Check("beta", 0, passed: true), CancellationToken.None);

        var history = await _store.HistoryAsync("alpha", 1000, CancellationToken.None);

        Assert.That(history, Has.Count.EqualTo(RecipeHealthStore.KeepPerRecipe));
        Assert.That(history[0].CheckedAt, Is.EqualTo(Start.AddMinutes(RecipeHealthStore.KeepPerRecipe + 2)));
        Assert.That(history.Select(c => c.CheckedAt), Is.Ordered.Descending);
        Assert.That(await _store.HistoryAsync("beta", 10, CancellationToken.None), Has.Count.EqualTo(1), "another recipe's history is untouched");
    }
}
