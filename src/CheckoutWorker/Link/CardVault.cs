using System.Security.Cryptography;
using System.Text;
using CheckoutAgent.Link.Cards;
using CheckoutAgent.Worker.Configuration;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.Link;

/// <summary>
/// Where one-time card files live while a purchase needs them: a private 0700 folder, by default on tmpfs
/// (<c>$XDG_RUNTIME_DIR</c> or <c>/dev/shm</c>) so the card never touches a disk, one folder per data directory so two
/// workers never sweep each other's cards. File names are purchase ids: the path itself reveals nothing.
/// </summary>
public sealed class CardVault(IOptions<LinkOptions> link, IOptions<WorkerOptions> worker)
{
    public string Directory { get; } = Resolve(link.Value.CardDirectory, worker.Value.DataDirectoryFullPath);

    public string PathFor(string purchaseId) => Path.Combine(Directory, purchaseId + ".json");

    public void EnsureDirectory() => CardFile.EnsurePrivateDirectory(Directory);

    public void Delete(string purchaseId) => CardFile.Delete(PathFor(purchaseId));

    /// <summary>Purchase ids that have a card file now.</summary>
    public IEnumerable<string> ListPurchaseIds() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            : [];

    /// <summary>The card folder for a configured value (or none) and a data directory.</summary>
    internal static string Resolve(string? configured, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }
        var tmpfs = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && System.IO.Directory.Exists(runtime)
            ? runtime
            : System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : null;
        if (tmpfs is null)
        {
            return Path.Combine(dataDirectory, "cards");
        }
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dataDirectory)))[..12];
        return Path.Combine(tmpfs, $"checkout-agent-cards-{key}");
    }
}
