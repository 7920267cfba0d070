using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Strategies;
using Xunit;
using static OrleansPrices.Tests.Strategies.StrategyTestData;

namespace OrleansPrices.Tests.Strategies;

public sealed class VolumeRatioBreakoutTests
{
    // 5 days × 1,000,000 shares → 4,166.67 shares a minute on average.
    private static readonly IReadOnlyList<DailyBar> History = Bars([10m, 10m, 10m, 10m, 10m]);

    private readonly VolumeRatioBreakout _strategy = new();

    /// <summary>The volume that gives <paramref name="ratio"/> after <paramref name="minutes"/>: ratio × 4,166.67 × minutes.</summary>
    private static long VolumeFor(decimal ratio, int minutes) => (long)(ratio * 1_000_000m * 5 / 1200m * minutes);

    [Fact]
    public void Enters_on_ratio_2_4_and_a_3_percent_rise()
    {
        // 600,000 shares in 60 minutes: 量比 2.40 (see IndicatorsTests); 10.00 → 10.30 is +3.00%.
        var signal = _strategy.Evaluate(Input(History, Quote(10m, 10.30m, 600_000), 60));

        Assert.NotNull(signal);
        Assert.Equal("volume_ratio", signal.Strategy);
        Assert.Equal("BUY", signal.Action);
        Assert.Equal(2.40m, signal.VolumeRatio);
        Assert.Equal("量比 2.40 放量突破，涨幅 3.00%", signal.Reason);
        Assert.Contains("已交易 60 分钟", signal.Details, StringComparison.Ordinal);
        Assert.Equal(Now, signal.Since);
    }

    [Theory]
    [InlineData(1.99, 10.30, 60)] // ratio below 2
    [InlineData(3.00, 10.20, 60)] // +2.00% is not above 2%
    [InlineData(3.00, 10.30, 4)]  // too early in the day
    [InlineData(3.00, 9.00, 60)]  // limit-down (10% board): change −10%
    public void Does_not_enter(double ratio, double price, int minutes)
    {
        var quote = Quote(10m, (decimal)price, VolumeFor((decimal)ratio, minutes));

        Assert.Null(_strategy.Evaluate(Input(History, quote, minutes)));
    }

    [Fact]
    public void Suspended_stocks_never_signal()
    {
        Assert.Null(_strategy.Evaluate(Input(History, Quote(10m, 10.30m, 600_000, suspended: true), 60)));
        Assert.Null(_strategy.Evaluate(Input(History, Quote(10m, 10.30m, 600_000, suspended: true), 60, active: true)));
    }

    [Theory]
    [InlineData(1.60, 10.05, true)]  // between the exit and entry thresholds, still rising: stays
    [InlineData(1.50, 10.01, true)]  // exactly at the exit ratio: stays
    [InlineData(1.45, 10.30, false)] // ratio below 1.5: leaves
    [InlineData(3.00, 10.00, false)] // change 0: leaves
    [InlineData(3.00, 9.90, false)]  // falling: leaves
    public void Hysteresis_keeps_an_active_stock_until_ratio_or_change_fades(double ratio, double price, bool stays)
    {
        var quote = Quote(10m, (decimal)price, VolumeFor((decimal)ratio, 120));

        var active = _strategy.Evaluate(Input(History, quote, 120, active: true));
        var inactive = _strategy.Evaluate(Input(History, quote, 120, active: false));

        Assert.Equal(stays, active is not null);
        Assert.Null(inactive); // the same figures do not let a new stock in
    }

    [Fact]
    public void Thresholds_are_constructor_parameters()
    {
        var strict = new VolumeRatioBreakout(entryRatio: 3m, exitRatio: 2m, entryChangePercent: 5m, minMinutes: 30);
        var quote = Quote(10m, 10.30m, 600_000); // 2.40, +3%

        Assert.Null(strict.Evaluate(Input(History, quote, 60)));
        Assert.NotNull(strict.Evaluate(Input(History, Quote(10m, 10.60m, VolumeFor(3.2m, 60)), 60)));
        Assert.Contains("3.0", strict.Description, StringComparison.Ordinal);
    }
}
