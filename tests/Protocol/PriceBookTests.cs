using Microsoft.Extensions.Time.Testing;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class PriceBookTests
{
    private static Quote Q(decimal price) => new() { TsCode = "600000.SH", Name = "浦发银行", Price = price };

    [Fact]
    public void Keeps_only_newer_values_per_epoch()
    {
        var book = new PriceBook();
        Assert.True(book.TryApply("600000.SH", Q(10.00m), epoch: 100, seq: 5, publishedMicros: 1));
        Assert.False(book.TryApply("600000.SH", Q(9.00m), 100, 5, 2));   // redelivered
        Assert.False(book.TryApply("600000.SH", Q(9.00m), 100, 4, 2));   // reordered, older
        Assert.True(book.TryApply("600000.SH", Q(10.01m), 100, 6, 3));
        Assert.False(book.TryApply("600000.SH", Q(9.00m), 99, 50, 4));   // an older epoch
        Assert.True(book.TryApply("600000.SH", Q(10.02m), 200, 1, 5));   // a new epoch restarts seq
        Assert.True(book.TryGet("600000.SH", out var e));
        Assert.Equal(10.02m, e.Quote.Price);
        Assert.Equal(200, e.Epoch);
        Assert.Equal(1, e.Seq);
    }

    [Fact]
    public void A_value_read_from_the_grain_replaces_another_epoch_even_a_higher_one()
    {
        var book = new PriceBook();
        Assert.True(book.TryApply("600000.SH", Q(10.00m), epoch: 200, seq: 5, publishedMicros: 1));
        Assert.False(book.TryApply("600000.SH", Q(10.01m), 150, 1, 2));   // a stream delta of a lower epoch: dropped
        Assert.True(book.TryAdopt("600000.SH", Q(10.01m), 150, 1));        // the grain itself is at 150 (reactivated on a slower clock)
        Assert.True(book.TryApply("600000.SH", Q(10.02m), 150, 2, 3));     // so its deltas apply from then on
        Assert.False(book.TryAdopt("600000.SH", Q(9.00m), 150, 2));        // in one epoch, only a higher seq
        Assert.True(book.TryGet("600000.SH", out var e));
        Assert.Equal((150L, 2L, 10.02m), (e.Epoch, e.Seq, e.Quote.Price));
    }

    [Fact]
    public void Batch_marks_only_move_forward()
    {
        var book = new PriceBook();
        book.TryApply("600000.SH", Q(10.00m), 1, 1, 1);
        book.MarkBatch("600000.SH", 7);
        book.MarkBatch("600000.SH", 3);
        Assert.True(book.TryGet("600000.SH", out var e));
        Assert.Equal(7, e.Batch);
        book.TryApply("600000.SH", Q(10.01m), 1, 2, 2);
        Assert.True(book.TryGet("600000.SH", out e));
        Assert.Equal(7, e.Batch);
    }

    [Fact]
    public void Quiet_when_it_holds_stocks_and_none_moved_for_the_stale_time_counted_from_the_first_stock_until_one_moves()
    {
        var time = new FakeTimeProvider();
        var book = new PriceBook(time);
        var staleAfter = TimeSpan.FromSeconds(15);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(book.IsQuiet(staleAfter, out _));                     // follows nothing

        book.TryApply("600000.SH", Q(10.00m), 1, 1, 1);                      // a snapshot: held, not a move
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.False(book.IsQuiet(staleAfter, out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(book.IsQuiet(staleAfter, out var quietFor));
        Assert.Equal(TimeSpan.FromSeconds(16), quietFor);

        Assert.True(book.TryApply(new PriceDelta("600000.SH", 1, 2, QuoteFields.Price, Q(10.01m), 2)));
        Assert.False(book.IsQuiet(staleAfter, out _));
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(book.IsQuiet(staleAfter, out quietFor));
        Assert.Equal(TimeSpan.FromSeconds(20), quietFor);
        Assert.True(book.TryAdopt("600000.SH", Q(10.02m), 1, 3));            // a repair from the grain moves it too
        Assert.False(book.IsQuiet(staleAfter, out _));

        // Emptied and followed again later: the wait starts over from the new first stock.
        book.Remove("600000.SH");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(book.IsQuiet(staleAfter, out _));
        book.TryApply("000001.SZ", Q(11.00m), 1, 1, 1);
        Assert.False(book.IsQuiet(staleAfter, out _));
        time.Advance(TimeSpan.FromSeconds(16));
        Assert.True(book.IsQuiet(staleAfter, out _));
    }
}
