using System.Diagnostics;
using System.Net.Sockets;

namespace OrleansPrices.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> for the cluster tests, on a free loopback port, in a temp directory,
/// without persistence by default (<c>--save "" --appendonly no</c>). It can be stopped and started
/// again on the same port (a Redis outage). With <c>appendOnly</c> it runs as production should
/// (AOF), so a restart keeps the data.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _executable;
    private readonly string _directory;
    private readonly bool _appendOnly;
    private Process? _process;

    private RedisServer(string executable, int port, bool appendOnly)
    {
        _executable = executable;
        Port = port;
        _appendOnly = appendOnly;
        _directory = Directory.CreateTempSubdirectory("orleansprices-redis-").FullName;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis connection string (<c>Cluster:Redis</c>).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<RedisServer> StartAsync(bool appendOnly = false)
    {
        var executable = Find() ?? throw new InvalidOperationException(
            "redis-server is not on PATH: run scripts/ensure-redis.sh (./test.sh does) to install Debian's redis-server.");
        var server = new RedisServer(executable, GatewayHost.FreePort(), appendOnly);
        await server.StartAsync();
        return server;
    }

    private static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Starts (or starts again, on the same port and directory) and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        if (IsRunning) return;
        var psi = new ProcessStartInfo(_executable)
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", _appendOnly ? "yes" : "no", "--dir", _directory })
        {
            psi.ArgumentList.Add(arg);
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} on port {Port}");
            if (await Ping()) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"redis-server did not answer on port {Port} within 10 s");
    }

    private async Task<bool> Ping()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
            return n >= 5 && buffer[0] == (byte)'+';
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Stops the server as an operator would (<c>SHUTDOWN</c>: with AOF it syncs first), killing it after 5 s.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            await client.GetStream().WriteAsync("SHUTDOWN\r\n"u8.ToArray());
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
        }
        await KillAsync();
    }

    /// <summary>Kills the server (SIGKILL: a crash; AOF keeps what it had synced).</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
