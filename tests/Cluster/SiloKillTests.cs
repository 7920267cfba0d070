using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Grains;
using OrleansPrices.Grains.Hosting;
using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Time;
using OrleansPrices.Tests.Grains;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Cluster;

/// <summary>
/// A three-silo TestingHost cluster with the grid's real silo configuration (memory storage and
/// streams, the ingest behind its lease) fed by <see cref="TickingFeed"/>, and the gateway's real
/// <see cref="PriceSubscriptions"/> (one stream subscription per stock, the watchdog) on the
/// cluster client. Silos are killed while every stock ticks every 100 ms.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SiloKillTests(ITestOutputHelper output)
{
    private const int Stocks = 40;
    private const int Runs = 10;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Every_subscribed_stock_delivers_again_within_10_s_of_a_silo_kill_over_10_runs_and_state_is_intact()
    {
        using var log = new ClusterLog(nameof(SiloKillTests));
        var feed = new TickingFeed(Stocks);
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            ConfigureSilo(silo, feed);
            silo.Services.AddLogging(log.AddTo);
        });
        builder.ConfigureClient(client =>
        {
            client.AddMemoryStreams(StreamNames.Provider);
            client.Services.AddLogging(log.AddTo);
        });
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        await cluster.WaitForClusterManifestToStabilizeAsync();
        try
        {
            await using var gateway = await GatewaySide.StartAsync(cluster.Client, feed.Codes, log);
            await WaitAllDelivering(gateway, feed, TimeSpan.FromSeconds(20));

            var silosHosting = await SilosHostingStocks(cluster);
            output.WriteLine($"stocks spread over {silosHosting.Count} silos: {string.Join(", ", silosHosting.Select(kv => $"{kv.Key}={kv.Value}"))}");
            var mostSilos = silosHosting.Count;

            var worst = TimeSpan.Zero;
            var worstRun = 0;
            var times = new List<TimeSpan>();
            var lost = new List<int>();
            for (var run = 1; run <= Runs; run++)
            {
                var victim = await PickVictim(cluster, run);
                var hosted = (await SilosHostingStocks(cluster)).GetValueOrDefault(victim.SiloAddress.ToString());
                // Delivering again: the book holds a quote polled after the kill (not a delta that
                // was already on its way).
                var lastBeforeKill = feed.TimeOf(feed.Tick);
                log.Note($"run {run}: killing {victim.SiloAddress}");
                var killed = Stopwatch.StartNew();
                await cluster.KillSiloAsync(victim);

                var recovered = await WaitAllAfter(gateway, feed.Codes, lastBeforeKill, killed, Deadline + TimeSpan.FromSeconds(5));
                var slowest = recovered.Count > 0 ? recovered.Values.Max() : killed.Elapsed;
                await Task.Delay(TimeSpan.FromSeconds(2));
                times.Add(slowest);
                lost.Add(gateway.Subscriptions.QuietCount);
                output.WriteLine(
                    $"run {run}: killed {victim.SiloAddress} ({hosted} stocks on it), all {Stocks} stocks delivered again after {slowest.TotalMilliseconds:F0} ms; " +
                    $"2 s later {lost[^1]} streams quiet (watchdog so far: {gateway.Subscriptions.Repaired} repairs, {gateway.Subscriptions.Resubscribed} resubscriptions)");
                Assert.True(recovered.Count == Stocks, $"run {run}: {Stocks - recovered.Count} stocks never delivered again");
                Assert.True(slowest <= Deadline, $"run {run}: the slowest stock took {slowest}");
                if (slowest > worst)
                {
                    worst = slowest;
                    worstRun = run;
                }

                await cluster.StartAdditionalSiloAsync();
                await cluster.WaitForLivenessToStabilizeAsync(didKill: true);
                mostSilos = Math.Max(mostSilos, (await SilosHostingStocks(cluster)).Count);
            }
            // Random placement: the stocks spread over the silos (at the start, or as they reactivate
            // after a kill when the first placements raced the other silos' joining).
            Assert.True(mostSilos >= 2, "StockGrains should be spread across silos");
            output.WriteLine($"worst recovery over {Runs} kill runs: {worst.TotalMilliseconds:F0} ms (run {worstRun}); runs: {string.Join(", ", times.Select(t => $"{t.TotalSeconds:F2}"))} s; " +
                $"streams still quiet 2 s after a kill: {string.Join(", ", lost)} of {Stocks}; watchdog: {gateway.Subscriptions.Repaired} repairs, {gateway.Subscriptions.Resubscribed} resubscriptions, {gateway.Subscriptions.Rounds} rounds");

            // State intact: every stock's grain serves its history, today's bar and the latest quote,
            // and the gateway's book converges on it.
            await WaitAllDelivering(gateway, feed, TimeSpan.FromSeconds(5));
            foreach (var code in feed.Codes)
            {
                var snapshot = await cluster.Client.GetGrain<IStockGrain>(code).GetSnapshot();
                Assert.Equal(5, snapshot.History.Length);
                Assert.NotNull(snapshot.Quote);
                Assert.NotNull(snapshot.Today);
                Assert.True(snapshot.Seq > 0);
            }
            Assert.Equal(Stocks, gateway.Subscriptions.Count);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            log.Flush(output);
        }
    }

    internal static void ConfigureSilo(ISiloBuilder silo, TickingFeed feed)
    {
        silo.AddPriceGrid(new ConfigurationBuilder().Build());
        silo.Services.AddSingleton<IQuoteFeed>(feed);
        silo.Services.AddSingleton(sp => new MarketClock(
            sp.GetRequiredService<TradingCalendar>(),
            new FakeTimeProvider(GridCluster.TenAm),
            Options.Create(new MarketClockOptions())));
        silo.Services.AddQuoteIngest();
        silo.Services.AddOptions<OrleansPrices.Grains.Ingest.IngestOptions>().Configure(o =>
        {
            o.InitialBackoff = TimeSpan.FromMilliseconds(100);
            o.MaxBackoff = TimeSpan.FromMilliseconds(500);
        });
        silo.Services.AddOptions<OrleansPrices.Grains.Ingest.IngestLeaseOptions>().Configure(o =>
        {
            o.Duration = TimeSpan.FromSeconds(2);
            o.RenewInterval = TimeSpan.FromMilliseconds(300);
        });
        silo.Services.AddOptions<OrleansPrices.Grains.Stocks.StockGrainOptions>().Configure(o => o.StateWriteInterval = TimeSpan.FromMilliseconds(500));
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }

    /// <summary>Odd runs kill the ingest lease holder (a takeover), even runs the silo hosting the most stocks.</summary>
    private static async Task<InProcessSiloHandle> PickVictim(InProcessTestCluster cluster, int run)
    {
        var active = cluster.Silos.Where(s => s.IsActive).ToList();
        if (run % 2 == 1)
        {
            var grant = await cluster.Client.GetGrain<IIngestLeaseGrain>(IIngestLeaseGrain.Key).GetGrant();
            if (active.FirstOrDefault(s => grant.Holder == s.SiloAddress.ToParsableString()) is { } holder) return holder;
        }
        var hosting = await SilosHostingStocks(cluster);
        return active.OrderByDescending(s => hosting.GetValueOrDefault(s.SiloAddress.ToString())).First();
    }

    private static async Task<Dictionary<string, int>> SilosHostingStocks(InProcessTestCluster cluster)
    {
        var stats = await cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return stats
            .Where(s => s.GrainType.Contains("StockGrain", StringComparison.Ordinal) && !s.GrainType.Contains("Directory", StringComparison.Ordinal))
            .GroupBy(s => s.SiloAddress.ToString())
            .ToDictionary(g => g.Key, g => g.Count());
    }

    private static async Task WaitAllDelivering(GatewaySide gateway, TickingFeed feed, TimeSpan timeout)
    {
        var before = feed.Codes.ToDictionary(c => c, c => gateway.Book.TryGet(c, out var e) ? (e.Epoch, e.Seq) : (0L, 0L));
        var got = await WaitAllNewer(gateway, before, timeout);
        Assert.True(got.Count == before.Count, $"only {got.Count} of {before.Count} stocks delivered within {timeout}");
    }

    /// <summary>Per stock, how long after <paramref name="since"/> started the book held a quote of a time after <paramref name="after"/>.</summary>
    private static async Task<Dictionary<string, TimeSpan>> WaitAllAfter(GatewaySide gateway, IReadOnlyList<string> codes, DateTimeOffset after, Stopwatch since, TimeSpan timeout)
    {
        var done = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        while (done.Count < codes.Count && since.Elapsed < timeout)
        {
            foreach (var code in codes)
            {
                if (!done.ContainsKey(code) && gateway.Book.TryGet(code, out var e) && e.Quote.Time > after) done[code] = since.Elapsed;
            }
            await Task.Delay(20);
        }
        return done;
    }

    /// <summary>Per stock, how long until the book held a value newer than <paramref name="before"/>.</summary>
    private static async Task<Dictionary<string, TimeSpan>> WaitAllNewer(GatewaySide gateway, Dictionary<string, (long Epoch, long Seq)> before, TimeSpan timeout)
    {
        var started = Stopwatch.StartNew();
        var done = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        while (done.Count < before.Count && started.Elapsed < timeout)
        {
            foreach (var (code, (epoch, seq)) in before)
            {
                if (done.ContainsKey(code) || !gateway.Book.TryGet(code, out var e)) continue;
                if (e.Epoch != epoch || e.Seq > seq) done[code] = started.Elapsed;
            }
            await Task.Delay(20);
        }
        return done;
    }
}

