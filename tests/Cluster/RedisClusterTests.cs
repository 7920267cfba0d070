using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Grains;
using OrleansPrices.Grains.Hosting;
using OrleansPrices.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Cluster;

/// <summary>
/// The production cluster configuration against a real redis-server (AOF on, as production should
/// run it): two silos (<c>silo</c>'s own wiring, Redis clustering and storage) and the real gateway
/// as an Orleans client through Redis. Then a silo restarts (state survives), then Redis goes
/// away mid-stream and comes back (delivery continues, everything resumes without a restart).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Silos_and_a_gateway_cluster_through_redis_state_survives_a_silo_restart_and_a_redis_restart_mid_stream()
    {
        using var log = new ClusterLog(nameof(RedisClusterTests));
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        var cluster = new Dictionary<string, string?>
        {
            ["Cluster:Redis"] = redis.ConnectionString,
            ["Cluster:ServiceId"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:ClusterId"] = "test",
        };

        var siloA = await StartSilo(cluster, log);
        var siloB = await StartSilo(cluster, log);
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>(cluster)
        {
            ["Gateway:Subscriptions:CheckInterval"] = "00:00:00.500",
            ["Gateway:Subscriptions:StaleAfter"] = "00:00:01",
            ["Gateway:Subscriptions:ResubscribeBackoff"] = "00:00:02",
        }, services => services.AddLogging(log.AddTo));
        try
        {
            var client = gateway.Get<IClusterClient>();
            var universe = await client.GetGrain<IStockDirectoryGrain>(IStockDirectoryGrain.Key).GetUniverse();
            var codes = universe.Take(40).Select(s => s.TsCode).ToArray();
            var subscriptions = gateway.Get<PriceSubscriptions>();
            await subscriptions.SetInterest("test", codes, CancellationToken.None);
            output.WriteLine($"gateway follows {subscriptions.Count} stocks; caught up in {await CatchUp(gateway, codes)} ms");

            // The brief's cache key and the Orleans keys are in Redis.
            using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
            var db = mux.GetDatabase();
            var trend = await WaitForKey(db, "stock_trend:" + codes[0]);
            using (var json = JsonDocument.Parse(trend))
            {
                var bars = json.RootElement.GetProperty("data");
                Assert.True(bars.GetArrayLength() > 10);
                var last = bars[bars.GetArrayLength() - 1];
                foreach (var field in new[] { "trade_date", "open", "high", "low", "close", "pre_close", "vol", "amount" })
                {
                    Assert.True(last.TryGetProperty(field, out _), $"stock_trend bar lacks {field}");
                }
            }
            var server = mux.GetServer(mux.GetEndPoints()[0]);
            var keys = server.Keys(pattern: cluster["Cluster:ServiceId"] + "*").Select(k => k.ToString()).ToArray();
            output.WriteLine($"Redis: {server.Keys(pattern: "stock_trend:*").Count()} stock_trend keys; Orleans keys e.g. {string.Join(", ", keys.Where(k => k.Contains("/members/", StringComparison.Ordinal)).Take(1))}");
            Assert.Contains(keys, k => k == $"{cluster["Cluster:ServiceId"]}/members/test");

            // A silo leaves cleanly and another joins: its stocks reactivate elsewhere from Redis with
            // their state, in the same epoch (their seq continues), so clients need no fresh
            // snapshot for a planned restart. With Orleans' default grain directory (partitions on a
            // hash ring over the silos) a call routed while a partition moved could start a second
            // activation, which read the state before the hand-over write and began a new epoch.
            // The directory is in Redis now (docs/architecture.md, "Grain directory").
            var before = await Heads(client, codes);
            log.Note("stopping silo A");
            await siloA.StopAsync();
            siloA.Dispose();
            siloA = await StartSilo(cluster, log);
            log.Note("silo A restarted");
            var after = await Heads(client, codes);
            Assert.All(codes, c => Assert.True(
                after[c].Epoch == before[c].Epoch && after[c].Seq >= before[c].Seq,
                $"{c}: {before[c].Epoch}/{before[c].Seq} before the restart, {after[c].Epoch}/{after[c].Seq} after"));
            foreach (var code in codes)
            {
                var snapshot = await client.GetGrain<IStockGrain>(code).GetSnapshot();
                Assert.True(snapshot.History.Length > 10, $"{code} lost its daily bars");
                Assert.NotNull(snapshot.Quote);
            }
            output.WriteLine($"silo restart: all {codes.Length} stocks kept their epoch; gateway caught up in {await CatchUp(gateway, codes)} ms");

            // Redis goes away mid-stream: prices keep flowing from what the silos hold.
            var trendBefore = (string?)await db.StringGetAsync("stock_trend:" + codes[0]);
            log.Note("stopping Redis");
            await redis.StopAsync();
            log.Note("Redis stopped");
            // Meanwhile a client wants more stocks: subscribing needs the pub-sub store, so it
            // waits on Redis. The watchdog must not wait with it (its repairs are what keeps a
            // stock whose subscription was lost moving).
            var rounds = subscriptions.Rounds;
            var wanted = universe.Select(s => s.TsCode).Where(c => !subscriptions.IsSubscribed(c)).Take(5).ToArray();
            var pending = subscriptions.SetInterest("outage", wanted, CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(3));
            var roundsDuringOutage = subscriptions.Rounds - rounds;
            output.WriteLine($"Redis down 3 s: {roundsDuringOutage} watchdog rounds while subscribing {wanted.Length} more stocks was {(pending.IsCompleted ? "done" : "still waiting")}; " +
                $"gateway caught up in {await CatchUp(gateway, codes)} ms");
            Assert.True(roundsDuringOutage >= 2, $"the watchdog ran {roundsDuringOutage} rounds in 3 s (every 0.5 s expected) while a subscription waited on Redis");

            // It comes back: writes resume (stock_trend rewritten), delivery continues, no restart.
            log.Note("starting Redis");
            await redis.StartAsync();
            log.Note("Redis started");
            var restarted = Stopwatch.StartNew();
            string? trendAfter = null;
            while (restarted.Elapsed < TimeSpan.FromSeconds(15))
            {
                try
                {
                    trendAfter = await db.StringGetAsync("stock_trend:" + codes[0]);
                    if (trendAfter is not null && trendAfter != trendBefore) break;
                }
                catch (RedisException)
                {
                }
                await Task.Delay(200);
            }
            Assert.NotEqual(trendBefore, trendAfter);
            await pending;
            output.WriteLine($"Redis back: stock_trend rewritten after {restarted.ElapsedMilliseconds} ms; gateway caught up in {await CatchUp(gateway, codes)} ms " +
                $"(watchdog: {subscriptions.Repaired} repairs, {subscriptions.Resubscribed} resubscriptions, {subscriptions.QuietCount} streams quiet)");

            // The stocks wanted during the outage are served as soon as their grains can be reached
            // (a grain that was on the stopped silo cannot activate while its state is unreadable).
            var book = gateway.Get<PriceBook>();
            var serving = Stopwatch.StartNew();
            while (serving.Elapsed < TimeSpan.FromSeconds(10) && !wanted.All(c => book.TryGet(c, out _))) await Task.Delay(50);
            Assert.True(wanted.All(c => book.TryGet(c, out _)), $"not in the book 10 s after Redis came back: {string.Join(", ", wanted.Where(c => !book.TryGet(c, out _)))}");
            output.WriteLine($"the {wanted.Length} stocks wanted during the outage: all in the book {serving.ElapsedMilliseconds} ms after that");
        }
        finally
        {
            if (!redis.IsRunning) await redis.StartAsync(); // silos leave the cluster through Redis
            await siloA.StopAsync();
            await siloB.StopAsync();
            siloA.Dispose();
            siloB.Dispose();
            log.Flush(output);
        }
    }

    /// <summary>A silo as <c>silo/Program.cs</c> builds it, with a fast market.</summary>
    private static async Task<IHost> StartSilo(IReadOnlyDictionary<string, string?> cluster, ClusterLog log)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(cluster)
        {
            ["Cluster:SiloPort"] = GatewayHost.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = GatewayHost.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:AdvertisedHost"] = "127.0.0.1",
            ["Market:Clock:AlwaysOpen"] = "true",
            ["Market:Simulator:UniverseSize"] = "300",
            ["Market:Simulator:TickInterval"] = "00:00:00.100",
            ["Grid:Stocks:StateWriteInterval"] = "00:00:00.500",
            ["Grid:Ingest:Lease:Duration"] = "00:00:02",
            ["Grid:Ingest:Lease:RenewInterval"] = "00:00:00.300",
        });
        builder.Logging.ClearProviders();
        log.AddTo(builder.Logging);
        builder.UseOrleans(silo => silo.AddPriceSilo(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<Dictionary<string, StockHead>> Heads(IClusterClient client, IEnumerable<string> codes)
    {
        var heads = await Task.WhenAll(codes.Select(c => client.GetGrain<IStockGrain>(c).GetHead()));
        return heads.ToDictionary(h => h.TsCode, StringComparer.Ordinal);
    }

    /// <summary>Milliseconds until the gateway's book holds, for every code, at least what its grain held at the start.</summary>
    private static async Task<long> CatchUp(GatewayHost gateway, string[] codes)
    {
        var client = gateway.Get<IClusterClient>();
        var book = gateway.Get<PriceBook>();
        var heads = await Heads(client, codes);
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(10))
        {
            var behind = codes.Where(c => heads[c].Quote is not null && (!book.TryGet(c, out var e) || e.Epoch < heads[c].Epoch || (e.Epoch == heads[c].Epoch && e.Seq < heads[c].Seq))).ToArray();
            if (behind.Length == 0) return started.ElapsedMilliseconds;
            await Task.Delay(50);
        }
        var subscriptions = gateway.Get<PriceSubscriptions>();
        var late = codes.Where(c => heads[c].Quote is not null && (!book.TryGet(c, out var e) || e.Epoch < heads[c].Epoch || (e.Epoch == heads[c].Epoch && e.Seq < heads[c].Seq)))
            .Select(c => $"{c} grain {heads[c].Epoch}/{heads[c].Seq} book {(book.TryGet(c, out var e) ? $"{e.Epoch}/{e.Seq}" : "none")}{(subscriptions.IsSubscribed(c) ? "" : " not subscribed")}");
        throw new TimeoutException($"the gateway's book did not catch up with the grains within 10 s: {string.Join("; ", late)}");
    }

    private static async Task<string> WaitForKey(IDatabase db, string key)
    {
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (await db.StringGetAsync(key) is { HasValue: true } value) return value!;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{key} was not written within 10 s");
    }
}
