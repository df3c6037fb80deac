using System.Globalization;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Link.Emulator;

/// <summary>How the emulator answers approval requests (<c>--approval auto|deny|manual|expire:SECONDS</c>).</summary>
public enum EmulatorApprovalMode
{
    /// <summary>A person answers on the approval page or through the emulator-only approve/deny calls; unanswered
    /// requests expire after the approval window (30 minutes by default, as on Link).</summary>
    Manual,
    /// <summary>Every request is approved as soon as approval is requested.</summary>
    Auto,
    /// <summary>Every request is denied as soon as approval is requested.</summary>
    Deny,
    /// <summary>Nobody answers: requests expire <see cref="LinkEmulatorOptions.ExpireAfter"/> after approval was requested.</summary>
    Expire,
}

/// <summary>Settings of a <see cref="LinkEmulatorServer"/>.</summary>
public sealed class LinkEmulatorOptions
{
    /// <value>Where Kestrel listens (semicolon-separated; the first is advertised). Default <c>http://127.0.0.1:0</c>,
    /// a free loopback port.</value>
    public string Urls { get; init; } = "http://127.0.0.1:0";

    /// <value>How approval requests (and device logins) are answered. Default <see cref="EmulatorApprovalMode.Manual"/>.</value>
    public EmulatorApprovalMode Approval { get; init; } = EmulatorApprovalMode.Manual;

    /// <value>For <see cref="EmulatorApprovalMode.Expire"/>: how long an unanswered request lives. Must be positive then.</value>
    public TimeSpan ExpireAfter { get; init; }

    /// <value>Limits (amount cap, approval window, card validity) and wallet contents. Its own
    /// <see cref="LinkSandboxOptions.Approval"/> and <see cref="LinkSandboxOptions.AccessToken"/> are replaced by this
    /// object's <see cref="Approval"/> and <see cref="AccessToken"/>.</value>
    public LinkSandboxOptions Sandbox { get; init; } = new();

    /// <value>The bearer token the API accepts (besides any token minted by the device flow or a refresh).
    /// Default <c>test_access_token</c>.</value>
    public string AccessToken { get; init; } = LinkSandboxOptions.DefaultAccessToken;

    /// <summary>Parses <c>auto</c>, <c>deny</c>, <c>manual</c> or <c>expire:SECONDS</c> (case-insensitive).</summary>
    /// <param name="text">The mode as given on a command line.</param>
    /// <param name="expireAfter">For <c>expire:SECONDS</c> the lifetime; otherwise zero.</param>
    /// <exception cref="ArgumentException">Anything else, with the accepted forms in the message.</exception>
    public static EmulatorApprovalMode ParseApproval(string text, out TimeSpan expireAfter)
    {
        expireAfter = TimeSpan.Zero;
        var value = text?.Trim() ?? "";
        switch (value.ToLowerInvariant())
        {
            case "auto":
                return EmulatorApprovalMode.Auto;
            case "deny":
                return EmulatorApprovalMode.Deny;
            case "manual":
                return EmulatorApprovalMode.Manual;
        }
        const string prefix = "expire:";
        if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            var seconds = value[prefix.Length..];
            if (int.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 86_400)
            {
                expireAfter = TimeSpan.FromSeconds(n);
                return EmulatorApprovalMode.Expire;
            }
            throw new ArgumentException(
                $"Approval mode '{value}': expire needs a whole number of seconds from 1 to 86400, e.g. expire:30.", nameof(text));
        }
        throw new ArgumentException(
            $"Unknown approval mode '{value}'; use auto, deny, manual or expire:SECONDS (e.g. expire:30).", nameof(text));
    }

    /// <summary>The sandbox settings this emulator runs with.</summary>
    internal LinkSandboxOptions ToSandboxOptions()
    {
        ArgumentNullException.ThrowIfNull(Sandbox, nameof(Sandbox));
        ArgumentException.ThrowIfNullOrEmpty(AccessToken, nameof(AccessToken));
        if (Approval == EmulatorApprovalMode.Expire && ExpireAfter <= TimeSpan.Zero)
        {
            throw new ArgumentException("Approval mode expire needs a positive ExpireAfter (expire:SECONDS).", nameof(ExpireAfter));
        }
        return Sandbox with
        {
            Approval = Approval switch
            {
                EmulatorApprovalMode.Manual => SandboxApprovalMode.Manual,
                EmulatorApprovalMode.Auto => SandboxApprovalMode.Auto,
                EmulatorApprovalMode.Deny => SandboxApprovalMode.Deny,
                EmulatorApprovalMode.Expire => SandboxApprovalMode.Expire,
                _ => throw new ArgumentOutOfRangeException(nameof(Approval), Approval, "Unknown approval mode."),
            },
            ExpireAfter = Approval == EmulatorApprovalMode.Expire ? ExpireAfter : Sandbox.ExpireAfter,
            AccessToken = AccessToken,
        };
    }
}
