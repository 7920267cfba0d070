using OrleansPrices.Gateway.Prices;
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
}
