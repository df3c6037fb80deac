namespace CheckoutAgent.Storage;

/// <summary>
/// Seals the secrets the worker must read back in clear (an agent's webhook signing secrets) before they reach the
/// database, and opens them again. The worker's implementation encrypts under the key kept outside the database (the
/// merchant-account key); the stores only ever write what <see cref="Seal"/> returned.
/// </summary>
public interface ISecretSealer
{
    /// <summary>The stored form of <paramref name="plaintext"/>, bound to its owner and purpose: copied to another row it does not open.</summary>
    /// <param name="owner">Whose secret it is, e.g. an agent id.</param>
    /// <param name="purpose">What it is, e.g. <c>webhook-secret</c>.</param>
    string Seal(string owner, string purpose, string plaintext);

    /// <summary>The secret <paramref name="stored"/> holds.</summary>
    /// <exception cref="Exception">The key is not the one it was sealed with, or it belongs to another owner or purpose: the message says what to do and holds no secret.</exception>
    string Unseal(string owner, string purpose, string stored);
}
