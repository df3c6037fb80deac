using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CheckoutAgent.Worker.OperatorConsole;

/// <summary>
/// Where the console's data-protection keys live: in the worker's database (<see cref="ConsoleKeyStore"/>), so every
/// node of a cluster signs and reads the same session cookies, with each key's secret sealed by the account key
/// (<see cref="ISecretSealer"/>), so the database never holds it in clear. ASP.NET Core's key manager does the rest:
/// it makes, rotates and picks the keys; this only stores them.
/// </summary>
internal static class ConsoleKeyRing
{
    public const string SealOwner = "console";
    public const string SealPurpose = "data-protection-key";

    public static IServiceCollection AddConsoleKeyRing(this IServiceCollection services)
    {
        services.AddSingleton(sp => new ConsoleKeyStore(sp.GetRequiredService<IConnectionFactory>(), sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(options =>
        {
            options.XmlRepository = new DatabaseXmlRepository(sp.GetRequiredService<ConsoleKeyStore>());
            options.XmlEncryptor = new SealingXmlEncryptor(sp.GetRequiredService<ISecretSealer>());
        }));
        return services;
    }

    /// <summary>The key manager's repository on <see cref="ConsoleKeyStore"/>. The key manager calls it synchronously, rarely (start-up, a new key).</summary>
    private sealed class DatabaseXmlRepository(ConsoleKeyStore store) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements() =>
            [.. store.AllAsync(CancellationToken.None).GetAwaiter().GetResult().Select(xml => XElement.Parse(xml))];

        public void StoreElement(XElement element, string friendlyName) =>
            store.AddAsync(friendlyName, element.ToString(SaveOptions.DisableFormatting), CancellationToken.None).GetAwaiter().GetResult();
    }
}

/// <summary>Seals a data-protection key's secret with the account key: the element stored holds <c>sealed:v1:…</c> only.</summary>
internal sealed class SealingXmlEncryptor(ISecretSealer sealer) : IXmlEncryptor
{
    public const string ElementName = "sealedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var sealedText = sealer.Seal(ConsoleKeyRing.SealOwner, ConsoleKeyRing.SealPurpose, plaintextElement.ToString(SaveOptions.DisableFormatting));
        return new EncryptedXmlInfo(new XElement(ElementName, sealedText), typeof(SealingXmlDecryptor));
    }
}

/// <summary>Opens what <see cref="SealingXmlEncryptor"/> sealed. The key manager creates it by type name, with the services.</summary>
internal sealed class SealingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        var sealer = services.GetRequiredService<ISecretSealer>();
        return XElement.Parse(sealer.Unseal(ConsoleKeyRing.SealOwner, ConsoleKeyRing.SealPurpose, encryptedElement.Value));
    }
}
