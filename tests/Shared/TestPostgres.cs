using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace CheckoutAgent.Tests;

/// <summary>
/// A real PostgreSQL for tests: the server named by <c>CHECKOUT_AGENT_TEST_POSTGRES</c> (a connection string whose user
/// may create databases), or else a throwaway cluster this process starts once (<c>initdb</c> + <c>pg_ctl</c> from
/// <c>pg_config --bindir</c>, trust auth, a free loopback port, a temp folder; as the <c>postgres</c> user when running
/// as root) and stops at exit. Each caller gets a database of its own from <see cref="CreateDatabaseAsync"/>.
/// Not a fake: when neither is possible the test fails and says how to fix it (install Debian's <c>postgresql</c>).
/// </summary>
public static class TestPostgres
{
    public const string ServerVariable = "CHECKOUT_AGENT_TEST_POSTGRES";

    private static readonly Lazy<Task<string>> Server = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A connection string to the server's maintenance database (<c>postgres</c>).</summary>
    public static Task<string> ServerAsync() => Server.Value;

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var server = await ServerAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true }.ConnectionString;
    }

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } given)
        {
            return given;
        }
        var bin = BinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL's server binaries were not found (no pg_config, no /usr/lib/postgresql/*/bin/initdb). Install Debian's " +
            $"postgresql package (apt-get install -y postgresql; the README's test command does this), or set {ServerVariable} " +
            "to a connection string of a server where the user may create databases.");
        RemoveStaleClusters();
        var root = Path.Combine(Path.GetTempPath(), "checkout-agent-pg-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..6]);
        var data = Path.Combine(root, "data");
        var sockets = Path.Combine(root, "sock");
        Directory.CreateDirectory(sockets);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", root], asUser: null);
        }
        var user = asRoot ? "postgres" : null;
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], user);
        var port = FreePort();
        // fsync off: a test cluster is thrown away, and the suite's many small commits would otherwise wait on the disk.
        var options = $"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-o", options, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start"], user);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], user).GetAwaiter().GetResult();
                Directory.Delete(root, recursive: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // Best effort at exit; the folder is under the temp folder.
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=30;Command Timeout=60";
    }

    /// <summary>Folders of clusters whose test process is gone (killed before its exit handler ran).</summary>
    private static void RemoveStaleClusters()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), "checkout-agent-pg-*"))
        {
            var parts = Path.GetFileName(folder).Split('-');
            if (parts.Length >= 4 && int.TryParse(parts[3], out var pid) && !IsAlive(pid)
                && !File.Exists(Path.Combine(folder, "data", "postmaster.pid")))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Someone else's, or busy: leave it.
                }
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string? BinDirectory()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var dir = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            if (process.ExitCode == 0 && File.Exists(Path.Combine(dir, "initdb")))
            {
                return dir;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pg_config on PATH: look where Debian puts the server.
        }
        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
                .OrderDescending().FirstOrDefault()
            : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, string? asUser)
    {
        var start = asUser is null ? new ProcessStartInfo(file) : new ProcessStartInfo("runuser", ["-u", asUser, "--", file]);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited {process.ExitCode}: {await error}{await output}");
        }
    }
}
