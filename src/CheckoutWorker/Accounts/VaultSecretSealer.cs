using System.Text;
using CheckoutAgent.Storage;

namespace CheckoutAgent.Worker.Accounts;

/// <summary>
/// Seals the agents' webhook signing secrets with the merchant-account key (<see cref="AccountVault"/>, AES-256-GCM),
/// bound to the agent's id: the database holds <c>sealed:v1:</c> and base64, never the secret. The key is opened (and on
/// one machine created, 0600, in the data directory) at the first use. Several workers on one database need the same
/// key: <c>Accounts__Key</c> on every node.
/// </summary>
public sealed class VaultSecretSealer(Func<AccountVault> openVault) : ISecretSealer
{
    private const string Prefix = "sealed:v1:";
    private readonly Lazy<AccountVault> _vault = new(openVault);

    public string Seal(string owner, string purpose, string plaintext) =>
        Prefix + Convert.ToBase64String(_vault.Value.Seal(owner, purpose, Encoding.UTF8.GetBytes(plaintext)));

    public string Unseal(string owner, string purpose, string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        byte[] blob;
        try
        {
            blob = stored.StartsWith(Prefix, StringComparison.Ordinal) ? Convert.FromBase64String(stored[Prefix.Length..]) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new AccountKeyException($"the stored {purpose} of {owner} is not in a format this version knows; restore the database from a backup");
        }
        try
        {
            return Encoding.UTF8.GetString(_vault.Value.Unseal(owner, purpose, blob));
        }
        catch (AccountKeyException)
        {
            throw new AccountKeyException(
                $"the database's secrets were sealed with another key than this worker's ({_vault.Value.KeySource}){(owner == "settings" ? "" : $": the {purpose} of {owner} does not open")}. "
                + "Several workers on one database need the same key: set the same Accounts__Key on every node. On one machine, restore the key file from your backup");
        }
    }

    /// <summary>The sealer of a worker: its vault opened from the account settings, the key file made when there is none.</summary>
    public static VaultSecretSealer For(AccountOptions options, Configuration.WorkerOptions worker) =>
        new(() => AccountVault.Open(options, worker, create: true));
}
