using System.Net;
using System.Net.Sockets;

namespace CheckoutAgent.Core.Intake;

/// <summary>
/// Where webhooks may be sent. By default only to public addresses: a callback that points into the network the worker
/// runs in (loopback, RFC 1918, link-local where cloud metadata services answer, carrier-grade NAT, unique-local IPv6,
/// multicast, unspecified and reserved ranges, and the IPv4-mapped and embedded IPv6 forms of these) is refused, so an
/// agent cannot make the worker send requests to internal services (SSRF). The owner opens it with
/// <see cref="AllowPrivateNetworks"/> (tests, a receiver on the same machine) or an allowlist of hosts and CIDRs
/// (on-premise receivers). Intake checks the URL's literal address or <c>localhost</c> name; the webhook sender checks
/// every address a name resolves to, on the socket it connects, so DNS rebinding cannot slip past.
/// </summary>
public sealed record CallbackRules
{
    /// <summary>Public addresses only, nothing allowlisted.</summary>
    public static CallbackRules Strict { get; } = new();

    /// <value>Every address allowed, private ones included. Default false.</value>
    public bool AllowPrivateNetworks { get; init; }

    /// <value>Host names allowed whatever they resolve to (exact, case-insensitive). Default none.</value>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <value>Networks allowed even though private (e.g. <c>10.20.0.0/16</c>). Default none.</value>
    public IReadOnlyList<IPNetwork> AllowedNetworks { get; init; } = [];

    /// <summary>
    /// Reads an allowlist of host names, IP addresses and CIDRs (<c>hooks.corp.example</c>, <c>10.0.0.5</c>,
    /// <c>10.20.0.0/16</c>, <c>fd00::/8</c>). Errors name each bad entry.
    /// </summary>
    public static (CallbackRules Rules, IReadOnlyList<string> Errors) Create(bool allowPrivateNetworks, IEnumerable<string>? allowList)
    {
        var hosts = new List<string>();
        var networks = new List<IPNetwork>();
        var errors = new List<string>();
        foreach (var raw in allowList ?? [])
        {
            var entry = raw.Trim();
            if (entry.Contains('/', StringComparison.Ordinal))
            {
                if (IPNetwork.TryParse(entry, out var network))
                {
                    networks.Add(network);
                }
                else
                {
                    errors.Add($"'{entry}' is not a CIDR such as 10.20.0.0/16 or fd00::/8");
                }
            }
            else if (IPAddress.TryParse(entry.Trim('[', ']'), out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else if (Uri.CheckHostName(entry) == UriHostNameType.Dns)
            {
                hosts.Add(entry.TrimEnd('.').ToLowerInvariant());
            }
            else
            {
                errors.Add($"'{entry}' is neither a host name, an IP address nor a CIDR");
            }
        }
        return (new CallbackRules { AllowPrivateNetworks = allowPrivateNetworks, AllowedHosts = hosts, AllowedNetworks = networks }, errors);
    }

    /// <summary>Whether <paramref name="host"/> is on the allowlist by name (then any address it resolves to is fine).</summary>
    public bool IsAllowedHost(string host) =>
        AllowedHosts.Contains(host.TrimEnd('.').ToLowerInvariant(), StringComparer.Ordinal);

    /// <summary>Why a webhook may not go to <paramref name="address"/> (e.g. "a private address (RFC 1918)"), or null when it may.</summary>
    public string? Refusal(IPAddress address)
    {
        if (AllowPrivateNetworks)
        {
            return null;
        }
        var inner = Unwrap(address);
        if (AllowedNetworks.Any(n => n.Contains(address) || n.Contains(inner)))
        {
            return null;
        }
        return Classify(address);
    }

    /// <summary>
    /// At intake, before any DNS: the refusal for a callback URL whose host is an IP literal or a <c>localhost</c> name,
    /// or null (names are checked again, after resolution, when the webhook is sent).
    /// </summary>
    public string? RefusalAtIntake(Uri url)
    {
        var host = url.IdnHost.Trim('[', ']');
        if (IsAllowedHost(host))
        {
            return null;
        }
        if (IPAddress.TryParse(host, out var address))
        {
            return Refusal(address) is { } why ? $"{Display(address)} is {why}" : null;
        }
        var name = host.TrimEnd('.').ToLowerInvariant();
        if (!AllowPrivateNetworks && (name == "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal)))
        {
            return $"{name} is {Loopback}";
        }
        return null;
    }

    private const string Loopback = "a loopback address (this machine)";

    private static readonly (IPNetwork Network, string Rule)[] Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified address (0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT address (100.64.0.0/10)"),
        (IPNetwork.Parse("127.0.0.0/8"), Loopback),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (169.254.0.0/16, where cloud metadata services answer)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("192.0.0.0/24"), "a reserved address (192.0.0.0/24)"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address (RFC 1918)"),
        (IPNetwork.Parse("198.18.0.0/15"), "a reserved address (198.18.0.0/15)"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address (224.0.0.0/4)"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved or broadcast address (240.0.0.0/4)"),
        (IPNetwork.Parse("::/128"), "an unspecified address (::)"),
        (IPNetwork.Parse("::1/128"), Loopback),
        (IPNetwork.Parse("fc00::/7"), "a unique-local address (fc00::/7, the IPv6 private range)"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address (fe80::/10)"),
        (IPNetwork.Parse("fec0::/10"), "a site-local address (fec0::/10)"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address (ff00::/8)"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");

    /// <summary>The non-public range <paramref name="address"/> is in, as a phrase, or null for a public address.</summary>
    public static string? Classify(IPAddress address)
    {
        var inner = Unwrap(address);
        foreach (var (network, rule) in Ranges)
        {
            if (network.Contains(inner))
            {
                return ReferenceEquals(inner, address) ? rule : $"{rule}, in IPv6 form";
            }
        }
        return null;
    }

    /// <summary>An IPv4 address carried inside an IPv6 one (mapped, compatible, NAT64, 6to4), else the address itself.</summary>
    private static IPAddress Unwrap(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        var bytes = address.GetAddressBytes();
        if (Nat64.Contains(address) || (Compatible.Contains(address) && !IPAddress.IPv6Loopback.Equals(address) && !IPAddress.IPv6None.Equals(address)))
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }
        if (SixToFour.Contains(address))
        {
            return new IPAddress(bytes.AsSpan(2, 4));
        }
        return address;
    }

    private static string Display(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
