using OrleansPrices.Market.Strategies;
using Xunit;
using static OrleansPrices.Tests.Strategies.StrategyTestData;

namespace OrleansPrices.Tests.Strategies;

public sealed class IndicatorsTests
{
    [Fact]
    public void Volume_ratio_by_hand()
    {
        // Last 5 days: 1.0M + 1.2M + 0.8M + 1.0M + 1.0M = 5.0M shares → 5.0M ÷ (5 × 240) = 4,166.67 shares a minute.
        // Today: 600,000 shares in 60 minutes = 10,000 a minute. 量比 = 10,000 ÷ 4,166.67 = 2.40.
        // The 2.0M bar six days ago lies outside the 5-day window.
        var history = Bars([10m, 10m, 10m, 10m, 10m, 10m], [2_000_000, 1_000_000, 1_200_000, 800_000, 1_000_000, 1_000_000]);

        Assert.Equal(2.40m, Indicators.VolumeRatio(600_000, 60, history));
    }

    [Fact]
    public void Volume_ratio_rounds_to_two_decimals_and_handles_edges()
    {
        // 5 days × 1.2M = 6.0M → 5,000 a minute; 1,000,000 in 30 minutes = 33,333.3 a minute → 6.666… → 6.67.
        var history = Bars([10m, 10m, 10m, 10m, 10m], [1_200_000, 1_200_000, 1_200_000, 1_200_000, 1_200_000]);
        Assert.Equal(6.67m, Indicators.VolumeRatio(1_000_000, 30, history));

        // Fewer than 5 bars: the bars there are. 2 days × 480,000 = 960,000 ÷ 480 = 2,000 a minute; 240,000 in 240 minutes = 1,000 → 0.50.
        Assert.Equal(0.50m, Indicators.VolumeRatio(240_000, 240, Bars([10m, 10m], [480_000, 480_000])));

        Assert.Equal(0m, Indicators.VolumeRatio(500_000, 0, history));
        Assert.Equal(0m, Indicators.VolumeRatio(0, 30, history));
        Assert.Equal(0m, Indicators.VolumeRatio(500_000, 30, []));
        Assert.Equal(0m, Indicators.VolumeRatio(500_000, 30, Bars([10m], [0])));
        // Minutes above 240 count as 240.
        Assert.Equal(Indicators.VolumeRatio(1_000_000, 240, history), Indicators.VolumeRatio(1_000_000, 300, history));
    }

    [Fact]
    public void Moving_average_of_the_window_ending_before_endExclusive()
    {
        decimal[] closes = [1m, 2m, 3m, 4m, 5m, 6m, 7m, 8m, 9m, 10m];

        Assert.Equal(8m, Indicators.Ma(closes, 5, 10));   // (6+7+8+9+10) ÷ 5
        Assert.Equal(5.5m, Indicators.Ma(closes, 10, 10)); // (1+…+10) ÷ 10
        Assert.Equal(7m, Indicators.Ma(closes, 5, 9));    // (5+6+7+8+9) ÷ 5
        Assert.Null(Indicators.Ma(closes, 10, 9));
        Assert.Null(Indicators.Ma(closes, 5, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => Indicators.Ma(closes, 0, 5));
    }

    [Fact]
    public void Closes_with_today_appends_the_price_to_the_latest_closes()
    {
        var all = new decimal[3];
        Indicators.ClosesWithToday(Bars([10m, 11m]), 12.34m, all);
        var last = new decimal[2];
        Indicators.ClosesWithToday(Bars([10m, 11m]), 12.34m, last);

        Assert.Equal([10m, 11m, 12.34m], all);
        Assert.Equal([11m, 12.34m], last); // the most recent closes when the span is shorter than the history
        Assert.Throws<ArgumentOutOfRangeException>(() => Indicators.ClosesWithToday(Bars([10m]), 12.34m, new decimal[3]));
    }
}
