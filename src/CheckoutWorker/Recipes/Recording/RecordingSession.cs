using System.Text.Json;
using System.Threading.Channels;
using CheckoutAgent.Core.Recipes.Recording;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Recipes.Recording;

/// <summary>How a recording browser is started.</summary>
/// <param name="Executable">A full Chromium (the headless shell cannot show a window).</param>
/// <param name="CdpPort">Also expose the browser on this 127.0.0.1 port for <c>ConnectOverCDPAsync</c>; null: not exposed.</param>
/// <param name="Display">The X display to show the window on (<c>:0</c>, or Xvfb's).</param>
public sealed record RecordingBrowser(string Executable, int? CdpPort, string Display);

/// <summary>
/// One headed Chromium watching a person walk a checkout. An init script in every frame reports clicks, fills, selects
/// and checks through a binding; each typed value is classified the moment it arrives and dropped, so what the session
/// keeps (and logs) holds placeholders and lengths, never a value. It ends on the confirmation page, when the browser
/// closes, or when <see cref="StopAsync"/> is called.
/// </summary>
public sealed class RecordingSession : IAsyncDisposable
{
    private const string BindingName = "__caRecord";
    private readonly TypedValueClassifier _classifier;
    private readonly ILogger _logger;
    private readonly Channel<(RecordedAction Action, IFrame Frame)> _incoming = Channel.CreateUnbounded<(RecordedAction, IFrame)>();
    private readonly List<RecordedAction> _actions = [];
    private readonly Dictionary<IFrame, (IReadOnlyList<FrameSpec> Path, string Origin)> _frames = [];
    private readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IPlaywright? _playwright;
    private IBrowserContext? _context;
    private DirectoryInfo? _profile;
    private Task _describing = Task.CompletedTask;
    private string? _firstTitle;
    private RecordedConfirmation? _confirmation;

    private RecordingSession(TypedValueClassifier classifier, ILogger logger) => (_classifier, _logger) = (classifier, logger);

    /// <value>Completes with the reason the walk ended: "the confirmation page showed", "the browser was closed".</value>
    public Task<string> Ended => _ended.Task;

    /// <summary>Opens the browser at <paramref name="url"/> and starts watching.</summary>
    public static async Task<RecordingSession> StartAsync(RecordingBrowser browser, string url, TypedValueClassifier classifier, ILogger logger,
        CancellationToken cancellationToken)
    {
        var session = new RecordingSession(classifier, logger);
        try
        {
            await session.OpenAsync(browser, url, cancellationToken);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    private async Task OpenAsync(RecordingBrowser browser, string url, CancellationToken cancellationToken)
    {
        // Without DEBUG=pw:*: the driver would print every binding payload, typed values included.
        _playwright = await BrowserPool.StartDriverAsync();
        // A throwaway profile: nothing of the walk (cookies, autofill) outlives it.
        _profile = Directory.CreateTempSubdirectory("checkout-agent-record-");
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        environment["DISPLAY"] = browser.Display;
        environment.Remove("DEBUG");
        environment.Remove("PWDEBUG");
        List<string> arguments = [.. BrowserPool.LaunchArguments.Where(a => a != "--disable-gpu"), "--disable-gpu"];
        if (browser.CdpPort is { } port)
        {
            arguments.Add(FormattableString.Invariant($"--remote-debugging-port={port}"));
        }
        _context = await _playwright.Chromium.LaunchPersistentContextAsync(_profile.FullName, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = browser.Executable,
            Headless = false,
            Args = arguments,
            Env = environment,
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 1100, Height = 900 },
        });
        _context.Close += (_, _) => _ended.TrySetResult("the browser was closed");
        await _context.ExposeBindingAsync(BindingName, (BindingSource source, string json) => OnEvent(source, json));
        await _context.AddInitScriptAsync(PageScripts.Recorder);
        _describing = DescribeFramesAsync();
        var page = _context.Pages.Count > 0 ? _context.Pages[0] : await _context.NewPageAsync();
        await page.GotoAsync(url).WaitAsync(cancellationToken);
        Log.RecordingStarted(_logger, new Uri(url).Host, browser.CdpPort);
    }

    /// <summary>Stops watching (if the walk has not ended by itself) and returns what was recorded.</summary>
    /// <param name="aliases">Recorded origin → the origin the recipe should name (see <see cref="RecordedWalk.OriginAliases"/>).</param>
    public async Task<RecordedWalk> StopAsync(string startUrl, string reason, IReadOnlyDictionary<string, string>? aliases)
    {
        _ended.TrySetResult(reason);
        // Events already sent by the page are still on their way through the driver.
        await Task.Delay(300);
        _incoming.Writer.TryComplete();
        await _describing;
        var host = new Uri(startUrl).Host;
        Log.RecordingEnded(_logger, await _ended.Task, _actions.Count);
        return new RecordedWalk(startUrl, ShopName(_firstTitle) ?? host, [.. _actions], _confirmation, aliases);
    }

