using System.Runtime.Versioning;

namespace CheckoutAgent.Tests.LinkClient;

/// <summary>
/// What the sandbox client's tests share: a clock that moves only when told to and a fresh directory for card files,
/// deleted after each test.
/// </summary>
[UnsupportedOSPlatform("windows")]
public abstract class SandboxClientTest
{
    private protected ManualTimeProvider Time { get; private set; } = null!;

    private protected TempDirectory Dir { get; private set; } = null!;

    [SetUp]
    public void SetUp()
    {
        Time = new ManualTimeProvider();
        Dir = new TempDirectory();
    }

    [TearDown]
    public void TearDown() => Dir.Dispose();
}
