using CheckoutAgent.Worker.Link;

namespace CheckoutAgent.Tests;

/// <summary>Gives each test its own data directory under the temp folder, removed afterwards.</summary>
public abstract class DataDirectoryTest
{
    protected string DataDirectory { get; private set; } = "";

    internal static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "checkout-agent-tests", Guid.NewGuid().ToString("N"));

    [SetUp]
    public void CreateDataDirectory() => DataDirectory = NewDataDirectory();

    /// <summary>The default card folder the worker uses for this test's data directory.</summary>
    protected string CardDirectory => CardVault.Resolve(null, DataDirectory);

    [TearDown]
    public void DeleteDataDirectory() => Delete(DataDirectory);

    internal static void Delete(string dataDirectory)
    {
        foreach (var directory in new[] { dataDirectory, CardVault.Resolve(null, dataDirectory) })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
