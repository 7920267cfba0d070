using OrleansPrices.Market.Quotes;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class QuoteDiffTests
{
    private static readonly Quote Base = new()
    {
        TsCode = "600000.SH", Name = "浦发银行", Price = 10.00m, PreClose = 9.90m, Open = 9.95m, High = 10.05m, Low = 9.93m,
        Volume = 1_000, Amount = 10_000m, Bid = 9.99m, Ask = 10.00m, Time = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public void No_previous_snapshot_means_everything_changed() =>
        Assert.Equal(QuoteFields.All, QuoteDiff.Compare(null, Base));

    [Fact]
    public void Time_alone_is_not_a_change() =>
        Assert.Equal(QuoteFields.None, QuoteDiff.Compare(Base, Base with { Time = DateTimeOffset.UnixEpoch.AddSeconds(3) }));

    [Fact]
    public void Each_field_is_reported()
    {
        Assert.Equal(QuoteFields.Price, QuoteDiff.Compare(Base, Base with { Price = 10.01m }));
        Assert.Equal(QuoteFields.Volume | QuoteFields.Amount, QuoteDiff.Compare(Base, Base with { Volume = 1_100, Amount = 11_000m }));
        Assert.Equal(QuoteFields.High | QuoteFields.Low | QuoteFields.Open, QuoteDiff.Compare(Base, Base with { High = 11m, Low = 9m, Open = 9.96m }));
        Assert.Equal(QuoteFields.Bid | QuoteFields.Ask, QuoteDiff.Compare(Base, Base with { Bid = 0m, Ask = 0m }));
        Assert.Equal(QuoteFields.Suspended | QuoteFields.PreClose | QuoteFields.Name,
            QuoteDiff.Compare(Base, Base with { Suspended = true, PreClose = 9.80m, Name = "ST浦发" }));
        // 10.0 and 10.00 are the same price.
        Assert.Equal(QuoteFields.None, QuoteDiff.Compare(Base, Base with { Price = 10.0m }));
    }
}
