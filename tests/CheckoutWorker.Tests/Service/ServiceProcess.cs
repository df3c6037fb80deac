using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace CheckoutAgent.Tests.Service;

/// <summary>
/// <c>checkout-agent serve</c> as a real child process (<c>dotnet checkout-agent.dll serve --urls http://127.0.0.1:0</c>)
/// on a given data directory, configured through environment variables (<c>Section__Key</c>). Captures everything it
/// prints, so a failing test can show it; kills it (SIGKILL, whole tree) or stops it (SIGTERM) on request, and kills
/// whatever is left on dispose.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputGate = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<HttpClient> _clients = [];
    private readonly List<Thread> _readers = [];

    private ServiceProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    /// <value>What the test calls this run (e.g. "first run"), used in failure messages.</value>
    public string Name { get; }

    /// <value>Where the API listens, e.g. <c>http://127.0.0.1:41234/</c>.</value>
    public Uri BaseAddress { get; private set; } = null!;

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <value>Everything the process printed so far, stdout and stderr interleaved as received.</value>
    public string Output
    {
        get
        {
            lock (_outputGate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <c>serve</c> and returns once <c>/v1/health</c> answers; fails the test with the output if it does not.</summary>
    public static async Task<ServiceProcess> StartAsync(string name, string dataDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "checkout-agent.dll"), "serve", "--urls", "http://127.0.0.1:0", "--data-dir", dataDirectory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment.Remove("CHECKOUT_AGENT_URLS");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start };
        var service = new ServiceProcess(process, name);
        process.Start();
        service.Read("out", process.StandardOutput);
        service.Read("err", process.StandardError);
        try
        {
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(service._listening.Task, exited, Task.Delay(StartTimeout));
            if (first != service._listening.Task)
            {
                Assert.Fail($"{name}: serve {(first == exited ? "exited" : "did not print its address within the timeout")}.\n{service.Describe()}");
            }
            service.BaseAddress = await service._listening.Task;
            await service.WaitForHealthAsync();
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HTTP client to this run's API with an agent's bearer token.</summary>
    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _clients.Add(client);
        return client;
    }

    /// <summary><c>kill -9</c> on the process and everything it started (link-cli, the browser), then waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>Sends SIGTERM (as <c>docker stop</c> or systemd would) and returns the exit code; fails the test if it does not exit in time.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
        {
            await kill.WaitForExitAsync();
            Assert.That(kill.ExitCode, Is.Zero, "kill -TERM failed");
        }
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(timeout)) != exited)
        {
            Assert.Fail($"{Name}: still running {timeout.TotalSeconds:0} s after SIGTERM.\n{Describe()}");
        }
        await exited;
        // The exit event can come before the last lines of output: let the readers drain them.
        JoinReaders(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    /// <summary>The run's name, state and captured output (the last part, if it is long), for failure messages.</summary>
    public string Describe()
    {
        const int Tail = 20_000;
        var output = Output;
        var state = _process.HasExited ? $"exited with {_process.ExitCode}" : "running";
        var text = output.Length > Tail ? "…" + output[^Tail..] : output;
        return $"---- {Name} (pid {_process.Id}, {state}) output ----\n{text}\n---- end of {Name} ----";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        try
        {
            if (!_process.HasExited)
            {
                await KillAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        _process.Dispose();
    }

    /// <summary>
    /// Reads one of the process's streams line by line on a thread of its own, not the thread pool: a busy test process
    /// must never leave a node's pipe unread, or the node blocks writing its log (and mid-request, its answer).
    /// </summary>
    private void Read(string stream, StreamReader reader)
    {
        var thread = new Thread(() =>
        {
            try
            {
                while (reader.ReadLine() is { } line)
                {
                    OnLine(stream, line);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // The process is gone and its pipe with it.
            }
        })
        {
            IsBackground = true,
            Name = $"{Name} {stream}",
        };
        _readers.Add(thread);
        thread.Start();
    }

    /// <summary>Waits for the readers to reach the end of the process's output (a kept-open pipe stops the wait at <paramref name="timeout"/>).</summary>
    private void JoinReaders(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var reader in _readers)
        {
            var left = deadline - DateTime.UtcNow;
            reader.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    private void OnLine(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_outputGate)
        {
            _output.Append(stream).Append("| ").AppendLine(line);
        }
        if (Listening().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value.TrimEnd('/') + "/"));
        }
    }

    private async Task WaitForHealthAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var (_, healthy) = await Poll.TryUntilAsync(async () =>
        {
            try
            {
                using var response = await client.GetAsync("/v1/health");
                return response.IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false; // Not listening yet.
            }
        }, healthy => healthy || _process.HasExited, StartTimeout, TimeSpan.FromMilliseconds(200));
        if (!healthy)
        {
            Assert.Fail($"{Name}: /v1/health never answered 200.\n{Describe()}");
        }
    }

    [GeneratedRegex(@"checkout-agent serving on (http://[^\s,]+)")]
    private static partial Regex Listening();
}
