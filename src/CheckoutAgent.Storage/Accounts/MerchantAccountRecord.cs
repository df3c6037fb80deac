namespace CheckoutAgent.Storage;

/// <summary>
/// An account the worker signs in with at one shop. <see cref="Secret"/> and <see cref="Session"/> are ciphertext the
/// host encrypted (the password and TOTP seed; the shop's cookies): the store keeps the bytes and never reads them.
/// </summary>
/// <param name="Host">The shop's host, lower-case: the key.</param>
public sealed record MerchantAccountRecord(
    string Host, string Username, byte[] Secret, bool HasTotp, byte[]? Session,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? LastUsedAt)
{
    /// <summary>The same account without its secret and session bytes, for lists and output.</summary>
    public MerchantAccountSummary ToSummary() => new(Host, Username, HasTotp, Session is not null, CreatedAt, UpdatedAt, LastUsedAt);
}

/// <summary>An account as listed: who, and whether a TOTP seed and a saved session exist, but none of their bytes.</summary>
public sealed record MerchantAccountSummary(
    string Host, string Username, bool HasTotp, bool HasSession,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? LastUsedAt);
