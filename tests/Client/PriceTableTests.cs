extern alias PriceClientLib;

using CsCheck;
using PriceClientLib::OrleansPrices.Client;
using Xunit;

namespace OrleansPrices.Tests.Clients;

public sealed class PriceTableTests
{
    private const long Epoch = 1_795_675_433_159_650;

    /// <summary>One stock's server-side history: a start row, then deltas 1..n each changing a few fields.</summary>
    private sealed record History(string TsCode, StockRow[] States, StockRow[] Deltas, int SnapshotAt)
    {
        public StockRow Snapshot => States[SnapshotAt] with { Position = new StreamPosition(Epoch, SnapshotAt) };
        public StockRow Final => States[^1] with { Position = new StreamPosition(Epoch, Math.Max(SnapshotAt, Deltas.Length)) };
    }

    private static readonly Gen<decimal> Money = Gen.Int[100, 9_999].Select(i => i / 100m);

    /// <summary>A delta changing a random non-empty subset of the fields an update may carry.</summary>
    private static readonly Gen<(int Mask, decimal[] Values, long Volume, bool Suspended)> DeltaGen =
        Gen.Select(Gen.Int[1, 255], Money.Array[7], Gen.Long[0, 1_000_000_000], Gen.Bool);

    private static Gen<History> HistoryGen(string tsCode) =>
        Gen.Select(Money.Array[9], DeltaGen.Array[0, 25], Gen.Int[0, 25]).Select((start, deltas, at) =>
        {
            var state = new StockRow
            {
                TsCode = tsCode, Code = tsCode[..6], Name = "浦发银行",
                Price = start[0], ChangePercent = start[1], Volume = 1000, Amount = start[2], Open = start[3], High = start[4],
                Low = start[5], PreClose = start[6], Bid = start[7], Ask = start[8], Suspended = false,
                Time = new DateTimeOffset(2026, 11, 26, 9, 30, 0, TimeSpan.FromHours(8)),
            };
            var states = new List<StockRow> { state };
            var rows = new List<StockRow>();
            for (var i = 0; i < deltas.Length; i++)
            {
                var (mask, v, volume, suspended) = deltas[i];
                var d = new StockRow
                {
                    TsCode = tsCode,
                    Code = tsCode[..6],
                    Price = (mask & 1) != 0 ? v[0] : null,
                    ChangePercent = (mask & 2) != 0 ? v[1] : null,
                    Volume = (mask & 4) != 0 ? volume : null,
                    Amount = (mask & 8) != 0 ? v[2] : null,
                    High = (mask & 16) != 0 ? v[3] : null,
                    Low = (mask & 32) != 0 ? v[4] : null,
                    Bid = (mask & 64) != 0 ? v[5] : null,
                    Ask = (mask & 64) != 0 ? v[6] : null,
                    Suspended = (mask & 128) != 0 ? suspended : null,
                    Time = state.Time!.Value.AddSeconds(i + 1),
                    Position = new StreamPosition(Epoch, i + 1),
                };
                // The model of the server: each field takes the delta's value when the delta has it.
                state = state with
                {
                    Price = d.Price ?? state.Price, ChangePercent = d.ChangePercent ?? state.ChangePercent, Volume = d.Volume ?? state.Volume,
                    Amount = d.Amount ?? state.Amount, High = d.High ?? state.High, Low = d.Low ?? state.Low, Bid = d.Bid ?? state.Bid,
                    Ask = d.Ask ?? state.Ask, Suspended = d.Suspended ?? state.Suspended, Time = d.Time,
                };
                states.Add(state);
                rows.Add(d);
            }
            return new History(tsCode, [.. states], [.. rows], Math.Min(at, deltas.Length));
        });

    private static readonly Gen<History[]> StocksGen =
        Gen.Select(HistoryGen("600000.SH"), HistoryGen("600001.SH"), HistoryGen("000001.SZ"), Gen.Int[1, 3])
            .Select((a, b, c, n) => new[] { a, b, c }[..n]);

    /// <summary>
    /// For any stocks, any snapshot point and any order of arrival of the snapshot, the deltas after
    /// it, any older deltas and any duplicates: the table ends equal to the server's newest state.
    /// </summary>
    [Fact]
    public void Any_interleaving_of_snapshot_and_updates_yields_the_newest_values() =>
        StocksGen.SelectMany(stocks =>
        {
            var messages = new List<(bool Snapshot, StockRow Row)>();
            foreach (var h in stocks)
            {
                messages.Add((true, h.Snapshot));
                messages.AddRange(h.Deltas.Select(d => (false, d)));
            }
            return Gen.Select(Gen.Shuffle(messages.ToArray()), Gen.Int[0, messages.Count - 1].Array[0, 10], (order, duplicates) => (stocks, order, duplicates));
        })
        .Sample(t =>
        {
            var (stocks, order, duplicates) = t;
            var table = new PriceTable();
            var all = order.Concat(duplicates.Select(i => order[i])).ToList();
            foreach (var (snapshot, row) in all)
            {
                if (snapshot) table.ApplySnapshot(row);
                else table.ApplyUpdate(row);
            }
            Assert.Equal(stocks.Length, table.Rows.Count);
            foreach (var h in stocks) Assert.Equal(h.Final, table.Rows[h.TsCode]);
        });

