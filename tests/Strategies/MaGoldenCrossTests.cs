using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Strategies;
using Xunit;
using static OrleansPrices.Tests.Strategies.StrategyTestData;

namespace OrleansPrices.Tests.Strategies;

public sealed class MaGoldenCrossTests
{
    // Closes: six days at 10.00, then four at 9.80 (yesterday last).
    // Yesterday: MA5 = (10 + 4 × 9.8) ÷ 5 = 9.84 ≤ MA10 = (6 × 10 + 4 × 9.8) ÷ 10 = 9.92.
    // Today at price p: MA5 = (4 × 9.8 + p) ÷ 5, MA10 = (5 × 10 + 4 × 9.8 + p) ÷ 10 = (89.2 + p) ÷ 10.
    // MA5 > MA10 ⇔ 2 × (39.2 + p) > 89.2 + p ⇔ p > 10.80.
    private static readonly IReadOnlyList<DailyBar> Dipped = Bars([10m, 10m, 10m, 10m, 10m, 10m, 9.8m, 9.8m, 9.8m, 9.8m]);

    private readonly MaGoldenCross _strategy = new();

    [Fact]
    public void Crosses_when_today_lifts_ma5_above_ma10()
    {
        // p = 10.90: MA5 = 50.1 ÷ 5 = 10.02 > MA10 = 100.1 ÷ 10 = 10.01.
        var signal = _strategy.Evaluate(Input(Dipped, Quote(9.8m, 10.90m, 500_000), 60));

        Assert.NotNull(signal);
        Assert.Equal("ma_cross", signal.Strategy);
        Assert.Equal("BUY", signal.Action);
        Assert.StartsWith("MA5 上穿 MA10 金叉：MA5 10.02 > MA10 10.01", signal.Reason, StringComparison.Ordinal);
        Assert.Contains("昨 MA5 9.840 / MA10 9.920", signal.Details, StringComparison.Ordinal);
        // 量比 always filled: 500,000 ÷ 60 = 8,333.3 a minute ÷ (5,000,000 ÷ 1,200 = 4,166.7) = 2.00.
        Assert.Equal(2.00m, signal.VolumeRatio);
    }

    [Theory]
    [InlineData(10.80)] // MA5 = MA10 = 10.00: equal is not above
    [InlineData(10.70)] // MA5 9.98 < MA10 9.99
    [InlineData(9.50)]
    public void No_cross_below_the_crossing_price(double price) =>
        Assert.Null(_strategy.Evaluate(Input(Dipped, Quote(9.8m, (decimal)price, 500_000), 60)));

    [Fact]
    public void No_cross_when_ma5_was_already_above_yesterday()
    {
        // Rising closes 10.0 … 10.9: yesterday MA5 10.7 > MA10 10.45, so today is no cross, however high.
        var rising = Bars([10.0m, 10.1m, 10.2m, 10.3m, 10.4m, 10.5m, 10.6m, 10.7m, 10.8m, 10.9m]);

        Assert.Null(_strategy.Evaluate(Input(rising, Quote(10.9m, 11.5m, 500_000), 60)));
        Assert.Null(_strategy.Evaluate(Input(rising, Quote(10.9m, 11.5m, 500_000), 60, active: true)));
    }

    [Fact]
    public void Stays_while_the_cross_holds_and_leaves_when_the_price_falls_back()
    {
        Assert.NotNull(_strategy.Evaluate(Input(Dipped, Quote(9.8m, 10.85m, 500_000), 120, active: true)));
        Assert.Null(_strategy.Evaluate(Input(Dipped, Quote(9.8m, 10.75m, 500_000), 120, active: true)));
    }

    [Fact]
    public void Needs_ten_completed_bars_and_a_trading_stock()
    {
        Assert.Null(_strategy.Evaluate(Input(Dipped.Skip(1).ToList(), Quote(9.8m, 12m, 500_000), 60)));
        Assert.Null(_strategy.Evaluate(Input(Dipped, Quote(9.8m, 10.90m, 500_000, suspended: true), 60)));
        Assert.Null(_strategy.Evaluate(Input(Dipped, Quote(9.8m, 0m, 0), 0)));
    }
}
