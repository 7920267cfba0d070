using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Grains;
using OrleansPrices.Silo;
using OrleansPrices.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Cluster;

/// <summary>
/// Redis goes away and comes back under a running cluster (real redis-server, two silos as
/// <c>silo/</c> wires them, with their health port, and the real gateway as an Orleans client):
/// prices keep flowing, subscribers are told the data is stale and why, both health endpoints say
/// not ready; once Redis is back, everything recovers without a restart.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Recover = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_redis_outage_makes_status_stale_and_health_not_ready_while_prices_flow_and_all_recovers_when_redis_returns()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        var cluster = new Dictionary<string, string?>
        {
            ["Cluster:Redis"] = redis.ConnectionString,
            ["Cluster:ServiceId"] = "outage-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:ClusterId"] = "test",
        };
        var siloA = await StartSilo(cluster);
        var siloB = await StartSilo(cluster);
        try
        {
            await using var gateway = await GatewayHost.StartAsync(cluster);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var codes = (await gateway.Get<IClusterClient>().GetGrain<IStockDirectoryGrain>(IStockDirectoryGrain.Key).GetUniverse())
                .Take(20).Select(s => s.TsCode).ToArray();

            await using var ws = await TestSocket.ConnectAsync(gateway.WebSocket);
            await ws.Next("connected");
            await ws.SendText(JsonSerializer.Serialize(new { type = "subscribe", codes }));
            await ws.Next("subscribed");
            var fresh = await NextStatus(ws, s => !s.GetProperty("stale").GetBoolean(), Recover);
            Assert.False(fresh.TryGetProperty("reason", out _));
            await ws.Next("update");
            Assert.Equal(HttpStatusCode.OK, (await Health(http, gateway.Http, "ready")).Status);
            Assert.Equal(HttpStatusCode.OK, (await Health(http, siloA.Http, "ready")).Status);

            // Redis goes away.
            await redis.StopAsync();
            var down = Stopwatch.StartNew();
            var stale = await NextStatus(ws, s => s.GetProperty("stale").GetBoolean(), Detect);
            Assert.Equal(StaleReasons.StorageUnavailable, stale.GetProperty("reason").GetString());
            var toldStale = down.Elapsed;
            var gatewayReady = await WaitHealth(http, gateway.Http, HttpStatusCode.ServiceUnavailable, Detect);
            Assert.Contains(StaleReasons.StorageUnavailable, gatewayReady.Body, StringComparison.Ordinal);
            var siloReady = await WaitHealth(http, siloA.Http, HttpStatusCode.ServiceUnavailable, Detect);
            Assert.Contains("storage_unavailable", siloReady.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await Health(http, gateway.Http, "live")).Status);
            Assert.Equal(HttpStatusCode.OK, (await Health(http, siloB.Http, "live")).Status);
            // Prices keep flowing from what the silos hold.
            await ws.Next("update", TimeSpan.FromSeconds(5));
            output.WriteLine($"Redis stopped: status stale ({StaleReasons.StorageUnavailable}) after {toldStale.TotalMilliseconds:F0} ms; " +
                $"gateway ready 503 after {gatewayReady.After.TotalMilliseconds:F0} ms, silo ready 503 after {siloReady.After.TotalMilliseconds:F0} ms; updates still arriving");
            output.WriteLine($"gateway /health/ready during the outage: {gatewayReady.Body}");
            await Task.Delay(TimeSpan.FromSeconds(2));

            // It comes back: no restart of anything.
            await redis.StartAsync();
            var up = Stopwatch.StartNew();
            await NextStatus(ws, s => !s.GetProperty("stale").GetBoolean(), Recover);
            var toldFresh = up.Elapsed;
            var gatewayBack = await WaitHealth(http, gateway.Http, HttpStatusCode.OK, Recover);
            var siloBack = await WaitHealth(http, siloA.Http, HttpStatusCode.OK, Recover);
            var siloBBack = await WaitHealth(http, siloB.Http, HttpStatusCode.OK, Recover);
            ws.Drain();
            var update = await ws.Next("update", TimeSpan.FromSeconds(5));
            Assert.Contains(update.GetProperty("data")[0].GetProperty("ts_code").GetString(), codes);
            output.WriteLine($"Redis back: status not stale after {toldFresh.TotalMilliseconds:F0} ms; gateway ready 200 after {gatewayBack.After.TotalMilliseconds:F0} ms, " +
                $"silos ready 200 after {siloBack.After.TotalMilliseconds:F0} / {siloBBack.After.TotalMilliseconds:F0} ms; updates flowing");
        }
        finally
        {
            if (!redis.IsRunning) await redis.StartAsync(); // silos leave the cluster through Redis
            await siloA.DisposeAsync();
            await siloB.DisposeAsync();
        }
    }

    [Fact]
    public async Task Losing_every_silo_makes_status_stale_with_cluster_unavailable_and_a_new_silo_ends_it()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        var cluster = new Dictionary<string, string?>
        {
            ["Cluster:Redis"] = redis.ConnectionString,
            ["Cluster:ServiceId"] = "nosilo-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:ClusterId"] = "test",
        };
        var silo = await StartSilo(cluster);
        SiloHost? replacement = null;
        try
        {
            await using var gateway = await GatewayHost.StartAsync(cluster);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await using var ws = await TestSocket.ConnectAsync(gateway.WebSocket);
            await ws.Next("connected");
            await ws.SendText("{\"type\":\"subscribe\",\"list\":\"buy\"}");
            await ws.Next("subscribed");
            await NextStatus(ws, s => !s.GetProperty("stale").GetBoolean(), Recover);

            // The only silo leaves: the gateway is connected to none.
            await silo.DisposeAsync();
            var gone = Stopwatch.StartNew();
            var stale = await NextStatus(ws, s => s.GetProperty("stale").GetBoolean(), Detect);
            Assert.Equal(StaleReasons.ClusterUnavailable, stale.GetProperty("reason").GetString());
            var toldStale = gone.Elapsed;
            var ready = await WaitHealth(http, gateway.Http, HttpStatusCode.ServiceUnavailable, Detect);
            Assert.Contains(StaleReasons.ClusterUnavailable, ready.Body, StringComparison.Ordinal);

            // A new silo joins: the gateway finds it through Redis and prices flow again.
            replacement = await StartSilo(cluster);
            var joined = Stopwatch.StartNew();
            await NextStatus(ws, s => !s.GetProperty("stale").GetBoolean(), Recover);
            var toldFresh = joined.Elapsed;
            await WaitHealth(http, gateway.Http, HttpStatusCode.OK, Recover);
            output.WriteLine($"last silo stopped: status stale ({StaleReasons.ClusterUnavailable}) after {toldStale.TotalMilliseconds:F0} ms; " +
                $"a new silo started: status not stale {toldFresh.TotalMilliseconds:F0} ms after it was up");
        }
        finally
        {
            await silo.DisposeAsync();
            if (replacement is not null) await replacement.DisposeAsync();
        }
    }

    private static async Task<JsonElement> NextStatus(TestSocket ws, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var status = await ws.Next("status", timeout - deadline.Elapsed);
            if (match(status)) return status;
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> Health(HttpClient http, Uri host, string kind)
    {
        using var response = await http.GetAsync(new Uri(host, "/health/" + kind));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(string Body, TimeSpan After)> WaitHealth(HttpClient http, Uri host, HttpStatusCode expected, TimeSpan timeout)
    {
        var started = Stopwatch.StartNew();
        var last = default((HttpStatusCode Status, string Body));
        while (started.Elapsed < timeout)
        {
            last = await Health(http, host, "ready");
            if (last.Status == expected) return (last.Body, started.Elapsed);
            await Task.Delay(100);
        }
        throw new TimeoutException($"{host}health/ready did not answer {(int)expected} within {timeout.TotalSeconds} s; last: {(int)last.Status} {last.Body}");
    }

    /// <summary>A silo as <c>silo/Program.cs</c> builds it (with its health port), on free ports, with a fast market.</summary>
    private static async Task<SiloHost> StartSilo(IReadOnlyDictionary<string, string?> cluster)
    {
        var port = GatewayHost.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(GatewayHost.FastMarket);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(cluster)
        {
            ["Cluster:SiloPort"] = GatewayHost.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = GatewayHost.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:AdvertisedHost"] = "127.0.0.1",
        });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.AddPriceSiloHost();
        var app = builder.Build();
        app.MapSiloEndpoints();
        await app.StartAsync();
        return new SiloHost(app, new Uri($"http://127.0.0.1:{port}/"));
    }

    private sealed class SiloHost(WebApplication app, Uri http) : IAsyncDisposable
    {
        public Uri Http { get; } = http;

        private bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
