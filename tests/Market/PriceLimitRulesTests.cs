using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Rules;
using OrleansPrices.Market.Time;
using Xunit;

namespace OrleansPrices.Tests.Market;

public sealed class PriceLimitRulesTests
{
    private static readonly DateOnly Day = new(2026, 3, 10);
    private static readonly DateOnly LastDayOfStFivePercent = new(2026, 7, 3);
    private static readonly DateOnly FirstDayOfStTenPercent = new(2026, 7, 6);

    private static StockInfo Stock(string code, bool st = false, DateOnly? listDate = null) =>
        new(TsCode.Parse(code), "test", st, listDate);

    [Theory]
    [InlineData("600000.SH", 10)]
    [InlineData("000001.SZ", 10)]
    [InlineData("300750.SZ", 20)]
    [InlineData("688981.SH", 20)]
    [InlineData("920799.BJ", 30)]
    public void Default_limits_by_board(string code, int percent)
    {
        Assert.Equal(percent, PriceLimitRules.Default.LimitPercent(Stock(code), Day));
    }

    [Theory]
    [InlineData("600000.SH")]
    [InlineData("000001.SZ")]
    public void Main_board_st_is_five_percent_before_2026_07_06_and_ten_from_it(string code)
    {
        var st = Stock(code, st: true);

        Assert.Equal(5m, PriceLimitRules.Default.LimitPercent(st, LastDayOfStFivePercent));
        Assert.Equal(10m, PriceLimitRules.Default.LimitPercent(st, FirstDayOfStTenPercent));
        Assert.Equal(10m, PriceLimitRules.Default.LimitPercent(st, new DateOnly(2027, 1, 4)));
        Assert.Equal(new LimitPrices(10.61m, 9.60m), PriceLimitRules.Default.Limits(st, LastDayOfStFivePercent, 10.10m));
        Assert.Equal(new LimitPrices(11.11m, 9.09m), PriceLimitRules.Default.Limits(st, FirstDayOfStTenPercent, 10.10m));
    }

    [Theory]
    [InlineData("300750.SZ", 20)]
    [InlineData("688981.SH", 20)]
    [InlineData("920799.BJ", 30)]
    public void St_on_chinext_star_and_beijing_keeps_the_board_limit(string code, int percent)
    {
        var st = Stock(code, st: true);

        Assert.Equal(percent, PriceLimitRules.Default.LimitPercent(st, LastDayOfStFivePercent));
        Assert.Equal(percent, PriceLimitRules.Default.LimitPercent(st, FirstDayOfStTenPercent));
    }

    [Fact]
    public void Limits_use_the_board_percent_and_the_tick_rounding()
    {
        Assert.Equal(new LimitPrices(10.19m, 8.33m), PriceLimitRules.Default.Limits(Stock("600000.SH"), Day, 9.26m));
        Assert.Equal(new LimitPrices(11.11m, 7.41m), PriceLimitRules.Default.Limits(Stock("300750.SZ"), Day, 9.26m));
        Assert.Equal(new LimitPrices(12.04m, 6.48m), PriceLimitRules.Default.Limits(Stock("920799.BJ"), Day, 9.26m));
    }

    [Theory]
    [InlineData("600000.SH")]
    [InlineData("000001.SZ")]
    [InlineData("300750.SZ")]
    [InlineData("688981.SH")]
    public void No_limit_for_the_first_five_trading_days_after_an_ipo(string code)
    {
        var listed = new DateOnly(2026, 3, 2);
        var stock = Stock(code, listDate: listed);

        for (var day = 0; day < 5; day++)
        {
            Assert.Null(PriceLimitRules.Default.LimitPercent(stock, listed.AddDays(day), day));
            Assert.Null(PriceLimitRules.Default.Limits(stock, listed.AddDays(day), 10m, day));
        }
        Assert.NotNull(PriceLimitRules.Default.LimitPercent(stock, new DateOnly(2026, 3, 9), 5));
        Assert.NotNull(PriceLimitRules.Default.LimitPercent(stock, Day, 6));
    }

    [Fact]
    public void Beijing_has_no_limit_on_the_first_day_only()
    {
        var listed = new DateOnly(2026, 3, 2);
        var stock = Stock("920799.BJ", listDate: listed);

        Assert.Null(PriceLimitRules.Default.LimitPercent(stock, listed, 0));
        Assert.Equal(30m, PriceLimitRules.Default.LimitPercent(stock, listed.AddDays(1), 1));
    }

