using System.Security.Cryptography;

namespace CheckoutAgent.Worker.Cluster;

/// <summary>
/// This worker process among the nodes sharing a database: its id is recorded as the owner of the purchases it runs
/// and the merchant slots it holds (host name, process id and a random suffix, so two runs of one host never collide).
/// </summary>
public sealed class WorkerNode
{
    /// <value>e.g. <c>worker-2/4711/9f3a</c>.</value>
    public string Id { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";
}