/// <summary>
/// The gateway's price side on a cluster client: the real fan-out services and
/// <see cref="PriceSubscriptions"/> with a fast watchdog, interested in <c>codes</c>.
/// </summary>
internal sealed class GatewaySide : IAsyncDisposable
{
    private readonly IHost _host;

    private GatewaySide(IHost host)
    {
        _host = host;
        Book = host.Services.GetRequiredService<PriceBook>();
        Subscriptions = host.Services.GetRequiredService<PriceSubscriptions>();
    }

    public PriceBook Book { get; }
    public PriceSubscriptions Subscriptions { get; }

    public static async Task<GatewaySide> StartAsync(IClusterClient client, IReadOnlyCollection<string> codes, ClusterLog log)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        log.AddTo(builder.Logging);
        builder.Services.AddSingleton(client);
        builder.Services.AddPriceFanOut();
        builder.Services.AddOptions<SubscriptionWatchdogOptions>().Configure(o =>
        {
            o.CheckInterval = TimeSpan.FromMilliseconds(500);
            o.StaleAfter = TimeSpan.FromSeconds(1);
            o.ResubscribeBackoff = TimeSpan.FromSeconds(2);
        });
        builder.Services.AddSingleton<PriceSubscriptions>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PriceSubscriptions>());
        var host = builder.Build();
        await host.StartAsync();
        var side = new GatewaySide(host);
        await side.Subscriptions.SetInterest("test", codes, CancellationToken.None);
        return side;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>