    [Fact]
    public void The_listing_day_has_no_limit_even_without_a_day_count()
    {
        var listed = new DateOnly(2026, 3, 2);

        Assert.Null(PriceLimitRules.Default.LimitPercent(Stock("600000.SH", listDate: listed), listed));
        Assert.Equal(10m, PriceLimitRules.Default.LimitPercent(Stock("600000.SH", listDate: listed), listed.AddDays(1)));
    }

    [Fact]
    public void Without_a_list_date_the_ipo_window_does_not_apply()
    {
        Assert.Equal(10m, PriceLimitRules.Default.LimitPercent(Stock("600000.SH"), Day, tradingDaysSinceListing: 0));
    }

    [Fact]
    public void Ipo_window_counts_trading_days_across_a_holiday()
    {
        var calendar = TradingCalendar.LoadEmbedded();
        var listed = new DateOnly(2026, 9, 28); // Monday; 1–7 October is the National Day holiday
        var stock = Stock("300750.SZ", listDate: listed);

        int Since(DateOnly day) => calendar.TradingDaysSinceListing(listed, day);

        Assert.Equal(0, Since(listed));
        Assert.Equal(2, Since(new DateOnly(2026, 9, 30)));
        Assert.Equal(3, Since(new DateOnly(2026, 10, 8)));
        Assert.Equal(4, Since(new DateOnly(2026, 10, 9)));
        Assert.Equal(5, Since(new DateOnly(2026, 10, 12)));
        Assert.Null(PriceLimitRules.Default.LimitPercent(stock, new DateOnly(2026, 10, 9), Since(new DateOnly(2026, 10, 9))));
        Assert.Equal(20m, PriceLimitRules.Default.LimitPercent(stock, new DateOnly(2026, 10, 12), Since(new DateOnly(2026, 10, 12))));
    }

    [Fact]
    public void A_custom_table_can_move_the_st_date_and_keeps_the_ipo_window()
    {
        var rules = new PriceLimitRules(
        [
            new PriceLimitRule(Board.ShanghaiMain, false, DateOnly.MinValue, 10m),
            new PriceLimitRule(Board.ShanghaiMain, true, DateOnly.MinValue, 5m),
            new PriceLimitRule(Board.ShanghaiMain, true, new DateOnly(2026, 8, 3), 10m),
        ]);
        var st = Stock("600000.SH", st: true);

        Assert.Equal(5m, rules.LimitPercent(st, FirstDayOfStTenPercent));
        Assert.Equal(10m, rules.LimitPercent(st, new DateOnly(2026, 8, 3)));
        Assert.Null(rules.LimitPercent(Stock("600000.SH", listDate: Day), Day));
    }

    [Fact]
    public void A_row_with_no_percent_means_no_limit_and_st_falls_back_to_the_ordinary_row()
    {
        var rules = new PriceLimitRules(
            [
                new PriceLimitRule(Board.Star, false, DateOnly.MinValue, 20m),
                new PriceLimitRule(Board.Star, false, new DateOnly(2030, 1, 1), null),
            ],
            []);

        Assert.Equal(20m, rules.LimitPercent(Stock("688981.SH", st: true), Day));
        Assert.Null(rules.LimitPercent(Stock("688981.SH"), new DateOnly(2030, 1, 2)));
        Assert.Null(rules.Limits(Stock("688981.SH"), new DateOnly(2030, 1, 2), 50m));
        Assert.Equal(20m, rules.LimitPercent(Stock("688981.SH", listDate: Day), Day)); // no listing rows given
    }

    [Fact]
    public void A_board_without_a_row_is_an_error_not_no_limit()
    {
        var rules = new PriceLimitRules([new PriceLimitRule(Board.ShanghaiMain, false, new DateOnly(2000, 1, 1), 10m)]);

        var error = Assert.Throws<InvalidOperationException>(() => rules.LimitPercent(Stock("000001.SZ"), Day));
        Assert.Contains("ShenzhenMain", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => rules.LimitPercent(Stock("600000.SH"), new DateOnly(1999, 12, 31)));
    }

    [Fact]
    public void Bad_tables_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new PriceLimitRules(
        [
            new PriceLimitRule(Board.ChiNext, false, DateOnly.MinValue, 20m),
            new PriceLimitRule(Board.ChiNext, false, DateOnly.MinValue, 10m),
        ]));
        Assert.Throws<ArgumentException>(() => new PriceLimitRules([new PriceLimitRule(Board.ChiNext, false, DateOnly.MinValue, 0m)]));
        Assert.Throws<ArgumentException>(() => new PriceLimitRules([new PriceLimitRule(Board.ChiNext, false, DateOnly.MinValue, 100m)]));
        Assert.Throws<ArgumentException>(() => new PriceLimitRules([], [new ListingNoLimitRule(Board.Star, DateOnly.MinValue, -1)]));
    }
}
