using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Tests.Clients;
using CheckoutAgent.Tests.EndToEnd;
using CheckoutAgent.Tests.Observability;
using CheckoutAgent.Tests.Webhooks;
using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Purchases;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>Where one scenario's worker wrote: its API (while it runs), its data directory, and the listeners it reported to.</summary>
/// <param name="Api">The worker's API, e.g. <c>http://127.0.0.1:41234/</c>.</param>
/// <param name="Token">An agent token with purchases:read.</param>
/// <param name="PurchaseId">The scenario's purchase.</param>
/// <param name="DataDirectory">The worker's data directory (database, logs, screenshots).</param>
/// <param name="Seq">The Seq stand-in it ships logs to; null when Seq is unreachable on purpose.</param>
/// <param name="Webhooks">The receiver of its callback_url.</param>
/// <param name="EarlierPurchaseIds">The scenario's other purchases (e.g. the one that signed in before <paramref name="PurchaseId"/>
/// reused the session): each is read through the API and MCP too, and the list, logs, console and Seq must show it.</param>
internal sealed record LeakSources(Uri Api, string Token, string PurchaseId, string DataDirectory, FakeSeq? Seq, WebhookReceiver Webhooks,
    IReadOnlyList<string>? EarlierPurchaseIds = null)
{
    /// <value>Every purchase of the scenario, <see cref="PurchaseId"/> last.</value>
    public IReadOnlyList<string> AllPurchaseIds => [.. EarlierPurchaseIds ?? [], PurchaseId];
}

/// <summary>
/// Searches every place a worker writes for the scenario's canaries (the card, and for account scenarios the password,
/// the TOTP secret, the one-time codes and the shop's session cookie), in two passes: <see cref="LiveAsync"/> while the worker
/// runs (API, MCP, webhook bodies, the live browser profile in the temp folder), <see cref="Final"/> after it stopped
/// (console, log files, Seq payloads, the SQLite database with -wal/-shm, data, temp, /dev/shm and card folders,
/// screenshot names, bytes and PNG text chunks). Every place must also show it really holds this purchase's traces,
/// so a sweep over empty outputs fails instead of passing.
/// </summary>
internal sealed class LeakSweep
{
    private const string ProfileMarker = "playwright_chromiumdev_profile-";
    private readonly CanaryScanner _scanner;
    private readonly DateTime _since;
    private readonly LeakSources _sources;
    private readonly List<string> _places = [];
    private readonly List<string> _liveTempFiles = [];
    private readonly List<string> _finalFiles = [];
    private readonly List<string> _finalTempFiles = [];
    private int _pngTextChunks;

    /// <param name="card">The canary: the card the sandbox issued for this purchase.</param>
    /// <param name="since">When the scenario started: temp and /dev/shm files older than this are not its.</param>
    public LeakSweep(SandboxIssuedCard card, DateTime since, LeakSources sources)
        : this([card], [], since, sources)
    {
    }

    /// <param name="cards">The cards the sandbox issued for the scenario's purchases.</param>
    /// <param name="canaries">Other secrets that must be nowhere the cards are searched for.</param>
    /// <param name="since">When the scenario started: temp and /dev/shm files older than this are not its.</param>
    public LeakSweep(IReadOnlyList<SandboxIssuedCard> cards, IReadOnlyList<LeakCanary> canaries, DateTime since, LeakSources sources)
    {
        _scanner = new CanaryScanner(cards, canaries);
        _since = since.AddSeconds(-1);
        _sources = sources;
    }

    /// <value>The purchase as the API showed it at the end of <see cref="LiveAsync"/>.</value>
    public JsonElement Purchase { get; private set; }

    /// <summary>The card folder the worker uses for <paramref name="dataDirectory"/> (the default one).</summary>
    public static string CardDirectory(string dataDirectory) => CardVault.Resolve(null, dataDirectory);

