using CheckoutAgent.Tests.Clients;

namespace CheckoutAgent.Tests.Cli;

/// <summary><c>serve</c> with storage it cannot use: one line on stderr that says what to fix, and an exit code a supervisor understands.</summary>
public class ServeStartupTests : DataDirectoryTest
{
    private const string Password = "pg-password-never-printed-41c7";

    [Test]
    public async Task Serve_PostgresUnreachable_OneLine_NoPassword_Exit69()
    {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        var run = await ClientCli.RunProcessAsync(new Dictionary<string, string>
        {
            ["Storage__Provider"] = "postgres",
            ["Storage__ConnectionString"] = $"Host=127.0.0.1;Port=1;Database=shop;Username=checkout;Password={Password}",
        }, "serve", "--urls", "http://127.0.0.1:0", "--data-dir", DataDirectory);

        Assert.That(run.Code, Is.EqualTo(69), run.ToString());
        Assert.That(run.Err.Trim().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace: " + run);
        Assert.That(run.Err, Does.StartWith("error: the database postgres://127.0.0.1:1/shop could not be reached: "));
        Assert.That(run.Err, Does.Contain("Storage:ConnectionString"));
        Assert.That(run.Out + run.Err, Does.Not.Contain(Password));
    }

    [Test]
    public async Task Serve_PostgresWithoutConnectionString_SaysWhichSetting_Exit78()
    {
        var run = await ClientCli.RunProcessAsync(new Dictionary<string, string> { ["Storage__Provider"] = "postgres" },
            "serve", "--urls", "http://127.0.0.1:0", "--data-dir", DataDirectory);

        Assert.That(run.Code, Is.EqualTo(78), run.ToString());
        Assert.That(run.Err, Does.StartWith("error: Storage:Provider is 'postgres' but no connection string is set"));
    }
}
