using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CheckoutAgent.Tests.LinkClient.Cli;

/// <summary>One request as the server saw it.</summary>
internal sealed record SeenRequest(string Method, string PathAndQuery, string? Authorization, string? ContentType, string Body, string? UserAgent);

/// <summary>What the scripted server answers.</summary>
internal sealed record ScriptedResponse(int Status, string Body, string ContentType = "application/json")
{
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>();
}

/// <summary>
/// A fake Link API on 127.0.0.1 whose every answer the test scripts. It stands only where a test needs exact control of
/// the wire (a 401 then success, a 502 with HTML, a duplicate-request error body) to pin the stand-in's output
/// shapes; behaviour tests run against the Link emulator instead.
/// </summary>
internal sealed class ScriptedLinkServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<SeenRequest, ScriptedResponse> _handler;
    private readonly Task _loop;

    public ScriptedLinkServer(Func<SeenRequest, ScriptedResponse> handler)
    {
        _handler = handler;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = new Uri(FormattableString.Invariant($"http://127.0.0.1:{port}/"));
        _listener.Prefixes.Add(BaseUrl.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseUrl { get; }

    /// <summary>The API base as link-cli wants it (no trailing slash).</summary>
    public Uri Api => new(BaseUrl, "api");

    public Uri Auth => new(BaseUrl, "auth");

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public static ScriptedResponse Json(string body, int status = 200) => new(status, body);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var seen = new SeenRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "", context.Request.Headers["Authorization"],
                context.Request.ContentType, await reader.ReadToEndAsync(), context.Request.UserAgent);
            Requests.Enqueue(seen);
            ScriptedResponse response;
            try
            {
                response = _handler(seen);
            }
            catch (Exception ex)
            {
                response = new ScriptedResponse(500, "handler failed: " + ex.Message, "text/plain");
            }
            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            foreach (var (name, value) in response.Headers)
            {
                context.Response.AddHeader(name, value);
            }
            var bytes = Encoding.UTF8.GetBytes(response.Body);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener.
        }
    }
}
