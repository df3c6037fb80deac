using System.Globalization;

namespace CheckoutAgent.Worker.Bench;

/// <summary>One process as Linux's <c>/proc</c> shows it.</summary>
internal sealed record ProcessEntry(int Pid, int ParentPid, string Name);

/// <summary>Reads the process tree and memory use from <c>/proc</c> (Linux only; elsewhere it sees nothing).</summary>
internal static class ProcessTree
{
    /// <summary>Every process below <paramref name="rootPid"/> (children, their children, ...), not the root itself.</summary>
    public static IReadOnlyList<ProcessEntry> Descendants(int rootPid)
    {
        var all = All();
        var children = all.ToLookup(p => p.ParentPid);
        var found = new List<ProcessEntry>();
        var pending = new Stack<int>([rootPid]);
        while (pending.Count > 0)
        {
            foreach (var child in children[pending.Pop()])
            {
                found.Add(child with { Name = ExecutableName(child.Pid) ?? FullName(child.Name) });
                pending.Push(child.Pid);
            }
        }
        return found;
    }

    /// <summary>
    /// Linux cuts a process's name (<c>comm</c>) to 15 characters; when its executable can no longer be read (it is
    /// exiting) the cut name stands in, so it is completed to the executable's name it was cut from.
    /// </summary>
    private static string FullName(string comm) =>
        comm.Length == 15 && "chromium-headless-shell".StartsWith(comm, StringComparison.Ordinal) ? "chromium-headless-shell" : comm;

    /// <summary>The file name of the process's executable (<c>node</c>, <c>chromium</c>): clearer than its thread name (<c>MainThread</c>).</summary>
    private static string? ExecutableName(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/exe").LinkTarget is { } target ? Path.GetFileName(target) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<ProcessEntry> All()
    {
        var entries = new List<ProcessEntry>();
        if (!Directory.Exists("/proc"))
        {
            return entries;
        }
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after its last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                entries.Add(new ProcessEntry(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), stat[(open + 1)..close]));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                // The process ended while we looked.
            }
        }
        return entries;
    }

    /// <summary>
    /// CPU time of one process, user and system, with that of the children it has reaped (Chromium reaps each
    /// renderer of a closed context), in clock ticks (<c>USER_HZ</c>, 100 a second on Linux).
    /// </summary>
    public static long? CpuTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "(comm)": state is field 0 here, utime 11, stime 12, cutime 13, cstime 14.
            return Enumerable.Range(11, 4).Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU seconds used so far by this process (as <c>self</c>) and every process below it, summed by process name
    /// (see <see cref="CpuTicks"/>).
    /// </summary>
    public static Dictionary<string, double> TreeCpuSeconds()
    {
        var self = Environment.ProcessId;
        return Descendants(self).Prepend(new ProcessEntry(self, 0, "self"))
            .GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(p => CpuTicks(p.Pid) ?? 0) / 100.0, StringComparer.Ordinal);
    }

    /// <summary>CPU seconds spent between two <see cref="TreeCpuSeconds"/> readings, by process name.</summary>
    public static Dictionary<string, double> CpuSpent(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.ToDictionary(a => a.Key, a => a.Value - before.GetValueOrDefault(a.Key), StringComparer.Ordinal);

    /// <summary>
    /// Memory of one process in bytes: <c>Rss</c> (resident, counting shared pages in full) and <c>Pss</c> (shared
    /// pages divided among the processes sharing them, so sums over Chromium's many processes do not count them twice).
    /// </summary>
    public static (long Rss, long Pss)? Memory(int pid)
    {
        try
        {
            long rss = 0, pss = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                if (line.StartsWith("Rss:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line) * 1024;
                }
                else if (line.StartsWith("Pss:", StringComparison.Ordinal))
                {
                    pss = Kilobytes(line) * 1024;
                }
            }
            return (rss, pss);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }

        static long Kilobytes(string line) =>
            long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}

/// <summary>Peak memory of this process and all its descendants (Playwright's driver, Chromium), sampled in the background.</summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakPss;
    private long _peakRss;

    private MemorySampler(TimeSpan interval)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(interval, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>
    /// How often the benchmark samples: 250 ms. Reading every process's <c>smaps_rollup</c> makes the kernel walk its
    /// page tables, charged to this process; every 100 ms that was about 5% of its CPU in a profile, counted as the
    /// worker's own (the baseline runs no sampler). A checkout's renderer lives for over a second, so its peak is still seen.
    /// </summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(250);

    public static MemorySampler Start(TimeSpan interval) => new(interval);

    /// <value>Highest sum of PSS seen, in bytes.</value>
    public long PeakPss
    {
        get
        {
            lock (_stop)
            {
                return _peakPss;
            }
        }
    }

    /// <value>Highest sum of RSS seen, in bytes (counts pages shared between processes once per process).</value>
    public long PeakRss => Interlocked.Read(ref _peakRss);

    /// <value>PSS by process name (<c>self</c>, <c>node</c>, <c>chromium</c>, ...) in the sample with the highest total, in bytes.</value>
    public IReadOnlyDictionary<string, long> PeakPssByProcess
    {
        get
        {
            lock (_stop)
            {
                return new Dictionary<string, long>(_peakByName, StringComparer.Ordinal);
            }
        }
    }

    private Dictionary<string, long> _peakByName = new(StringComparer.Ordinal);

    /// <summary>Takes one sample now (also done every interval).</summary>
    public void Sample()
    {
        var self = Environment.ProcessId;
        long rss = 0, pss = 0;
        var byName = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var process in ProcessTree.Descendants(self).Prepend(new ProcessEntry(self, 0, "self")))
        {
            if (ProcessTree.Memory(process.Pid) is { } memory)
            {
                rss += memory.Rss;
                pss += memory.Pss;
                byName[process.Name] = byName.GetValueOrDefault(process.Name) + memory.Pss;
            }
        }
        InterlockedMax(ref _peakRss, rss);
        lock (_stop)
        {
            if (pss > _peakPss)
            {
                _peakPss = pss;
                _peakByName = byName;
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Sample();
        _stop.Dispose();
    }
}