    /// <summary>In wire order (snapshot, then its updates), any update re-sent afterwards changes nothing.</summary>
    [Fact]
    public void Stale_or_duplicate_updates_are_ignored() =>
        HistoryGen("600000.SH").Where(h => h.Deltas.Length > 0).SelectMany(h => Gen.Int[0, h.Deltas.Length - 1].Select(i => (h, i)))
        .Sample(t =>
        {
            var (h, i) = t;
            var table = new PriceTable();
            table.ApplySnapshot(h.Snapshot);
            foreach (var d in h.Deltas.Skip(h.SnapshotAt)) table.ApplyUpdate(d);
            var before = table.Rows["600000.SH"];
            Assert.False(table.ApplyUpdate(h.Deltas[i]));
            Assert.Same(before, table.Rows["600000.SH"]);
            Assert.Equal(h.Final, before);
        });

    [Fact]
    public void A_snapshot_of_a_new_epoch_replaces_the_row_and_old_epoch_updates_are_then_ignored()
    {
        var table = new PriceTable();
        table.ApplySnapshot(Row(Epoch, 40, price: 10m) with { Bid = 9.99m });
        table.ApplyUpdate(Row(Epoch, 41, price: 10.5m));
        // History was lost on the server: a new epoch, its seq starting again.
        var fresh = Row(Epoch + 1_000, 2, price: 11m);
        table.ApplySnapshot(fresh);
        Assert.Equal(fresh, table.Rows["600000.SH"]);
        Assert.False(table.ApplyUpdate(Row(Epoch, 42, price: 12m)));
        Assert.True(table.ApplyUpdate(Row(Epoch + 1_000, 3, price: 11.1m)));
        Assert.Equal(new StreamPosition(Epoch + 1_000, 3), table.Positions()["600000.SH"]);
        Assert.Equal(11.1m, table.Rows["600000.SH"].Price);
    }

    [Fact]
    public void Brief_price_update_rows_overwrite_their_fields_and_keep_the_position()
    {
        var table = new PriceTable();
        table.Apply(new PriceUpdateEvent([new StockRow { TsCode = "600000.SH", Code = "600000", Name = "浦发银行", Price = 13.8m, ChangePercent = 2.07m, Volume = 100 }], 151, null, null));
        Assert.Empty(table.Positions());
        table.ApplySnapshot(Row(Epoch, 5, price: 13.81m));
        table.Apply(new PriceUpdateEvent([new StockRow { TsCode = "600000.SH", Price = 13.85m, Volume = 200 }], 152, null, null));
        var row = table.Rows["600000.SH"];
        Assert.Equal((13.85m, 200L, new StreamPosition(Epoch, 5)), (row.Price!.Value, row.Volume!.Value, row.Position!.Value));
        Assert.True(table.ApplyUpdate(Row(Epoch, 6, price: 13.9m)));
        Assert.Equal(13.9m, table.Rows["600000.SH"].Price);
        Assert.Equal(600, table.Rows["600000.SH"].Volume); // the update carried volume too
    }

    [Fact]
    public void An_update_for_an_unknown_stock_starts_a_partial_row_and_counts()
    {
        var table = new PriceTable();
        Assert.True(table.ApplyUpdate(new StockRow { TsCode = "000001.SZ", Price = 11m, Position = new StreamPosition(Epoch, 9) }));
        Assert.False(table.ApplyUpdate(new StockRow { TsCode = "000001.SZ", Price = 10m, Position = new StreamPosition(Epoch, 8) }));
        Assert.Equal(new StockRow { TsCode = "000001.SZ", Price = 11m, Position = new StreamPosition(Epoch, 9) }, table.Rows["000001.SZ"]);
        Assert.Equal((1, 1), (table.Applied, table.Ignored));
        Assert.True(table.Remove("000001.SZ"));
        Assert.Empty(table.Rows);
    }

    [Fact]
    public void Positions_order_by_epoch_then_seq()
    {
        Assert.True(new StreamPosition(2, 1) > new StreamPosition(1, 99));
        Assert.True(new StreamPosition(1, 2) > new StreamPosition(1, 1));
        Assert.True(new StreamPosition(1, 1) >= new StreamPosition(1, 1));
    }

    private static StockRow Row(long epoch, long seq, decimal price) => new()
    {
        TsCode = "600000.SH", Code = "600000", Name = "浦发银行", Price = price, ChangePercent = 1m, Volume = seq * 100,
        Position = new StreamPosition(epoch, seq),
    };
}
