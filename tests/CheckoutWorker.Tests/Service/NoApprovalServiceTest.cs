namespace CheckoutAgent.Tests.Service;

/// <summary>
/// A fresh serve host for each test whose Link sandbox never answers approval requests: purchases wait at approval,
/// so nothing needs a shop or a browser.
/// </summary>
public abstract class NoApprovalServiceTest
{
    private protected TestService Server { get; private set; } = null!;

    [SetUp]
    public async Task StartAsync() => Server = await TestService.StartWithoutApprovalAsync();

    [TearDown]
    public async Task StopAsync() => await Server.DisposeAsync();
}