    /// <summary>Reads the API, the MCP tools and the webhook bodies, and the temp folder while the browser profile is live.</summary>
    public async Task LiveAsync()
    {
        var id = _sources.PurchaseId;
        using var api = new HttpClient { BaseAddress = _sources.Api, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _sources.Token);
        foreach (var earlier in _sources.EarlierPurchaseIds ?? [])
        {
            Text($"API GET earlier purchase {earlier} (with timeline)", await api.GetStringAsync($"/v1/purchases/{earlier}"), earlier);
        }
        var purchase = await api.GetStringAsync($"/v1/purchases/{id}");
        Text("API GET purchase (with timeline)", purchase, id);
        Text("API list of purchases", await api.GetStringAsync("/v1/purchases"), _sources.AllPurchaseIds);
        using (var document = JsonDocument.Parse(purchase))
        {
            Purchase = document.RootElement.Clone();
        }
        Assert.That(Purchase.GetProperty("timeline").GetArrayLength(), Is.GreaterThan(0), "the timeline's messages were scanned");

        await McpAsync();

        var status = Purchase.GetProperty("status").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!_sources.Webhooks.Received.Any(w => w.Body.Contains(id, StringComparison.Ordinal) && w.Body.Contains(status, StringComparison.Ordinal)))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"no webhook body reported {id} as {status}");
            await Task.Delay(50);
        }

        // While the worker runs: the database's -wal and -shm files exist, and the browser's profile is in the temp folder.
        var liveData = new List<string>();
        _scanner.ScanDirectory(_sources.DataDirectory, scanned: liveData);
        _places.Add($"data folder, live ({liveData.Count} files: {string.Join(", ", liveData.Select(Path.GetFileName))})");
        _scanner.ScanDirectory(Path.GetTempPath(), _since, _liveTempFiles);
        _places.Add($"temp folder, live ({_liveTempFiles.Count} new files, {ProfileFiles.Count()} in browser profiles)");
    }

    /// <summary>Scans what the stopped worker left: console, logs, Seq payloads, webhook bodies, folders, screenshots.</summary>
    /// <param name="console">Everything the worker printed, stdout and stderr.</param>
    /// <param name="browserRan">The checkout reached the browser: a screenshot and a live browser profile must have been scanned.</param>
    public void Final(string console, bool browserRan)
    {
        var ids = _sources.AllPurchaseIds;
        Text("console (stdout and stderr)", console, ids);
        foreach (var (webhook, i) in _sources.Webhooks.Received.Select((w, i) => (w, i)))
        {
            Text($"webhook body {i}", webhook.Body);
            Text($"webhook headers {i}", string.Join('\n', webhook.Headers.Select(h => $"{h.Key}: {h.Value}")));
        }
        if (_sources.Seq is { } seq)
        {
            var clef = string.Join('\n', seq.Lines);
            Text("Seq payloads (CLEF)", clef, ids);
        }

        TestStorage.Dump(_sources.DataDirectory);
        var data = _scanner.ScanDirectory(_sources.DataDirectory, scanned: _finalFiles);
        _places.Add($"data folder ({data} files)");
        Assert.That(_finalFiles, Has.Some.EndsWith(TestStorage.OnPostgres ? TestStorage.DumpFileName : "checkout-agent.db"),
            "the database (the SQLite file, or every row of the PostgreSQL one) was scanned");
        var logs = _finalFiles.Where(f => f.Contains($"{Path.DirectorySeparatorChar}logs{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();
        foreach (var id in ids)
        {
            Assert.That(logs.Any(f => File.ReadAllText(f).Contains(id, StringComparison.Ordinal)), Is.True,
                $"a log file holds purchase {id}'s events (exception text included), so the log files were really scanned");
        }
        var temp = _scanner.ScanDirectory(Path.GetTempPath(), _since, _finalTempFiles);
        var shm = _scanner.ScanDirectory("/dev/shm", _since);
        var cards = CardDirectory(_sources.DataDirectory);
        var cardFiles = _scanner.ScanDirectory(cards);
        _places.Add($"temp folder after stop ({temp} new files, {LeftoverProfileFiles.Count()} in browser profiles), /dev/shm ({shm} new files), card folder ({cardFiles} files)");

        var screenshots = Directory.Exists(Path.Combine(_sources.DataDirectory, "screenshots"))
            ? Directory.GetFiles(Path.Combine(_sources.DataDirectory, "screenshots"), "*", SearchOption.AllDirectories)
            : [];
        foreach (var screenshot in screenshots)
        {
            ScanPngText(screenshot);
        }
        _places.Add($"screenshots ({screenshots.Length} files, {_pngTextChunks} PNG text chunks)");

        var searched = string.Join(", ", ["the card(s)", .. _scanner.CanaryNames]);
        TestContext.Out.WriteLine($"Searched for {searched}:\n  " + string.Join("\n  ", _places));
        Assert.Multiple(() =>
        {
            Assert.That(_scanner.Findings, Is.Empty, $"a canary leaked ({searched}). Places searched:\n  " + string.Join("\n  ", _places));
            Assert.That(Directory.Exists(cards), Is.True, "the worker's card folder is where this sweep looked");
            Assert.That(Directory.GetFiles(cards), Is.Empty, "the card file must be gone");
            if (browserRan)
            {
                Assert.That(screenshots.Where(s => s.EndsWith(".png", StringComparison.Ordinal)), Is.Not.Empty, "a receipt screenshot was scanned");
                Assert.That(_liveTempFiles.Any(f => f.Contains(ProfileMarker, StringComparison.Ordinal)), Is.True,
                    "the live Chromium profile in the temp folder was scanned");
            }
        });
    }

    /// <summary>Files of live browser profiles this sweep scanned in the temp folder.</summary>
    public IEnumerable<string> ProfileFiles => _liveTempFiles.Where(f => f.Contains(ProfileMarker, StringComparison.Ordinal));

    /// <summary>Files of browser profiles still in the temp folder after the worker stopped (a killed browser leaves its own), scanned.</summary>
    public IEnumerable<string> LeftoverProfileFiles => _finalTempFiles.Where(f => f.Contains(ProfileMarker, StringComparison.Ordinal));

    /// <summary>Scans one more output of the scenario (e.g. what an owner's CLI verb printed), listed with the places searched.</summary>
    /// <param name="mustMention">Texts it must hold (e.g. a purchase id), or scanning it proves nothing.</param>
    public void Text(string where, string text, params IReadOnlyList<string> mustMention)
    {
        _scanner.ScanText(where, text);
        _places.Add($"{where} ({text.Length} chars)");
        foreach (var expected in mustMention)
        {
            Assert.That(text, Does.Contain(expected), $"{where} must hold this scenario's traces ({expected}), or scanning it proves nothing");
        }
    }

    /// <summary>get_purchase and list_purchases through <c>checkout-agent mcp</c> (a child process) and the SDK's client.</summary>
    private async Task McpAsync()
    {
        var stderr = new StringBuilder();
        var transport = ClientCli.McpTransport(_sources.Api, _sources.Token, line =>
        {
            lock (stderr)
            {
                stderr.AppendLine(line);
            }
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using (var client = await McpClient.CreateAsync(transport, cancellationToken: timeout.Token))
        {
            var calls = _sources.AllPurchaseIds
                .Select(id => ("get_purchase", new Dictionary<string, object?> { ["id"] = id }, (IReadOnlyList<string>)[id]))
                .Append(("list_purchases", [], _sources.AllPurchaseIds));
            foreach (var (tool, arguments, mention) in calls)
            {
                var result = await client.CallToolAsync(tool, arguments, cancellationToken: timeout.Token);
                Assert.That(result.IsError, Is.Not.True, $"MCP {tool} failed");
                Text($"MCP {tool} response{(tool == "get_purchase" ? $" for {mention[0]}" : "")}",
                    string.Join('\n', result.Content.OfType<TextContentBlock>().Select(c => c.Text)), mention);
            }
        }
        lock (stderr)
        {
            Text("MCP server stderr", stderr.ToString());
        }
    }

    /// <summary>Scans a screenshot's text chunks, decoded; its name and raw bytes are scanned with its folder.</summary>
    private void ScanPngText(string path)
    {
        foreach (var (type, text) in PngTextChunks(File.ReadAllBytes(path)))
        {
            _pngTextChunks++;
            _scanner.ScanText($"{path} {type} chunk", text);
        }
    }

    /// <summary>The text chunks of a PNG (tEXt, zTXt, iTXt, compressed or not), keyword and text, decoded.</summary>
    internal static IEnumerable<(string Type, string Text)> PngTextChunks(byte[] png)
    {
        for (var at = 8; at + 12 <= png.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, Math.Min(length, png.Length - at - 8)).ToArray();
            at += 12 + length;
            var text = type switch
            {
                "tEXt" => Encoding.Latin1.GetString(data),
                "zTXt" => Keyword(data) + Inflate(data, Array.IndexOf(data, (byte)0) + 2),
                "iTXt" => ITxt(data),
                _ => null,
            };
            if (text is not null)
            {
                yield return (type, text);
            }
        }

        static string Keyword(byte[] data) => Encoding.Latin1.GetString(data, 0, Math.Max(0, Array.IndexOf(data, (byte)0)));

        static string ITxt(byte[] data)
        {
            // keyword \0 compressed(1) method(1) language \0 translated keyword \0 text
            var keywordEnd = Array.IndexOf(data, (byte)0);
            var compressed = data[keywordEnd + 1] == 1;
            var languageEnd = Array.IndexOf(data, (byte)0, keywordEnd + 3);
            var textStart = Array.IndexOf(data, (byte)0, languageEnd + 1) + 1;
            var head = Encoding.UTF8.GetString(data, 0, textStart);
            return head + (compressed ? Inflate(data, textStart) : Encoding.UTF8.GetString(data, textStart, data.Length - textStart));
        }

        static string Inflate(byte[] data, int start)
        {
            using var zlib = new ZLibStream(new MemoryStream(data, start, data.Length - start), CompressionMode.Decompress);
            using var reader = new StreamReader(zlib, Encoding.Latin1);
            return reader.ReadToEnd();
        }
    }
}
