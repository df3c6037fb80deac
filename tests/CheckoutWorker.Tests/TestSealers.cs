using System.Security.Cryptography;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Configuration;

namespace CheckoutAgent.Tests;

/// <summary>The worker's own sealer (AES-GCM under the account key) for tests that write agents next to a service.</summary>
internal static class TestSealers
{
    /// <summary>The key a test cluster's nodes share (<c>Accounts__Key</c>), new for each test run.</summary>
    public static readonly string ClusterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The sealer a service on <paramref name="dataDirectory"/> uses: its <c>account.key</c>, made when missing.</summary>
    public static ISecretSealer ForDataDirectory(string dataDirectory) =>
        VaultSecretSealer.For(new AccountOptions(), new WorkerOptions { DataDirectory = dataDirectory });

    /// <summary>The sealer of nodes given <see cref="ClusterKey"/>.</summary>
    public static ISecretSealer ForCluster() =>
        VaultSecretSealer.For(new AccountOptions { Key = ClusterKey }, new WorkerOptions());
}
