using OrleansPrices.Market.Rules;
using Xunit;

namespace OrleansPrices.Tests.Market;

public sealed class PriceTickTests
{
    [Theory]
    [InlineData("10.185", "10.19")]
    [InlineData("10.1849999", "10.18")]
    [InlineData("1.005", "1.01")]
    [InlineData("1.004", "1.00")]
    [InlineData("-1.005", "-1.01")]
    [InlineData("0.005", "0.01")]
    [InlineData("12.3", "12.30")]
    public void Round_is_half_up_to_the_cent(string price, string expected)
    {
        Assert.Equal(decimal.Parse(expected), PriceTick.Round(decimal.Parse(price)));
    }

    [Theory]
    // The real Tencent quote line: prev close 9.26 → 10.19 / 8.33 at 10%.
    [InlineData("9.26", "10", "10.19", "8.33")]
    [InlineData("10.00", "10", "11.00", "9.00")]
    // Exact .005 midpoints round up: 10.05 × 1.1 = 11.055, 10.05 × 0.9 = 9.045.
    [InlineData("10.05", "10", "11.06", "9.05")]
    [InlineData("3.15", "10", "3.47", "2.84")] // 3.465 and 2.835
    // 20%: ChiNext and STAR.
    [InlineData("12.34", "20", "14.81", "9.87")]
    [InlineData("9.26", "20", "11.11", "7.41")]
    // 30%: Beijing; 10.05 × 1.3 = 13.065 and × 0.7 = 7.035, both midpoints.
    [InlineData("10.05", "30", "13.07", "7.04")]
    [InlineData("9.26", "30", "12.04", "6.48")]
    // 5%: main-board ST before 2026-07-06; 10.10 × 1.05 = 10.605, × 0.95 = 9.595.
    [InlineData("10.10", "5", "10.61", "9.60")]
    [InlineData("2.00", "5", "2.10", "1.90")]
    public void Limits_round_half_up(string preClose, string percent, string up, string down)
    {
        var limits = PriceTick.Compute(decimal.Parse(preClose), decimal.Parse(percent));

        Assert.Equal(new LimitPrices(decimal.Parse(up), decimal.Parse(down)), limits);
    }

    [Theory]
    // 0.05 × 1.1 = 0.055 → 0.06; 0.05 × 0.9 = 0.045 → 0.05 = prev close, so one tick below.
    [InlineData("0.05", "10", "0.06", "0.04")]
    // 0.04 × 1.1 = 0.044 → 0.04 = prev close, so one tick above; 0.036 → 0.04, one tick below.
    [InlineData("0.04", "10", "0.05", "0.03")]
    [InlineData("0.10", "5", "0.11", "0.09")]
    // Down would be 0.00: never below 0.01.
    [InlineData("0.01", "10", "0.02", "0.01")]
    [InlineData("0.01", "30", "0.02", "0.01")]
    public void Near_zero_the_limits_are_at_least_one_tick_away(string preClose, string percent, string up, string down)
    {
        var limits = PriceTick.Compute(decimal.Parse(preClose), decimal.Parse(percent));

        Assert.Equal(new LimitPrices(decimal.Parse(up), decimal.Parse(down)), limits);
    }

    [Fact]
    public void Ten_percent_matches_the_integer_cents_formula_for_every_price_to_200_yuan()
    {
        // ashare-facts.md: in integer cents, up = (pc*110 + 50) / 100, with the one-tick guard.
        for (var cents = 1; cents <= 20_000; cents++)
        {
            var up = Math.Max((cents * 110 + 50) / 100, cents + 1);
            var down = Math.Max(Math.Min((cents * 90 + 50) / 100, cents - 1), 1);

            var limits = PriceTick.Compute(cents / 100m, 10m);

            Assert.Equal(new LimitPrices(up / 100m, down / 100m), limits);
        }
    }

    [Fact]
    public void Limits_lie_on_the_grid_and_around_the_previous_close()
    {
        foreach (var percent in new[] { 5m, 10m, 20m, 30m })
        {
            for (var cents = 1; cents <= 5_000; cents += 7)
            {
                var preClose = cents / 100m;
                var (up, down) = PriceTick.Compute(preClose, percent);

                Assert.True(PriceTick.IsOnGrid(up) && PriceTick.IsOnGrid(down), $"{preClose} at {percent}%");
                Assert.True(up > preClose, $"{preClose} at {percent}%: up {up}");
                Assert.True(down < preClose || down == PriceTick.Size, $"{preClose} at {percent}%: down {down}");
                Assert.True(down >= PriceTick.Size);
            }
        }
    }

    [Theory]
    [InlineData("0", "10")]
    [InlineData("-1", "10")]
    [InlineData("10", "0")]
    [InlineData("10", "-5")]
    public void Non_positive_inputs_are_rejected(string preClose, string percent)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PriceTick.Compute(decimal.Parse(preClose), decimal.Parse(percent)));
    }

    [Fact]
    public void Tick_is_one_cent()
    {
        Assert.Equal(0.01m, PriceTick.Size);
        Assert.True(PriceTick.IsOnGrid(10.19m));
        Assert.False(PriceTick.IsOnGrid(10.195m));
    }
}
