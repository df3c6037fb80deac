
namespace CheckoutAgent.Tests.Storage;

/// <summary>Both the store's connections and Quartz's wait for SQLite's lock in SQLite's busy handler.</summary>
public class BusyTimeoutTests : DataDirectoryTest
{
    [Test]
    public async Task Store_and_Quartz_connections_open_with_a_busy_timeout()
    {
        var database = new CheckoutDatabase(Path.Combine(DataDirectory, "busy.db"));
        database.Initialize();
        await using (var ours = await database.OpenAsync(CancellationToken.None))
        {
            Assert.That(await BusyTimeoutAsync(ours), Is.EqualTo(30000));
        }

        var provider = new BusyWaitingSqliteProvider(database.ConnectionString);
        await using var quartz = provider.CreateConnection();
        quartz.ConnectionString = provider.ConnectionString;
        await quartz.OpenAsync();
        Assert.That(await BusyTimeoutAsync(quartz), Is.EqualTo(30000));
    }

    private static async Task<long> BusyTimeoutAsync(System.Data.Common.DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
