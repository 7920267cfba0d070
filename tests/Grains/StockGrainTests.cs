using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;
using Xunit;

namespace OrleansPrices.Tests.Grains;

public sealed class StockGrainTests(GridCluster grid) : IClassFixture<GridCluster>
{
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
        Time = time ?? GridCluster.TenAm,
    };

    [Fact]
    public async Task Publishes_a_delta_only_when_something_changed_in_order_with_increasing_seq()
    {
        const string code = "600000.SH";
        var deltas = await grid.Collect<PriceDelta>(StreamNames.Prices(code));
        var grain = grid.Client.GetGrain<IStockGrain>(code);

        Assert.Equal(1, await grain.ApplyQuote(Q(code, 10.05m, 100_000)));
        // Same values at a later time: nothing changed, nothing published.
        Assert.Null(await grain.ApplyQuote(Q(code, 10.05m, 100_000, GridCluster.TenAm.AddSeconds(3))));
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
