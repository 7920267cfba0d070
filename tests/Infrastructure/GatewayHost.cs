using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansPrices.Gateway.Hosting;

namespace OrleansPrices.Tests.Infrastructure;

/// <summary>
/// The real gateway (Kestrel on a free loopback port, its co-hosted silo on free ports, the
/// simulated market) started in-process for end-to-end tests. Settings override appsettings.json;
/// by default the market is held open, the universe is small and ticks every 100 ms.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, Uri http)
    {
        _app = app;
        Http = http;
        WebSocket = new UriBuilder(http) { Scheme = "ws", Path = "/ws/stock/prices" }.Uri;
    }

    public Uri Http { get; }
    public Uri WebSocket { get; }
    public IServiceProvider Services => _app.Services;

    public T Get<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    public static readonly IReadOnlyDictionary<string, string?> FastMarket = new Dictionary<string, string?>
    {
        ["Market:Clock:AlwaysOpen"] = "true",
        ["Market:Simulator:UniverseSize"] = "300",
        ["Market:Simulator:TickInterval"] = "00:00:00.100",
        ["Gateway:ListReconcileInterval"] = "00:00:01",
    };

    public static async Task<GatewayHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var port = FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "OrleansPrices.Gateway",
            ContentRootPath = RepoPath("gateway"),
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddJsonFile(Path.Combine(RepoPath("gateway"), "appsettings.json"), optional: false);
        var merged = new Dictionary<string, string?>(FastMarket)
        {
            ["Cluster:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) merged[k] = v;
        builder.Configuration.AddInMemoryCollection(merged);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter(_ => false);
        builder.AddPriceGateway();
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapPriceGateway();
        await app.StartAsync();
        var host = new GatewayHost(app, new Uri($"http://127.0.0.1:{port}"));
        await host.WaitReady();
        return host;
    }

    /// <summary>
    /// Waits until the gateway is ready (/healthz: the signal lists and the stock directory are
    /// loaded) and the market has priced the stocks tests name (the feed's first poll is applied).
    /// Ready alone can come before the first poll: a loaded machine then ran tests against grains
    /// with no quote yet (REST quotes answered no rows, a subscribe got no snapshot).
    /// </summary>
    private async Task WaitReady()
    {
        using var http = new HttpClient { BaseAddress = Http };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var ready = false;
        while (DateTime.UtcNow < deadline)
        {
            if (!ready)
            {
                using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
                ready = health.StatusCode == HttpStatusCode.OK;
            }
            if (ready && await PricedCount(http) == PricedFirst.Length) return;
            await Task.Delay(100);
        }
        throw new TimeoutException(ready ? $"the market did not price {string.Join(", ", PricedFirst)} within 60 s" : "gateway did not become ready in 60 s");
    }

    /// <summary>
    /// Waits until <paramref name="strategy"/>'s buy list (every strategy's, when null) has
    /// members. The test market runs on the wall clock in always-open mode, and the volume-ratio
    /// strategy admits no stock in a session's first 5 minutes (as at a real open): outside
    /// Shanghai trading hours the simulated session restarts every 4 hours (00:00, 04:00, …
    /// Shanghai time), and on a trading day it opens at 9:30. A test started then would find that
    /// list empty for up to 5 minutes, and the union too whenever no stock crosses its averages.
    /// </summary>
    public async Task WaitForListMembers(string? strategy = null)
    {
        using var http = new HttpClient { BaseAddress = Http };
        var deadline = DateTime.UtcNow.AddMinutes(6);
        while (true)
        {
            using var body = System.Text.Json.JsonDocument.Parse(
                await http.GetStringAsync(new Uri(strategy is null ? "/api/stocks/signal/buy" : $"/api/stocks/signal/buy?strategy={strategy}", UriKind.Relative)));
            if (body.RootElement.GetProperty("data").GetProperty("count").GetInt32() > 0) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the {strategy ?? "buy"} list stayed empty for 6 minutes");
            await Task.Delay(500);
        }
    }

    /// <summary>Stocks the tests name, all among the universe's first 60.</summary>
    private static readonly string[] PricedFirst = ["600519.SH", "600000.SH", "000001.SZ"];

    private static async Task<int> PricedCount(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri($"/api/stocks/quotes?codes={string.Join(',', PricedFirst)}", UriKind.Relative));
        if (response.StatusCode != HttpStatusCode.OK) return 0;
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("data").GetProperty("count").GetInt32();
    }

    private static readonly HashSet<int> Handed = [];

    /// <summary>
    /// A loopback port free now and never handed out before in this test process (the kernel may
    /// give a just-released port again, and one host takes three ports in a row).
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (Handed)
            {
                if (Handed.Add(port)) return port;
            }
        }
    }

    public static string RepoPath(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansPrices.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("OrleansPrices.sln not found above the test binaries"), relative);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
