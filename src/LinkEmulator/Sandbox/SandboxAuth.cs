using System.Security.Cryptography;

namespace CheckoutAgent.Link.Sandbox;

/// <summary>Tokens handed out by the sandbox's OAuth side (<c>/device/token</c>).</summary>
/// <param name="AccessToken">The bearer token.</param>
/// <param name="RefreshToken">A new refresh token (the old one, if minted, is used up).</param>
/// <param name="ExpiresIn">Seconds until the access token expires.</param>
/// <param name="Scope">Granted scopes.</param>
public sealed record SandboxTokenSet(string AccessToken, string RefreshToken, int ExpiresIn, string Scope)
{
    /// <value>Always <c>Bearer</c>.</value>
    public string TokenType { get; } = "Bearer";

    /// <summary>Token values left out: this record may end up in a log line.</summary>
    public override string ToString() => $"SandboxTokenSet {{ Scope = {Scope}, ExpiresIn = {ExpiresIn} }}";
}

/// <summary>A device authorization started with <c>/device/code</c>.</summary>
/// <param name="DeviceCode">The secret the polling client presents.</param>
/// <param name="UserCode">The phrase the person confirms on the approval page.</param>
/// <param name="Scope">Requested scopes.</param>
/// <param name="ConnectionLabel">What the client called itself (<c>"Link CLI on host"</c>).</param>
/// <param name="ExpiresAt">When the device code dies unanswered.</param>
/// <param name="Interval">Seconds the client should wait between polls.</param>
public sealed record SandboxDeviceAuthorization(string DeviceCode, string UserCode, string Scope, string? ConnectionLabel, DateTimeOffset ExpiresAt, int Interval)
{
    /// <summary>The device code left out.</summary>
    public override string ToString() => $"SandboxDeviceAuthorization {{ UserCode = {UserCode}, Scope = {Scope} }}";
}

/// <summary>What a device-code poll got.</summary>
public enum SandboxDevicePollStatus
{
    /// <summary>The person has not answered yet (<c>authorization_pending</c>).</summary>
    Pending,
    /// <summary>The person approved: tokens are issued (once).</summary>
    Granted,
    /// <summary>The person denied (<c>access_denied</c>).</summary>
    Denied,
    /// <summary>Nobody answered in time (<c>expired_token</c>).</summary>
    Expired,
    /// <summary>Unknown or already redeemed device code (<c>invalid_grant</c>).</summary>
    Invalid,
}

/// <summary>
/// The login side of the sandbox: the OAuth device flow (start, person approves or denies, client polls), refresh
/// grants and revocation, and the check of bearer tokens. Thread-safe. Token values never appear in exceptions or
/// <c>ToString</c>.
/// </summary>
public sealed class SandboxAuth
{
    /// <summary>Scopes granted when the client asks for none.</summary>
    public const string DefaultScope = "userinfo:read payment_methods.agentic";

    private const int PollIntervalSeconds = 1;
    // Unambiguous letters only: the person reads the phrase off one screen and checks it on another.
    private const string UserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";

