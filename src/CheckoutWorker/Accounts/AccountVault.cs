using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CheckoutAgent.Worker.Configuration;

namespace CheckoutAgent.Worker.Accounts;

/// <summary>Where the key that encrypts merchant accounts comes from.</summary>
public sealed class AccountOptions
{
    public const string SectionName = "Accounts";

    /// <value>
    /// The key itself, base64 of 32 random bytes (<c>Accounts__Key</c> in the environment, for containers). Wins over
    /// <see cref="KeyFile"/>. Default: none.
    /// </value>
    public string? Key { get; set; }

    /// <summary>The settings as the owner's CLI verbs read them: from the environment (<c>Accounts__Key</c>, <c>Accounts__KeyFile</c>).</summary>
    public static AccountOptions FromEnvironment() => new()
    {
        Key = Environment.GetEnvironmentVariable("Accounts__Key"),
        KeyFile = Environment.GetEnvironmentVariable("Accounts__KeyFile"),
    };

    /// <value>A 0600 file holding the key. Default <c>account.key</c> in the data directory, created at the first start (or <c>account add</c>).</value>
    public string? KeyFile { get; set; }
}

/// <summary>A merchant account that cannot be decrypted or stored: the message says what to do, and holds no secret.</summary>
public sealed class AccountKeyException(string message) : Exception(message);

/// <summary>
/// Encrypts merchant accounts and their shop sessions with AES-256-GCM (the BCL's <see cref="AesGcm"/>) under a key kept
/// outside the database. Each blob is bound to its host and purpose as associated data, so a session or login copied
/// to another account's row fails to decrypt instead of being used for the wrong shop.
/// Blob: version (1 byte) · nonce (12) · tag (16) · ciphertext.
/// </summary>
public sealed class AccountVault
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;
    private readonly string _keySource;

    private AccountVault(byte[] key, string keySource)
    {
        _key = key;
        _keySource = keySource;
    }

    /// <summary>Where the key came from, for messages: <c>Accounts:Key</c> or the key file's path.</summary>
    public string KeySource => _keySource;

    /// <summary>The key file's default place.</summary>
    public static string DefaultKeyFile(WorkerOptions worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        return Path.Combine(worker.DataDirectoryFullPath, "account.key");
    }

    /// <summary>
    /// Opens the vault with the configured key. <paramref name="create"/>: make a new key file when there is none (the
    /// first <c>account add</c>); otherwise a missing key is an <see cref="AccountKeyException"/>.
    /// </summary>
    public static AccountVault Open(AccountOptions options, WorkerOptions worker, bool create)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.Key))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(options.Key.Trim());
            }
            catch (FormatException)
            {
                throw new AccountKeyException("Accounts:Key (Accounts__Key) is not base64: it must be 32 random bytes in base64, e.g. from: head -c 32 /dev/urandom | base64");
            }
            return key.Length == 32
                ? new AccountVault(key, "Accounts:Key")
                : throw new AccountKeyException($"Accounts:Key (Accounts__Key) holds {key.Length} bytes; it must be 32 random bytes in base64, e.g. from: head -c 32 /dev/urandom | base64");
        }
        if (OperatingSystem.IsWindows())
        {
            // The key file's safety is its 0600 mode; Windows has no equivalent to rely on here.
            throw new AccountKeyException("a key file needs Unix permissions; on this system set Accounts__Key instead");
        }
        var path = Path.GetFullPath(string.IsNullOrWhiteSpace(options.KeyFile) ? DefaultKeyFile(worker) : options.KeyFile);
        if (!File.Exists(path))
        {
            if (!create)
            {
                throw new AccountKeyException($"the account key file {path} is missing; restore it from your backup (or set Accounts__Key), or re-add the accounts with checkout-agent account add");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var fresh = RandomNumberGenerator.GetBytes(32);
            // Created 0600 from the start: the key is never readable by others, not even for a moment.
            using (var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(fresh) + "\n"));
            }
            return new AccountVault(fresh, path);
        }
        if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new AccountKeyException($"the account key file {path} is readable by other users; make it private with: chmod 600 {path}");
        }
        try
        {
            var key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return key.Length == 32 ? new AccountVault(key, path) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new AccountKeyException($"the account key file {path} does not hold a key (32 bytes in base64); restore it from your backup");
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> for <paramref name="host"/> and <paramref name="purpose"/>.</summary>
    public byte[] Seal(string host, string purpose, ReadOnlySpan<byte> plaintext)
    {
        var blob = new byte[1 + NonceSize + TagSize + plaintext.Length];
        blob[0] = Version;
        var nonce = blob.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, blob.AsSpan(1 + NonceSize + TagSize), blob.AsSpan(1 + NonceSize, TagSize), Associated(host, purpose));
        return blob;
    }

    /// <summary>Decrypts a blob sealed for the same host and purpose.</summary>
    /// <exception cref="AccountKeyException">The key changed, or the blob belongs to another account.</exception>
    public byte[] Unseal(string host, string purpose, byte[] blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Length < 1 + NonceSize + TagSize || blob[0] != Version)
        {
            throw new AccountKeyException($"cannot decrypt the account for {host}: its stored {purpose} is not in a format this version knows; re-add the account");
        }
        var plaintext = new byte[blob.Length - 1 - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(blob.AsSpan(1, NonceSize), blob.AsSpan(1 + NonceSize + TagSize), blob.AsSpan(1 + NonceSize, TagSize), plaintext, Associated(host, purpose));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new AccountKeyException($"cannot decrypt the account for {host}: the key changed ({_keySource}); restore it or re-add the account");
        }
        return plaintext;
    }

    /// <summary>Seals a login: username, password and the TOTP key.</summary>
    public byte[] SealLogin(string host, string username, string password, byte[]? totpKey) =>
        Seal(host, "login", JsonSerializer.SerializeToUtf8Bytes(new Login(username, password, totpKey is null ? null : Convert.ToBase64String(totpKey))));

    /// <summary>Opens a sealed login as an <see cref="AccountSecret"/>.</summary>
    public AccountSecret OpenLogin(string host, byte[] blob)
    {
        var bytes = Unseal(host, "login", blob);
        try
        {
            var login = JsonSerializer.Deserialize<Login>(bytes) ?? throw new JsonException();
            return new AccountSecret(host, login.Username, login.Password, login.Totp is null ? null : Convert.FromBase64String(login.Totp));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static byte[] Associated(string host, string purpose) => Encoding.UTF8.GetBytes($"checkout-agent/account/v1\n{host.ToLowerInvariant()}\n{purpose}");

    private sealed record Login(string Username, string Password, string? Totp);
}
