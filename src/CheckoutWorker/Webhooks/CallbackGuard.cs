using System.Net;
using System.Net.Sockets;

namespace CheckoutAgent.Worker.Webhooks;

/// <summary>Resolves a callback's host name to addresses (DNS by default; tests give one that answers what they choose).</summary>
public interface ICallbackResolver
{
    ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver.</summary>
public sealed class DnsCallbackResolver : ICallbackResolver
{
    public async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        await Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>A callback refused by <see cref="CallbackRules"/> at connect time; the message names the address and the rule.</summary>
public sealed class CallbackRefusedException(string message) : Exception(message);

/// <summary>
/// The webhook client's <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host itself, connects only to
/// addresses the rules allow, and checks the connected socket's peer once more. The address checked is the address
/// used, so a name that resolves to a public address when first looked at and to a private one later (DNS rebinding)
/// is still refused. A host on the allowlist by name may resolve anywhere.
/// </summary>
public sealed class CallbackGuard(CallbackRules rules, ICallbackResolver resolver)
{
    /// <summary>
    /// The HTTP client for callbacks (purchase webhooks, <c>recipe.broken</c>): every connection is made through a guard
    /// with <paramref name="options"/>' rules (no SSRF, no DNS rebinding), no redirects, cookies or proxy, and no overall
    /// timeout (each request brings its own).
    /// </summary>
    /// <param name="resolver">Resolves callback hosts; default DNS.</param>
    public static HttpClient CreateClient(WebhookOptions options, ICallbackResolver? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = options.RequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = new CallbackGuard(options.Rules(), resolver ?? new DnsCallbackResolver()).ConnectAsync,
        }, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var byName = rules.IsAllowedHost(host);
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolver.ResolveAsync(host, cancellationToken);
        string? refusal = null;
        SocketException? failure = null;
        foreach (var address in addresses)
        {
            if (!byName && rules.Refusal(address) is { } rule)
            {
                refusal ??= $"{host} resolves to {address}, {rule}";
                continue;
            }
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                if (!byName && socket.RemoteEndPoint is IPEndPoint peer && rules.Refusal(peer.Address) is { } peerRule)
                {
                    throw new CallbackRefusedException($"{host} connected to {peer.Address}, {peerRule}");
                }
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                failure = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        if (failure is not null)
        {
            throw failure;
        }
        throw refusal is not null ? new CallbackRefusedException(refusal) : new SocketException((int)SocketError.HostNotFound);
    }
}