    private readonly LinkSandboxOptions _options;
    private readonly TimeProvider _time;
    private readonly SandboxApprovalMode _mode;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DeviceState> _devicesByCode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);

    internal SandboxAuth(LinkSandboxOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _mode = options.Approval;
    }

    /// <summary>True when <paramref name="token"/> may call the API: the configured token or an unexpired minted one.</summary>
    public bool IsValidAccessToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }
        if (FixedTimeEquals(token, _options.AccessToken))
        {
            return true;
        }
        lock (_gate)
        {
            return _accessTokens.TryGetValue(token, out var expiresAt) && _time.GetUtcNow() < expiresAt;
        }
    }

    /// <summary>Starts a device authorization. In <see cref="SandboxApprovalMode.Auto"/> and
    /// <see cref="SandboxApprovalMode.Deny"/> it is answered at once; otherwise the person answers on the approval page.</summary>
    public SandboxDeviceAuthorization StartDeviceAuthorization(string? scope, string? connectionLabel)
    {
        var deviceCode = ObjectIds.New("dc_", 40);
        var userCode = string.Join('-', Enumerable.Range(0, 2).Select(_ => RandomNumberGenerator.GetString(UserCodeAlphabet, 4)));
        var authorization = new SandboxDeviceAuthorization(deviceCode, userCode, string.IsNullOrWhiteSpace(scope) ? DefaultScope : scope.Trim(),
            connectionLabel, _time.GetUtcNow() + _options.DeviceCodeLifetime, PollIntervalSeconds);
        var state = new DeviceState(authorization)
        {
            Answer = _mode switch
            {
                SandboxApprovalMode.Auto => SandboxDevicePollStatus.Granted,
                SandboxApprovalMode.Deny => SandboxDevicePollStatus.Denied,
                _ => SandboxDevicePollStatus.Pending,
            },
        };
        lock (_gate)
        {
            _devicesByCode.Add(deviceCode, state);
        }
        return authorization;
    }

    /// <summary>The pending authorization the person is asked about, by the phrase shown to them; null if none.</summary>
    public SandboxDeviceAuthorization? FindByUserCode(string userCode)
    {
        lock (_gate)
        {
            return FindStateLocked(userCode)?.Authorization;
        }
    }

    /// <summary>The person approves (true) or denies (false) the device with this phrase.</summary>
    /// <returns>False when no pending, unexpired authorization has that phrase.</returns>
    public bool AnswerDevice(string userCode, bool approve)
    {
        lock (_gate)
        {
            var state = FindStateLocked(userCode);
            if (state is null || state.Answer != SandboxDevicePollStatus.Pending || _time.GetUtcNow() >= state.Authorization.ExpiresAt)
            {
                return false;
            }
            state.Answer = approve ? SandboxDevicePollStatus.Granted : SandboxDevicePollStatus.Denied;
            return true;
        }
    }

    /// <summary>The client polls with its device code; tokens are returned once, on the first poll after approval.</summary>
    public (SandboxDevicePollStatus Status, SandboxTokenSet? Tokens) PollDevice(string deviceCode)
    {
        lock (_gate)
        {
            if (!_devicesByCode.TryGetValue(deviceCode, out var state) || state.Redeemed)
            {
                return (SandboxDevicePollStatus.Invalid, null);
            }
            if (state.Answer == SandboxDevicePollStatus.Pending && _time.GetUtcNow() >= state.Authorization.ExpiresAt)
            {
                state.Answer = SandboxDevicePollStatus.Expired;
            }
            if (state.Answer != SandboxDevicePollStatus.Granted)
            {
                return (state.Answer, null);
            }
            state.Redeemed = true;
            return (SandboxDevicePollStatus.Granted, MintLocked(state.Authorization.Scope));
        }
    }

    /// <summary>Exchanges a refresh token for new tokens. A minted refresh token is used up; the configured one stays valid.</summary>
    /// <returns>Null for an unknown or used-up refresh token.</returns>
    public SandboxTokenSet? Refresh(string refreshToken)
    {
        if (string.IsNullOrEmpty(refreshToken))
        {
            return null;
        }
        lock (_gate)
        {
            if (FixedTimeEquals(refreshToken, _options.RefreshToken))
            {
                return MintLocked(DefaultScope);
            }
            if (!_refreshTokens.Remove(refreshToken, out var scope))
            {
                return null;
            }
            return MintLocked(scope);
        }
    }

    /// <summary>Revokes a minted refresh or access token (<c>auth logout</c>). The configured tokens cannot be revoked,
    /// so one client logging out does not lock out every other client sharing them.</summary>
    public void Revoke(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return;
        }
        lock (_gate)
        {
            _refreshTokens.Remove(token);
            _accessTokens.Remove(token);
        }
    }

    private SandboxTokenSet MintLocked(string scope)
    {
        var access = ObjectIds.New("link_at_", 32);
        var refresh = ObjectIds.New("link_rt_", 32);
        _accessTokens[access] = _time.GetUtcNow() + _options.AccessTokenLifetime;
        _refreshTokens[refresh] = scope;
        return new SandboxTokenSet(access, refresh, (int)_options.AccessTokenLifetime.TotalSeconds, scope);
    }

    private DeviceState? FindStateLocked(string userCode) =>
        _devicesByCode.Values.FirstOrDefault(d => string.Equals(d.Authorization.UserCode, userCode?.Trim(), StringComparison.OrdinalIgnoreCase));

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));

    private sealed class DeviceState(SandboxDeviceAuthorization authorization)
    {
        public SandboxDeviceAuthorization Authorization { get; } = authorization;
        public SandboxDevicePollStatus Answer { get; set; }
        public bool Redeemed { get; set; }
    }
}
