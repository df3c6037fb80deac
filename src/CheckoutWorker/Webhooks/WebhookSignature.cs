using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CheckoutAgent.Worker.Webhooks;

/// <summary>
/// Stripe-style webhook signatures: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256&gt;</c> over <c>"&lt;t&gt;.&lt;body&gt;"</c>,
/// keyed with the agent's <c>whsec_…</c> secret (its UTF-8 bytes, prefix included). The timestamp inside the signed
/// message lets a receiver refuse replays of an old delivery.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The header carrying the signature.</summary>
    public const string Header = "CheckoutAgent-Signature";

    /// <summary>The header carrying the event id (<c>evt_…</c>): the same on every retry, so receivers can drop duplicates.</summary>
    public const string EventIdHeader = "CheckoutAgent-Event-Id";

    /// <summary>The header carrying the event type, e.g. <c>purchase.succeeded</c>.</summary>
    public const string EventTypeHeader = "CheckoutAgent-Event-Type";

    /// <summary>The User-Agent of every delivery.</summary>
    public const string UserAgent = "checkout-agent-webhooks/1";

    /// <summary>How old (or how far ahead) a signed timestamp may be by default.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The header value for <paramref name="body"/> sent at <paramref name="timestamp"/>.</summary>
    public static string Sign(string secret, DateTimeOffset timestamp, string body) => Sign([secret], timestamp, body);

    /// <summary>
    /// The header value with one <c>v1</c> per secret, in order (<c>t=…,v1=…,v1=…</c>): during a secret rotation the
    /// new and the previous secret both sign, so a receiver still holding the old one keeps verifying.
    /// </summary>
    public static string Sign(IReadOnlyList<string> secrets, DateTimeOffset timestamp, string body)
    {
        ArgumentOutOfRangeException.ThrowIfZero(secrets.Count);
        ArgumentNullException.ThrowIfNull(body);
        var seconds = timestamp.ToUnixTimeSeconds();
        var header = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"t={seconds}"));
        foreach (var secret in secrets)
        {
            ArgumentException.ThrowIfNullOrEmpty(secret);
            header.Append(",v1=").Append(Convert.ToHexStringLower(Mac(secret, seconds, body)));
        }
        return header.ToString();
    }

    /// <summary>
    /// True when the header verifies with any of <paramref name="secrets"/>: a receiver in the middle of a rotation
    /// passes both the new and the old secret.
    /// </summary>
    public static bool Verify(IEnumerable<string> secrets, string? headerValue, string body, DateTimeOffset now, TimeSpan? tolerance = null) =>
        secrets.Aggregate(false, (any, secret) => Verify(secret, headerValue, body, now, tolerance) | any);

    /// <summary>
    /// True when <paramref name="headerValue"/> holds a timestamp within <paramref name="tolerance"/> of
    /// <paramref name="now"/> and a <c>v1</c> signature of it and <paramref name="body"/> made with <paramref name="secret"/>.
    /// Signatures are compared in constant time; several <c>v1</c> entries are accepted (any one may match).
    /// </summary>
    /// <param name="body">The raw request body exactly as received (not re-serialized JSON).</param>
    /// <param name="tolerance">Default 5 minutes.</param>
    public static bool Verify(string secret, string? headerValue, string body, DateTimeOffset now, TimeSpan? tolerance = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(body);
        if (string.IsNullOrEmpty(headerValue) || headerValue.Length > 4096)
        {
            return false;
        }
        long? timestamp = null;
        var candidates = new List<byte[]>();
        foreach (var part in headerValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }
            var (key, value) = (part[..equals], part[(equals + 1)..]);
            if (key == "t")
            {
                if (timestamp is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
                {
                    return false;
                }
                timestamp = t;
            }
            else if (key == "v1" && value.Length == 64)
            {
                try
                {
                    candidates.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    // Not hex: cannot match; other entries may.
                }
            }
        }
        if (timestamp is not { } seconds || candidates.Count == 0)
        {
            return false;
        }
        var age = now.ToUnixTimeSeconds() - seconds;
        var limit = (long)(tolerance ?? DefaultTolerance).TotalSeconds;
        if (age > limit || age < -limit)
        {
            return false;
        }
        var expected = Mac(secret, seconds, body);
        var matched = false;
        foreach (var candidate in candidates)
        {
            // No early exit: every candidate is compared, each in constant time.
            matched |= CryptographicOperations.FixedTimeEquals(candidate, expected);
        }
        return matched;
    }

    private static byte[] Mac(string secret, long seconds, string body) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{seconds}.{body}")));
}
