using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;
using Xunit;

namespace OrleansPrices.Tests.Grains;

public sealed class StockGrainTests(GridCluster grid) : IClassFixture<GridCluster>
{
    private static long _tick;

    /// <summary>A snapshot; without <paramref name="time"/>, each one is a millisecond later than the last (grains ignore snapshots not after the last applied one).</summary>
    private static Quote Q(string code, decimal price, long volume, DateTimeOffset? time = null) => new()
    {
        TsCode = code,
        Name = "测试股份",
        Price = price,
        PreClose = 10.00m,
        Open = 10.00m,
        High = Math.Max(10.00m, price),
        Low = Math.Min(10.00m, price),
        Volume = volume,
        Amount = volume * price,
        Bid = price - 0.01m,
        Ask = price + 0.01m,
        Time = time ?? GridCluster.TenAm.AddMilliseconds(Interlocked.Increment(ref _tick)),
    };

    [Fact]
    public async Task Publishes_a_delta_only_when_something_changed_in_order_with_increasing_seq()
    {
        const string code = "600000.SH";
        var deltas = await grid.Collect<PriceDelta>(StreamNames.Prices(code));
        var grain = grid.Client.GetGrain<IStockGrain>(code);
        await grain.Follow(GridCluster.MaxFollowLease);

        Assert.Equal(1, await grain.ApplyQuote(Q(code, 10.05m, 100_000)));
        // Same values at a later time: nothing changed, nothing published.
        Assert.Null(await grain.ApplyQuote(Q(code, 10.05m, 100_000)));
        Assert.Equal(2, await grain.ApplyQuote(Q(code, 10.06m, 100_000)));
        Assert.Equal(3, await grain.ApplyQuote(Q(code, 10.06m, 150_000)));
        for (var i = 0; i < 20; i++) await grain.ApplyQuote(Q(code, 10.10m + i * 0.01m, 200_000 + i));

        var got = await deltas.WaitFor(23);
        Assert.Equal(23, got.Count);
        Assert.Equal(Enumerable.Range(1, 23).Select(i => (long)i), got.Select(d => d.Seq));
        Assert.Single(got.Select(d => d.Epoch).Distinct());
        Assert.Equal(QuoteFields.All, got[0].Changed);
        Assert.Equal(QuoteFields.Price | QuoteFields.High | QuoteFields.Amount | QuoteFields.Bid | QuoteFields.Ask, got[1].Changed);
        Assert.Equal(QuoteFields.Volume | QuoteFields.Amount, got[2].Changed);
        Assert.Equal(10.06m, got[2].Quote.Price);
        Assert.All(got, d => Assert.True(d.PublishedAtMicros > 0));

        var snapshot = await grain.GetSnapshot();
        Assert.Equal(23, snapshot.Seq);
        Assert.Equal(10.29m, snapshot.Quote!.Price);
        Assert.Equal(5, snapshot.History.Length);
        Assert.Equal(10.29m, snapshot.Today!.Close);
    }

    [Fact]
    public async Task A_snapshot_not_after_the_last_applied_one_is_ignored_so_no_tick_is_applied_twice()
    {
        const string code = "600519.SH";
        var deltas = await grid.Collect<PriceDelta>(StreamNames.Prices(code));
        var grain = grid.Client.GetGrain<IStockGrain>(code);
        await grain.Follow(GridCluster.MaxFollowLease);
        var t = GridCluster.TenAm.AddHours(-1); // before every Q() default time

        Assert.Equal(1, await grain.ApplyQuote(Q(code, 10.05m, 100_000, t)));
        // The same snapshot again (a second ingest holder overlapping, a retried call).
        Assert.Null(await grain.ApplyQuote(Q(code, 10.05m, 100_000, t)));
        // Same time, other values; an older snapshot: neither is applied.
        Assert.Null(await grain.ApplyQuote(Q(code, 10.30m, 130_000, t)));
        Assert.Null(await grain.ApplyQuote(Q(code, 10.20m, 120_000, t.AddSeconds(-3))));
        Assert.Equal(10.05m, (await grain.GetHead()).Quote!.Price);
        // The next snapshot is applied as usual.
        Assert.Equal(2, await grain.ApplyQuote(Q(code, 10.06m, 110_000, t.AddSeconds(3))));

        var got = await deltas.WaitFor(3, TimeSpan.FromSeconds(1));
        Assert.Equal([1L, 2L], got.Select(d => d.Seq));
        Assert.Equal([10.05m, 10.06m], got.Select(d => d.Quote.Price));
    }