    /// <summary>"Pour-over dripper | Demo Coffee Supply" → "Demo Coffee Supply": the part after the last separator.</summary>
    internal static string? ShopName(string? title)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            return null;
        }
        var parts = title.Split([" | ", " – ", " — ", " - "], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 0 ? null : parts[^1];
    }

    // Called by Playwright for each event of the page. The JSON holds a typed value for fills and selects: it is read
    // once into a local, classified, and dropped here; the payload never reaches a log line or an exception message.
    private void OnEvent(BindingSource source, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var type = root.GetProperty("type").GetString();
            if (type == "page")
            {
                if (source.Frame.ParentFrame is not null)
                {
                    return;
                }
                _firstTitle ??= root.GetProperty("title").GetString();
                if (root.GetProperty("confirmation") is { ValueKind: JsonValueKind.Object } confirmation)
                {
                    _confirmation = new RecordedConfirmation(Locator(confirmation.GetProperty("orderNumber")),
                        confirmation.GetProperty("charged") is { ValueKind: JsonValueKind.Object } charged ? Locator(charged) : null);
                    _ended.TrySetResult("the confirmation page showed");
                }
                return;
            }
            var kind = root.GetProperty("kind").GetString() switch
            {
                "click" => RecordedKind.Click,
                "fill" => RecordedKind.Fill,
                "select" => RecordedKind.Select,
                "check" => RecordedKind.Check,
                _ => throw new InvalidOperationException("unknown action kind"),
            };
            TypedValue? value = null;
            if (root.TryGetProperty("value", out var typed))
            {
                var hints = root.GetProperty("hints");
                value = _classifier.Classify(typed.GetString() ?? "", new FieldHints(
                    Text(hints, "label"), Text(hints, "name"), Text(hints, "id"), Text(hints, "autocomplete"), Text(hints, "inputType"),
                    Text(hints, "placeholder"), hints.TryGetProperty("formHasPassword", out var p) && p.GetBoolean()),
                    kind, inCardFrame: source.Frame.ParentFrame is not null);
            }
            var action = new RecordedAction(kind, root.GetProperty("at").GetDouble(),
                [.. root.GetProperty("candidates").EnumerateArray().Select(c => new LocatorCandidate(Locator(c), c.GetProperty("matches").GetInt32()))])
            {
                Shadow = Text(root, "shadow"),
                Value = value,
                Checked = root.TryGetProperty("checked", out var isChecked) && isChecked.GetBoolean(),
                InDialog = root.TryGetProperty("inDialog", out var dialog) && dialog.GetBoolean(),
                Total = root.TryGetProperty("total", out var total) && total.ValueKind == JsonValueKind.Object ? Locator(total) : null,
            };
            _incoming.Writer.TryWrite((action, source.Frame));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever went wrong stays here: an exception thrown back into Playwright would travel to the page with its text.
            Log.RecordingEventUnreadable(_logger, ex.GetType().Name); // the type only: the payload may hold a typed value
        }
    }

    // Adds each action with its frame path and origin, asking the browser about a frame the first time it is seen.
    private async Task DescribeFramesAsync()
    {
        await foreach (var (action, frame) in _incoming.Reader.ReadAllAsync())
        {
            var described = action;
            if (frame.ParentFrame is not null)
            {
                if (!_frames.TryGetValue(frame, out var where))
                {
                    where = await DescribeFrameAsync(frame);
                    _frames[frame] = where;
                }
                described = action with { Frames = where.Path, FrameOrigin = where.Origin };
            }
            else
            {
                described = action with { FrameOrigin = Origin(frame.Url) };
            }
            _actions.Add(described);
            Log.RecordedAction(_logger, described.Kind.ToString().ToLowerInvariant(), RecipeDraft.Describe(described));
        }
    }

    private async Task<(IReadOnlyList<FrameSpec>, string)> DescribeFrameAsync(IFrame frame)
    {
        try
        {
            return (await FrameSpecs.PathToAsync(frame), Origin(frame.Url));
        }
        catch (PlaywrightException ex)
        {
            Log.RecordedFrameUnknown(_logger, ex.GetType().Name);
            return ([], Origin(frame.Url));
        }
    }

    private static string Origin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : url;

    private static LocatorSpec Locator(JsonElement c) =>
        new(Text(c, "role"), Text(c, "name"), Text(c, "label"), Text(c, "text"), Text(c, "testId"), Text(c, "css"));

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public async ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        if (_context is not null)
        {
            try
            {
                await _context.CloseAsync();
            }
            catch (PlaywrightException)
            {
                // Closed by the person already.
            }
        }
        _playwright?.Dispose();
        try
        {
            _profile?.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its last files; the folder is in the temp directory.
        }
    }
}
