using System.Text;

namespace CheckoutAgent.Tests.Storage;

/// <summary>
/// The stores' tests' sealer: a reversible encoding, not encryption (the worker's AES-GCM sealer has its own tests). It
/// is strict where the real one is: a value opens only for the owner and purpose it was sealed for, and anything not
/// sealed by it is refused, so a store that wrote a secret unsealed or under the wrong agent fails these tests.
/// </summary>
internal sealed class TestSecretSealer : ISecretSealer
{
    private const string Prefix = "test-sealed:";

    public int Sealed { get; private set; }

    public string Seal(string owner, string purpose, string plaintext)
    {
        Sealed++;
        return Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{owner}\n{purpose}\n{plaintext}"));
    }

    public string Unseal(string owner, string purpose, string stored)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the {purpose} of {owner} was not sealed");
        }
        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(stored[Prefix.Length..])).Split('\n', 3);
        return parts[0] == owner && parts[1] == purpose ? parts[2] : throw new InvalidOperationException($"sealed for {parts[0]}/{parts[1]}, opened as {owner}/{purpose}");
    }
}
