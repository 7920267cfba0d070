using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Hosting;
using Orleans.Streams;
using Orleans.TestingHost;
using OrleansPrices.Grains;
using OrleansPrices.Grains.Hosting;
using OrleansPrices.Grains.Stocks;
using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Time;
using Xunit;

namespace OrleansPrices.Tests.Grains;

/// <summary>
/// A two-silo in-process TestingHost cluster with the grid's real silo configuration. The quote
/// feed is <see cref="HistoryFeed"/> (history only: tests apply quotes themselves) and the market
/// clock reads a fake time fixed at 10:00 on a trading day (30 minutes of continuous trading).
/// StockGrains publish for at most <see cref="MaxFollowLease"/> without a follow.
/// </summary>
public sealed class GridCluster : IAsyncLifetime
{
    public static readonly DateTimeOffset TenAm = new(2026, 11, 26, 10, 0, 0, TimeSpan.FromHours(8));

    /// <summary>The grains' longest follow lease here (60 s in the product), so that tests see a lease lapse.</summary>
    public static readonly TimeSpan MaxFollowLease = TimeSpan.FromSeconds(3);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddPriceGrid(new ConfigurationBuilder().Build());
            silo.Services.AddSingleton<IQuoteFeed>(new HistoryFeed());
            silo.Services.Configure<StockGrainOptions>(o => o.MaxFollowLease = MaxFollowLease);
            silo.Services.AddSingleton(sp => new MarketClock(
                sp.GetRequiredService<TradingCalendar>(),
                new FakeTimeProvider(TenAm),
                Options.Create(new MarketClockOptions())));
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(StreamNames.Provider));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>Subscribes to a stream and collects what arrives.</summary>
    public async Task<Collector<T>> Collect<T>(Orleans.Runtime.StreamId stream)
    {
        var collector = new Collector<T>();
        await Client.GetStreamProvider(StreamNames.Provider).GetStream<T>(stream)
            .SubscribeAsync((T item, StreamSequenceToken? _) => collector.Add(item));
        return collector;
    }
}

public sealed class Collector<T>
{
    private readonly ConcurrentQueue<T> _items = new();

    public IReadOnlyList<T> Items => [.. _items];

    internal Task Add(T item)
    {
        _items.Enqueue(item);
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<T>> WaitFor(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (_items.Count < count && DateTime.UtcNow < deadline) await Task.Delay(20);
        return Items;
    }
}

/// <summary>
/// Test double of the quote feed: no quotes of its own, and five prior days of 2,400,000 shares
/// each at a close of 10.00 for every code (so the 5-day average is 10,000 shares a minute).
/// </summary>
public sealed class HistoryFeed : IQuoteFeed
{
    public string Name => "history-only";
    public TimeSpan PollInterval => TimeSpan.FromSeconds(3);
    public IReadOnlyList<StockInfo> Universe => [];

    public ValueTask<IReadOnlyList<Quote>> PollAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<Quote>>([]);

    public ValueTask<IReadOnlyList<DailyBar>> GetHistoryAsync(string tsCode, int days, CancellationToken cancellationToken)
    {
        var start = new DateOnly(2026, 11, 19);
        IReadOnlyList<DailyBar> bars = [.. Enumerable.Range(0, 5).Select(i =>
            new DailyBar(start.AddDays(i), 10.00m, 10.10m, 9.90m, 10.00m, 10.00m, 2_400_000, 24_000_000m))];
        return ValueTask.FromResult(bars);
    }
}
