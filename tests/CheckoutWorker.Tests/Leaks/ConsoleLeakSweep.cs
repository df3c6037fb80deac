using System.Collections.Concurrent;
using System.Text;
using CheckoutAgent.Link.Sandbox;
using Microsoft.Playwright;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>
/// The leak sweep over the operator console as a browser sees it: every response of the browser session (pages, live
/// fragments, the receipt image, assets, redirects and refusals) with all its headers, and the cookies the browser holds
/// at the end, searched for the scenario's cards (number in its forms, CVC in context) and other canaries (agent
/// tokens, webhook secrets, account secrets). It counts what it read, so a sweep over nothing fails its test.
/// </summary>
internal sealed class ConsoleLeakSweep(IReadOnlyList<SandboxIssuedCard> cards, IReadOnlyList<LeakCanary> canaries)
{
    private readonly CanaryScanner _scanner = new(cards, canaries);
    private readonly ConcurrentQueue<IResponse> _responses = new();
    private readonly StringBuilder _html = new();
    private readonly StringBuilder _headers = new();

    /// <value>Every finding: where, and which canary (never the value).</value>
    public IReadOnlyList<string> Findings => _scanner.Findings;

    /// <value>How many responses were scanned.</value>
    public int Responses { get; private set; }

    /// <value>How many cookies were scanned.</value>
    public int Cookies { get; private set; }

    /// <value>All the HTML read, for the test to check the pages held what they should.</value>
    public string Html => _html.ToString();

    /// <value>All the headers read, lower-case name: value per line.</value>
    public string Headers => _headers.ToString();

    /// <summary>Keeps a response of the browser session for <see cref="ScanAsync"/> (hook it to <c>page.Response</c>).</summary>
    public void Watch(IResponse response) => _responses.Enqueue(response);

    /// <summary>
    /// Scans a page the browser just opened: its body as sent (read now: the browser drops it once it moves on) and
    /// the document as it stands (after any live update).
    /// </summary>
    public async Task ScanPageAsync(string path, IResponse response, IPage page)
    {
        var body = await response.BodyAsync();
        var type = (await response.HeaderValueAsync("content-type")) ?? "";
        var text = type.StartsWith("image/", StringComparison.Ordinal) ? Encoding.Latin1.GetString(body) : Encoding.UTF8.GetString(body);
        if (type.StartsWith("text/html", StringComparison.Ordinal))
        {
            _html.Append(text);
            _scanner.ScanText($"{path} document", await page.ContentAsync());
        }
        _scanner.ScanText($"{path} body", text);
        Pages++;
    }

    /// <value>How many pages were scanned with their bodies.</value>
    public int Pages { get; private set; }

    /// <summary>Scans every watched response's headers (and body, where the browser still has it) and <paramref name="cookies"/>.</summary>
    public async Task ScanAsync(IReadOnlyList<BrowserContextCookiesResult> cookies)
    {
        foreach (var response in _responses)
        {
            var where = $"{response.Request.Method} {new Uri(response.Url).PathAndQuery} ({response.Status})";
            var headers = string.Join('\n', (await response.AllHeadersAsync()).Select(h => $"{h.Key.ToLowerInvariant()}: {h.Value}"));
            _headers.Append(headers).Append('\n');
            _scanner.ScanText($"{where} headers", headers);
            byte[] body;
            try
            {
                body = await response.BodyAsync();
            }
            catch (PlaywrightException)
            {
                // A redirect has no body to read; its headers were scanned.
                body = [];
            }
            var type = (await response.HeaderValueAsync("content-type")) ?? "";
            _scanner.ScanText($"{where} body", type.StartsWith("image/", StringComparison.Ordinal) ? Encoding.Latin1.GetString(body) : Encoding.UTF8.GetString(body));
            Responses++;
        }
        foreach (var cookie in cookies)
        {
            _scanner.ScanText($"cookie {cookie.Name}", $"{cookie.Name}={cookie.Value}; domain={cookie.Domain}; path={cookie.Path}");
            Cookies++;
        }
    }
}
