using System.Text;
using CheckoutAgent.Worker.Configuration;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Accounts;

/// <summary>
/// The owner's merchant accounts: stored encrypted (<see cref="AccountVault"/>) in the data store, read by purchases at
/// the same host, never shown to agents. A kept shop session belongs to one account and is dropped when that account
/// is removed or rotated.
/// </summary>
public sealed class AccountService(AccountStore store, IOptions<AccountOptions> options, IOptions<WorkerOptions> worker)
{
    private AccountVault? _vault;

    private AccountVault Vault(bool create) =>
        _vault ??= AccountVault.Open(options.Value, worker.Value, create);

    /// <summary>The lower-case host a merchant URL's account is stored under.</summary>
    public static string HostOf(string merchantUrl) =>
        AccountStore.NormalizeHost(Uri.TryCreate(merchantUrl, UriKind.Absolute, out var uri) ? uri.Host : merchantUrl);

    /// <summary>Adds the account for <paramref name="host"/>. The stored username is masked; the real one is inside the ciphertext.</summary>
    public async Task<MerchantAccountSummary> AddAsync(string host, string username, string password, byte[]? totpKey, CancellationToken cancellationToken)
    {
        host = AccountStore.NormalizeHost(host);
        if (await store.GetAsync(host, cancellationToken) is not null)
        {
            throw new AccountKeyException($"{host} already has an account; change its password with: checkout-agent account rotate {host}, or remove it first");
        }
        var sealedLogin = Vault(create: true).SealLogin(host, username, password, totpKey);
        return (await store.AddAsync(host, AccountSecret.Mask(username), sealedLogin, totpKey is not null, cancellationToken)).ToSummary();
    }

    /// <summary>Replaces the password (and the TOTP secret, when given; else keeps the old one) and drops the kept session.</summary>
    public async Task<MerchantAccountSummary> RotateAsync(string host, string password, byte[]? totpKey, CancellationToken cancellationToken)
    {
        host = AccountStore.NormalizeHost(host);
        var current = await store.GetAsync(host, cancellationToken)
            ?? throw new AccountKeyException($"{host} has no account; add one with: checkout-agent account add {host} --username USER");
        var old = Vault(create: false).OpenLogin(host, current.Secret);
        var key = totpKey ?? old.TotpKeyCopy();
        var sealedLogin = Vault(create: false).SealLogin(host, old.Reveal(Core.Recipes.AccountField.Username), password, key);
        await store.ReplaceSecretAsync(host, sealedLogin, key is not null, cancellationToken);
        return (await store.GetAsync(host, cancellationToken))!.ToSummary();
    }

    /// <summary>Removes the account and its kept session; false when there was none.</summary>
    public Task<bool> RemoveAsync(string host, CancellationToken cancellationToken) => store.RemoveAsync(AccountStore.NormalizeHost(host), cancellationToken);

    /// <summary>Every account, without secrets.</summary>
    public Task<IReadOnlyList<MerchantAccountSummary>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    /// <summary>The account for <paramref name="host"/>, decrypted, and its kept session (Playwright storage state) if any; null when none.</summary>
    /// <exception cref="AccountKeyException">The key is missing or changed: the message says what to do.</exception>
    public async Task<(AccountSecret Account, string? Session)?> OpenAsync(string host, CancellationToken cancellationToken)
    {
        host = AccountStore.NormalizeHost(host);
        if (await store.GetAsync(host, cancellationToken) is not { } record)
        {
            return null;
        }
        var vault = Vault(create: false);
        var account = vault.OpenLogin(host, record.Secret);
        string? session = null;
        if (record.Session is { } sealedSession)
        {
            try
            {
                session = Encoding.UTF8.GetString(vault.Unseal(host, "session", sealedSession));
            }
            catch (AccountKeyException)
            {
                // A session that no longer opens is only a lost convenience: the shop asks for a sign-in again.
                await store.ClearSessionAsync(host, cancellationToken);
            }
        }
        return (account, session);
    }

    /// <summary>Keeps the shop's cookies after a successful purchase, encrypted for this account only.</summary>
    public Task SaveSessionAsync(string host, string storageState, CancellationToken cancellationToken)
    {
        host = AccountStore.NormalizeHost(host);
        return store.SaveSessionAsync(host, Vault(create: false).Seal(host, "session", Encoding.UTF8.GetBytes(storageState)), cancellationToken);
    }

    /// <summary>Records that a purchase used the account.</summary>
    public Task TouchAsync(string host, DateTimeOffset at, CancellationToken cancellationToken) =>
        store.TouchAsync(AccountStore.NormalizeHost(host), at, cancellationToken);
}
