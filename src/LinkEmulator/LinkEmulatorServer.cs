using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CheckoutAgent.Link.Emulator;

/// <summary>
/// The Link sandbox served over Link's HTTP API (link-api.md), so that the real <c>link-cli</c> — with
/// <c>LINK_API_BASE_URL</c> = <see cref="ApiBaseUrl"/>, <c>LINK_AUTH_BASE_URL</c> = <see cref="AuthBaseUrl"/> and the
/// auth file from <see cref="WriteAuthFile"/> — or any other client can run whole purchase flows offline.
/// </summary>
/// <remarks>
/// <para>Layout, relative to the server root (the first of <see cref="LinkEmulatorOptions.Urls"/>):</para>
/// <list type="bullet">
/// <item><c>/v1/…</c> — Link's API (<see cref="ApiBaseUrl"/>), bearer token required. Also answered at the root, so
/// <c>LINK_API_BASE_URL</c> may be the bare server URL.</item>
/// <item><c>/auth/device/code|token|revoke</c> — the OAuth device flow (<see cref="AuthBaseUrl"/>), form-encoded.
/// Also answered at <c>/device/…</c>.</item>
/// <item><c>GET /approve/{id}</c>, <c>GET /device</c> — the person's pages (stand-in for the Link app).</item>
/// <item><b>Emulator-only</b>, not part of Link: <c>POST /_sandbox/spend_requests/{id}/approve</c> and <c>/deny</c>
/// (the person's answer, JSON spend request back), <c>POST /_sandbox/authorize</c> (the card issuer for a demo shop
/// in another process: body <c>{number, cvc, exp_month, exp_year, merchant_url, amount, currency}</c>, answer
/// <c>{approved, decline_code, authorization_id, message}</c>), and <c>/demo/mpp/pay?amount=&amp;currency=</c> (a
/// resource paid over HTTP 402 with a Shared Payment Token). These need no bearer token: they stand for the person,
/// the card network and a merchant, not for the agent.</item>
/// </list>
/// <para>Nothing is logged but ids, statuses, amounts and error codes: no request or response body, card number,
/// CVC or token.</para>
/// </remarks>
public sealed partial class LinkEmulatorServer : IAsyncDisposable
{
    private const string ApiPrefix = "/v1";
    private const string AuthPrefix = "/auth";

    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true };

    private readonly WebApplication _app;
    private readonly LinkEmulatorOptions _options;
    private readonly ILogger _logger;
    private Uri? _root;
    private int _disposed;

    private LinkEmulatorServer(WebApplication app, LinkEmulatorOptions options, LinkSandbox sandbox, ILoggerFactory loggerFactory)
    {
        _app = app;
        _options = options;
        Sandbox = sandbox;
        _logger = loggerFactory.CreateLogger<LinkEmulatorServer>();
    }

    /// <value>The value for <c>LINK_API_BASE_URL</c>, e.g. <c>http://127.0.0.1:41234/v1</c> (no trailing slash: the
    /// CLI builds <c>${base}/spend_requests</c>).</value>
    public Uri ApiBaseUrl => new(Root, ApiPrefix.TrimStart('/'));

    /// <value>The value for <c>LINK_AUTH_BASE_URL</c>, e.g. <c>http://127.0.0.1:41234/auth</c>.</value>
    public Uri AuthBaseUrl => new(Root, AuthPrefix.TrimStart('/'));

    /// <value>The sandbox behind the API: approve, deny and inspect from tests or a host process.</value>
    public LinkSandbox Sandbox { get; }

    private Uri Root => _root ?? throw new InvalidOperationException("The emulator has not started.");

    /// <summary>Starts the emulator and returns once it accepts connections.</summary>
    /// <exception cref="ArgumentException">Invalid options (e.g. expire mode without a positive
    /// <see cref="LinkEmulatorOptions.ExpireAfter"/>, or a URL Kestrel cannot bind).</exception>
    public static Task<LinkEmulatorServer> StartAsync(LinkEmulatorOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default) =>
        StartAsync(options, loggerFactory, TimeProvider.System, cancellationToken);

    /// <summary>As the public overload, with a clock for the sandbox (tests drive expiry with it).</summary>
    internal static async Task<LinkEmulatorServer> StartAsync(LinkEmulatorOptions options, ILoggerFactory? loggerFactory, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var sandbox = new LinkSandbox(options.ToSandboxOptions(), time);
        var urls = (options.Urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0)
        {
            throw new ArgumentException("Urls must name at least one address, e.g. http://127.0.0.1:8080.", nameof(options));
        }
        loggerFactory ??= NullLoggerFactory.Instance;

        var builder = EmbeddedKestrel.CreateBuilder(typeof(LinkEmulatorServer), loggerFactory);
        builder.WebHost.UseUrls(urls);

        var app = builder.Build();
        var server = new LinkEmulatorServer(app, options, sandbox, loggerFactory);
        server.MapRoutes();
        return await EmbeddedKestrel.StartAsync(server, app, () =>
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("Kestrel did not report the address it bound.");
            server._root = new Uri(address.TrimEnd('/') + "/");
            Log.Started(server._logger, server.ApiBaseUrl, server.AuthBaseUrl, options.Approval);
        }, cancellationToken);
    }

    /// <summary>
    /// Writes a link-cli auth file (link-api.md §5) holding <see cref="LinkEmulatorOptions.AccessToken"/> and the
    /// sandbox's refresh token, expiring far in the future, with mode 0600. As link-cli does, <c>.json</c> is appended
    /// to a path that does not end with it. An existing file is replaced.
    /// </summary>
    /// <returns>The absolute path written (pass it as <c>--auth</c> or <c>LINK_AUTH_FILE</c>).</returns>
    public string WriteAuthFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path.EndsWith(".json", StringComparison.Ordinal) ? path : path + ".json");
        var content = new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["access_token"] = _options.AccessToken,
                ["refresh_token"] = Sandbox.Options.RefreshToken,
                ["expires_in"] = (int)Sandbox.Options.AccessTokenLifetime.TotalSeconds,
                ["token_type"] = "Bearer",
                // 2100-01-01 in epoch milliseconds: far enough that link-cli never refreshes pre-emptively.
                ["expires_at"] = 4102444800000L,
            },
            ["pendingDeviceAuth"] = null,
        };
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The auth file needs POSIX permissions (0600).");
        }
        var bytes = JsonSerializer.SerializeToUtf8Bytes(content, _indented);
        var temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(bytes);
        }
        // Renamed into place, so a reader never sees half a file, and an old file's looser mode is not kept.
        File.Move(temp, full, overwrite: true);
        return full;
    }

    /// <summary>The approval page of a spend request (what <c>approval_url</c> points at).</summary>
    public Uri ApprovalPageUrl(string spendRequestId)
    {
        ArgumentException.ThrowIfNullOrEmpty(spendRequestId);
        return new Uri(Root, "approve/" + Uri.EscapeDataString(spendRequestId));
    }

    /// <summary>The demo HTTP 402 resource: answers a Machine Payment Protocol challenge for
    /// <paramref name="amount"/> cents, and 200 with a JSON receipt once paid with a matching Shared Payment Token.</summary>
    public Uri DemoPaymentUrl(long amount, string currency = "usd")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(amount, 1);
        ArgumentException.ThrowIfNullOrEmpty(currency);
        return new Uri(Root, string.Create(CultureInfo.InvariantCulture,
            $"demo/mpp/pay?amount={amount}&currency={Uri.EscapeDataString(currency)}"));
    }

    /// <summary>Stops the server; in-flight requests get the host's shutdown grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private void MapRoutes()
    {
        _app.Use(LogRequestAsync);
        _app.Use(HandleErrorsAsync);
        foreach (var prefix in new[] { ApiPrefix, "" })
        {
            MapApi(_app.MapGroup(prefix));
        }
        foreach (var prefix in new[] { AuthPrefix, "" })
        {
            MapAuth(_app.MapGroup(prefix));
        }
        MapPersonPages();
        MapSandboxControls();
        MapDemoMpp();
        _app.MapFallback(context => throw new ApiException(StatusCodes.Status404NotFound, ApiErrorCodes.NotFound,
            $"No endpoint {context.Request.Method} {context.Request.Path}. See link-api.md §3 for Link's endpoints."));
    }

    /// <summary>One line per request: method, path (no query), status and milliseconds; never a header or body, so
    /// never a token or a card.</summary>
    private async Task LogRequestAsync(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Log.Request(_logger, context.Request.Method, context.Request.Path, context.Response.StatusCode, elapsed);
        }
    }

    private async Task HandleErrorsAsync(HttpContext context, RequestDelegate next)
    {
        // Responses may hold cards and tokens: never cache them anywhere.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted && ex is ApiException or LinkException)
        {
            var error = ex as ApiException ?? ApiException.From((LinkException)ex);
            Log.Refused(_logger, context.Request.Method, context.Request.Path, error.Status, error.Code);
            var duplicate = ex is LinkException { DuplicateSpendRequestId: { } id }
                ? SpendRequestJson(Sandbox.Get(id), includeCard: false, includeToken: false)
                : null;
            await WriteJsonAsync(context, error.Status, LinkJson.Error(error.Code, error.Message, error.Field, duplicate));
        }
        catch (Exception ex) when (!context.Response.HasStarted && ex is not OperationCanceledException)
        {
            // Only the type: an exception message could quote input, and input may be a card.
            Log.Failed(_logger, context.Request.Method, context.Request.Path, ex.GetType());
            await WriteJsonAsync(context, StatusCodes.Status500InternalServerError,
                LinkJson.Error(ApiErrorCodes.InternalError, "The emulator failed unexpectedly; see its log. Nothing was changed."));
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonNode? body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body?.ToJsonString() ?? "null", context.RequestAborted);
    }

    private static string RouteId(HttpContext context) =>
        context.Request.RouteValues["id"] as string ?? throw new InvalidOperationException("Route without {id}.");
}