/// A quote feed where every stock moves on every poll (100 ms): price and volume step with a
/// shared tick counter and the snapshot time advances 100 ms per tick, so whichever silo holds the
/// ingest lease continues the same sequence. History as <see cref="HistoryFeed"/>.
/// </summary>
public sealed class TickingFeed(int stocks) : IQuoteFeed
{
    private readonly HistoryFeed _history = new();
    private long _tick;

    public IReadOnlyList<string> Codes { get; } = [.. Enumerable.Range(0, stocks).Select(i => $"{600000 + i * 3:D6}.SH")];

    public string Name => "ticking";
    public TimeSpan PollInterval => TimeSpan.FromMilliseconds(100);
    public IReadOnlyList<StockInfo> Universe => [];

    /// <summary>The last tick polled (0: none yet).</summary>
    public long Tick => Interlocked.Read(ref _tick);

    /// <summary>The snapshot time of the quotes of <paramref name="tick"/>.</summary>
    public DateTimeOffset TimeOf(long tick) => GridCluster.TenAm.AddMilliseconds(tick * 100);

    public ValueTask<IReadOnlyList<Quote>> PollAsync(CancellationToken cancellationToken)
    {
        var tick = Interlocked.Increment(ref _tick);
        var price = 10.00m + (tick % 50) * 0.01m;
        IReadOnlyList<Quote> quotes = [.. Codes.Select(code => new Quote
        {
            TsCode = code,
            Name = "测试股份",
            Price = price,
            PreClose = 10.00m,
            Open = 10.00m,
            High = 10.50m,
            Low = 9.90m,
            Volume = tick * 100,
            Amount = tick * 1000m,
            Bid = price - 0.01m,
            Ask = price + 0.01m,
            Time = TimeOf(tick),
        })];
        return ValueTask.FromResult(quotes);
    }

    public ValueTask<IReadOnlyList<DailyBar>> GetHistoryAsync(string tsCode, int days, CancellationToken cancellationToken) =>
        _history.GetHistoryAsync(tsCode, days, cancellationToken);
}
