using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OrleansPrices.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Cluster;

/// <summary>
/// The cluster as separate OS processes, the way <c>scripts/cluster.sh</c> runs it: silos and
/// gateways started with <c>dotnet</c> from their built outputs (the configuration the test
/// assembly was built in: <c>dotnet test</c> builds the whole solution), configured by the same
/// environment variables. Every process started here is killed on dispose, whatever happened.
/// </summary>
public sealed class TopologyProcesses : IAsyncDisposable
{
    private readonly List<ClusterProcess> _processes = [];
    private readonly ITestOutputHelper _output;
    private readonly IReadOnlyDictionary<string, string> _shared;

    /// <param name="shared">Environment every process gets (the <c>Cluster__*</c> settings, the market).</param>
    public TopologyProcesses(ITestOutputHelper output, IReadOnlyDictionary<string, string> shared)
    {
        _output = output;
        _shared = shared;
        AppDomain.CurrentDomain.ProcessExit += KillAll;
    }

    /// <summary>The built output of a project, e.g. <c>silo/bin/Release/net10.0/OrleansPrices.Silo.dll</c>.</summary>
    public static string Built(string project, string assembly)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = GatewayHost.RepoPath(Path.Combine(project, "bin", framework.Parent!.Name, framework.Name, assembly + ".dll"));
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build the solution (dotnet build OrleansPrices.sln -c {framework.Parent.Name})", path);
    }

    /// <summary>A silo process with its silo, gateway and health ports.</summary>
    public ClusterProcess StartSilo(string name) => Start(name, Built("silo", "OrleansPrices.Silo"), new()
    {
        ["Cluster__SiloPort"] = Port(),
        ["Cluster__GatewayPort"] = Port(),
    });

    /// <summary>A gateway process (an Orleans client of the cluster) on its own HTTP port.</summary>
    public ClusterProcess StartGateway(string name, IReadOnlyDictionary<string, string>? extra = null) =>
        Start(name, Built("gateway", "OrleansPrices.Gateway"), new(extra ?? new Dictionary<string, string>()));

    private static string Port() => GatewayHost.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private ClusterProcess Start(string name, string dll, Dictionary<string, string> env)
    {
        var http = new Uri($"http://127.0.0.1:{Port()}");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var (k, v) in _shared) psi.Environment[k] = v;
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["Urls"] = http.ToString().TrimEnd('/');
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = new ClusterProcess(name, Process.Start(psi) ?? throw new InvalidOperationException($"{name} did not start"), http);
        lock (_processes) _processes.Add(process);
        return process;
    }

    /// <summary>Waits until <c>/health/ready</c> of every process answers 200.</summary>
    public async Task WaitReady(TimeSpan timeout, params ClusterProcess[] processes)
    {
        var started = Stopwatch.StartNew();
        await Task.WhenAll(processes.Select(async p =>
        {
            (HttpStatusCode Status, string Body)? last = null;
            while (started.Elapsed < timeout)
            {
                if (p.HasExited) throw new InvalidOperationException($"{p.Name} exited with {p.ExitCode}:\n{p.Log}");
                last = await p.Health("ready");
                if (last?.Status == HttpStatusCode.OK) return;
                await Task.Delay(200);
            }
            throw new TimeoutException($"{p.Name} not ready within {timeout.TotalSeconds} s (last: {last}):\n{p.Log}");
        }));
        _output.WriteLine($"{string.Join(", ", processes.Select(p => p.Name))} ready after {started.Elapsed.TotalSeconds:F1} s");
    }

    private void KillAll(object? sender, EventArgs e)
    {
        lock (_processes)
        {
            foreach (var p in _processes) p.Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillAll;
        ClusterProcess[] all;
        lock (_processes) all = [.. _processes];
        foreach (var p in all)
        {
            p.Kill();
            await p.DisposeAsync();
        }
    }
}

/// <summary>One silo or gateway process; keeps the last lines of its output for failure messages.</summary>
public sealed class ClusterProcess : IAsyncDisposable
{
    private static readonly HttpClient HttpClient = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly Process _process;
    private readonly Queue<string> _log = new();

    public ClusterProcess(string name, Process process, Uri http)
    {
        Name = name;
        Http = http;
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }
    public Uri Http { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public Uri WebSocket => new UriBuilder(Http) { Scheme = "ws", Path = "/ws/stock/prices" }.Uri;

    public string Log
    {
        get
        {
            lock (_log) return string.Join('\n', _log);
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > 100) _log.Dequeue();
        }
    }

    /// <summary><c>/health/live</c> or <c>/health/ready</c>: status and body, or null when nothing answers.</summary>
    public async Task<(HttpStatusCode Status, string Body)?> Health(string kind)
    {
        try
        {
            using var response = await HttpClient.GetAsync(new Uri(Http, "/health/" + kind));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Whether this silo's ready check says it holds the ingest lease.</summary>
    public async Task<bool> HoldsIngestLease()
    {
        if (await Health("ready") is not { } health) return false;
        using var doc = JsonDocument.Parse(health.Body);
        return doc.RootElement.GetProperty("checks").TryGetProperty("membership", out var m)
            && m.GetProperty("description").GetString()!.Contains("; holds the ingest lease", StringComparison.Ordinal);
    }

    /// <summary>SIGTERM: the process stops as an orchestrator would stop it.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGKILL (a crash), if it still runs.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public Task WaitForExit(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
        _process.Dispose();
    }
}