    [Fact]
    public async Task A_stock_publishes_only_while_followed_and_its_changes_still_count_meanwhile()
    {
        const string code = "601318.SH";
        var deltas = await grid.Collect<PriceDelta>(StreamNames.Prices(code));
        var grain = grid.Client.GetGrain<IStockGrain>(code);

        // A new activation publishes for the longest lease before anyone follows it (a grain moved
        // to another silo keeps its followers until they renew).
        Assert.Equal(1, await grain.ApplyQuote(Q(code, 10.05m, 100_000)));
        Assert.Single(await deltas.WaitFor(1));
        await Task.Delay(GridCluster.MaxFollowLease + TimeSpan.FromMilliseconds(300));

        // Nobody followed it since: the change counts, nothing is published.
        Assert.Equal(2, await grain.ApplyQuote(Q(code, 10.06m, 100_000)));

        // A follow returns the head and the lease granted, and publishing starts again with the next change.
        var head = await grain.Follow(TimeSpan.FromSeconds(2));
        Assert.Equal((2L, 10.06m, TimeSpan.FromSeconds(2)), (head.Seq, head.Quote!.Price, head.Lease));
        Assert.Equal(3, await grain.ApplyQuote(Q(code, 10.07m, 100_000)));
        Assert.Equal(2, (await deltas.WaitFor(2)).Count);

        // The lease runs out: quiet again.
        await Task.Delay(TimeSpan.FromMilliseconds(2300));
        Assert.Equal(4, await grain.ApplyQuote(Q(code, 10.08m, 100_000)));

        // A lease longer than the longest is cut to it.
        Assert.Equal(GridCluster.MaxFollowLease, (await grain.Follow(TimeSpan.FromHours(1))).Lease);
        Assert.Equal(5, await grain.ApplyQuote(Q(code, 10.09m, 100_000)));
        await Task.Delay(GridCluster.MaxFollowLease + TimeSpan.FromMilliseconds(300));
        Assert.Equal(6, await grain.ApplyQuote(Q(code, 10.10m, 100_000)));

        var got = await deltas.WaitFor(4, TimeSpan.FromSeconds(1));
        Assert.Equal([1L, 3L, 5L], got.Select(d => d.Seq));
        // What was not published is still in the resume history, in order.
        var replay = await grain.GetSince(got[0].Epoch, 1);
        Assert.True(replay.Recovered);
        Assert.Equal([2L, 3L, 4L, 5L, 6L], replay.Deltas.Select(d => d.Seq));
    }

    [Fact]
    public async Task Rejects_a_quote_for_another_stock()
    {
        var grain = grid.Client.GetGrain<IStockGrain>("600036.SH");
        Assert.Null(await grain.ApplyQuote(Q("600000.SH", 10.05m, 100_000)));
        Assert.Null((await grain.GetSnapshot()).Quote);
    }

    [Fact]
    public async Task A_signal_start_and_end_reach_the_signal_list_once_each()
    {
        const string code = "000001.SZ";
        var changes = await grid.Collect<SignalChange>(StreamNames.Signals("volume_ratio"));
        var list = grid.Client.GetGrain<ISignalListGrain>("volume_ratio");
        var grain = grid.Client.GetGrain<IStockGrain>(code);

        // 30 minutes traded, 5-day average 10,000 shares a minute: 900,000 shares is a volume ratio of 3.
        await grain.ApplyQuote(Q(code, 10.50m, 900_000));
        var entered = await list.GetList();
        var row = Assert.Single(entered.Entries, e => e.TsCode == code);
        Assert.Equal("SZ", row.Market);
        Assert.Equal("000001", row.Code);
        Assert.Equal(3.00m, row.Signal.VolumeRatio);

        // Still a breakout on the next ticks: no more calls, no more changes.
        await grain.ApplyQuote(Q(code, 10.52m, 950_000));
        await grain.ApplyQuote(Q(code, 10.53m, 990_000));
        Assert.Equal(entered.Version, (await list.GetList()).Version);

        // The price falls below the previous close: the signal ends.
        await grain.ApplyQuote(Q(code, 9.95m, 1_000_000));
        var left = await list.GetList();
        Assert.DoesNotContain(left.Entries, e => e.TsCode == code);
        Assert.Equal(entered.Version + 1, left.Version);

        var got = await changes.WaitFor(2);
        var mine = got.Where(c => (c.Added?.TsCode ?? c.RemovedTsCode) == code).ToList();
        Assert.Equal(2, mine.Count);
        Assert.Equal(code, mine[0].Added!.TsCode);
        Assert.Equal(code, mine[1].RemovedTsCode);
        Assert.Equal(mine[0].Version + 1, mine[1].Version);
        Assert.Empty((await grain.GetSnapshot()).ActiveSignals);
    }
}
