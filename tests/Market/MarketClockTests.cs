using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansPrices.Market.Time;
using Xunit;

namespace OrleansPrices.Tests.Market;

public sealed class MarketClockTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);
    private static readonly DateOnly Tuesday = new(2026, 9, 29);

    private static DateTimeOffset At(DateOnly day, int hour, int minute, int second = 0) =>
        new(day.ToDateTime(new TimeOnly(hour, minute, second)), Shanghai);

    private static (MarketClock Clock, FakeTimeProvider Time) Clock(DateTimeOffset now, bool alwaysOpen = false, TradingCalendar? calendar = null)
    {
        var time = new FakeTimeProvider(now);
        var clock = new MarketClock(calendar ?? TradingCalendar.LoadEmbedded(), time, Options.Create(new MarketClockOptions { AlwaysOpen = alwaysOpen }));
        return (clock, time);
    }

    [Theory]
    [InlineData(0, 0, 0, MarketPhase.PreOpen, 0)]
    [InlineData(9, 14, 59, MarketPhase.PreOpen, 0)]
    [InlineData(9, 15, 0, MarketPhase.OpeningAuction, 0)]
    [InlineData(9, 24, 59, MarketPhase.OpeningAuction, 0)]
    [InlineData(9, 25, 0, MarketPhase.OpeningAuction, 0)]
    [InlineData(9, 29, 59, MarketPhase.OpeningAuction, 0)]
    [InlineData(9, 30, 0, MarketPhase.Continuous, 0)]
    [InlineData(9, 30, 59, MarketPhase.Continuous, 0)]
    [InlineData(9, 31, 0, MarketPhase.Continuous, 1)]
    [InlineData(10, 0, 0, MarketPhase.Continuous, 30)]
    [InlineData(11, 29, 59, MarketPhase.Continuous, 119)]
    [InlineData(11, 30, 0, MarketPhase.LunchBreak, 120)]
    [InlineData(12, 59, 59, MarketPhase.LunchBreak, 120)]
    [InlineData(13, 0, 0, MarketPhase.Continuous, 120)]
    [InlineData(13, 30, 0, MarketPhase.Continuous, 150)]
    [InlineData(14, 56, 59, MarketPhase.Continuous, 236)]
    [InlineData(14, 57, 0, MarketPhase.ClosingAuction, 237)]
    [InlineData(14, 58, 0, MarketPhase.ClosingAuction, 238)]
    [InlineData(14, 59, 59, MarketPhase.ClosingAuction, 239)]
    [InlineData(15, 0, 0, MarketPhase.Closed, 240)]
    [InlineData(23, 59, 59, MarketPhase.Closed, 240)]
    public void Phases_and_minutes_on_a_trading_day(int hour, int minute, int second, MarketPhase phase, int minutesTraded)
    {
        var (clock, _) = Clock(At(Tuesday, hour, minute, second));

        var status = clock.Now();

        Assert.Equal(phase, status.Phase);
        Assert.Equal(minutesTraded, status.MinutesTraded);
        Assert.Equal(Tuesday, status.TradingDay);
        Assert.False(status.AlwaysOpen);
        Assert.Equal(phase is MarketPhase.OpeningAuction or MarketPhase.Continuous or MarketPhase.ClosingAuction, status.QuotesMove);
    }

    [Theory]
    [InlineData(9, 14, 59, "2026-09-29")]
    [InlineData(9, 29, 59, "2026-09-29")]
    [InlineData(9, 30, 0, null)]
    [InlineData(11, 29, 59, null)]
    [InlineData(11, 30, 0, "2026-09-30")]
    [InlineData(13, 0, 0, null)]
    [InlineData(14, 57, 0, "2026-09-30")]
    [InlineData(15, 0, 0, "2026-09-30")]
    public void Next_open_is_the_next_half_past_nine_and_null_during_continuous_trading(int hour, int minute, int second, string? nextOpenDay)
    {
        var (clock, _) = Clock(At(Tuesday, hour, minute, second));

        var expected = nextOpenDay is null ? (DateTimeOffset?)null : At(DateOnly.Parse(nextOpenDay), 9, 30);
        Assert.Equal(expected, clock.Now().NextOpen);
    }

    [Fact]
    public void Next_open_skips_the_weekend()
    {
        var friday = new DateOnly(2026, 3, 6);
        var monday = new DateOnly(2026, 3, 9);

        var afterClose = Clock(At(friday, 15, 30)).Clock.Now();
        var saturday = Clock(At(friday.AddDays(1), 10, 0)).Clock.Now();

        Assert.Equal(At(monday, 9, 30), afterClose.NextOpen);
        Assert.Equal(friday, afterClose.TradingDay);
        Assert.Equal(MarketPhase.Closed, saturday.Phase);
        Assert.Equal(monday, saturday.TradingDay);
        Assert.Equal(At(monday, 9, 30), saturday.NextOpen);
        Assert.Equal(0, saturday.MinutesTraded);
    }

    [Fact]
    public void A_holiday_is_closed_all_day_and_looks_to_the_next_trading_day()
    {
        var reopening = new DateOnly(2026, 10, 8);

        foreach (var hour in new[] { 0, 9, 10, 14, 20 })
        {
            var status = Clock(At(new DateOnly(2026, 10, 1), hour, 30)).Clock.Now();

            Assert.Equal(MarketPhase.Closed, status.Phase);
            Assert.False(status.QuotesMove);
            Assert.Equal(reopening, status.TradingDay);
            Assert.Equal(At(reopening, 9, 30), status.NextOpen);
            Assert.Equal(0, status.MinutesTraded);
        }

        var lastBefore = Clock(At(new DateOnly(2026, 9, 30), 15, 1)).Clock.Now();
        Assert.Equal(At(reopening, 9, 30), lastBefore.NextOpen);
    }

    [Fact]
    public void Spring_festival_next_open_is_after_the_holiday()
    {
        var status = Clock(At(new DateOnly(2026, 2, 13), 16, 0)).Clock.Now();

        Assert.Equal(At(new DateOnly(2026, 2, 24), 9, 30), status.NextOpen);
    }

    [Fact]
    public void Instants_in_any_offset_are_read_in_shanghai_time()
    {
        var (clock, _) = Clock(At(Tuesday, 12, 0));

        // 01:30 UTC is 09:30 in Shanghai.
        Assert.Equal(MarketPhase.Continuous, clock.At(new DateTimeOffset(2026, 9, 29, 1, 30, 0, TimeSpan.Zero)).Phase);
        // 16:30 UTC on Tuesday is 00:30 on Wednesday in Shanghai.
        var status = clock.At(new DateTimeOffset(2026, 9, 29, 16, 30, 0, TimeSpan.Zero));
        Assert.Equal(MarketPhase.PreOpen, status.Phase);
        Assert.Equal(new DateOnly(2026, 9, 30), status.TradingDay);
        Assert.Equal(new DateTimeOffset(2026, 9, 30, 1, 30, 0, TimeSpan.Zero), status.NextOpen);
        Assert.Equal(Shanghai, status.NextOpen!.Value.Offset);

        var local = clock.ToShanghai(new DateTimeOffset(2026, 9, 29, 23, 0, 0, TimeSpan.FromHours(-5)));
        Assert.Equal(new DateTimeOffset(2026, 9, 30, 12, 0, 0, Shanghai), local);
        Assert.Equal(Shanghai, local.Offset);
    }

    [Fact]
    public void Now_follows_the_time_provider()
    {
        var (clock, time) = Clock(At(Tuesday, 9, 14, 59));
        Assert.Equal(MarketPhase.PreOpen, clock.Now().Phase);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(MarketPhase.OpeningAuction, clock.Now().Phase);

        time.Advance(TimeSpan.FromMinutes(45));
        Assert.Equal(30, clock.Now().MinutesTraded);
    }

    [Fact]
    public void A_status_is_computed_once_a_minute_and_again_when_the_calendar_changes()
    {
        var calendar = TradingCalendar.LoadEmbedded();
        var holiday = new DateOnly(2026, 10, 1);
        var (clock, time) = Clock(At(holiday, 10, 0), calendar: calendar);

        var first = clock.Now();
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Same(first, clock.Now());
        Assert.Equal(MarketPhase.Closed, first.Phase);

        // The exchanges add the day (here: the test does): the same minute now trades.
        calendar.AddTradingDays([holiday]);
        var added = clock.Now();
        Assert.Equal(MarketPhase.Continuous, added.Phase);
        Assert.Equal(holiday, added.TradingDay);
        Assert.Equal(30, added.MinutesTraded);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(31, clock.Now().MinutesTraded);
        // An instant in an earlier minute is not answered from the later one.
        Assert.Equal(MarketPhase.OpeningAuction, clock.At(At(holiday, 9, 29, 59)).Phase);
    }

    [Fact]
    public void Minutes_traded_rise_by_one_per_continuous_minute_and_never_exceed_240()
    {
        var (clock, time) = Clock(At(Tuesday, 0, 0));
        var previous = 0;
        var previousPhase = MarketPhase.PreOpen;
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            var status = clock.Now();
            Assert.InRange(status.MinutesTraded, previous, Math.Min(previous + 1, 240));
            if (status.Phase == previousPhase && !status.QuotesMove)
            {
                Assert.Equal(previous, status.MinutesTraded); // no minutes counted inside pre-open, the opening auction, lunch or after the close
            }
            previous = status.MinutesTraded;
            previousPhase = status.Phase;
            time.Advance(TimeSpan.FromMinutes(1));
        }
        Assert.Equal(240, previous);
    }

    [Fact]
    public void Always_open_reports_continuous_with_the_real_minutes_during_hours()
    {
        var status = Clock(At(Tuesday, 10, 0), alwaysOpen: true).Clock.Now();

        Assert.Equal(new MarketStatus(MarketPhase.Continuous, Tuesday, null, 30, AlwaysOpen: true), status);
        Assert.True(status.QuotesMove);
        Assert.Equal(120, Clock(At(Tuesday, 12, 0), alwaysOpen: true).Clock.Now().MinutesTraded);
        Assert.Equal(239, Clock(At(Tuesday, 14, 59, 59), alwaysOpen: true).Clock.Now().MinutesTraded);
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(3, 59, 240)]
    [InlineData(4, 0, 1)]
    [InlineData(9, 29, 90)]
    [InlineData(15, 0, 181)]
    [InlineData(20, 0, 1)]
    [InlineData(23, 59, 240)]
    public void Always_open_outside_hours_cycles_minutes_through_1_to_240(int hour, int minute, int expected)
    {
        var status = Clock(At(Tuesday, hour, minute, 30), alwaysOpen: true).Clock.Now();

        Assert.Equal(MarketPhase.Continuous, status.Phase);
        Assert.Equal(Tuesday, status.TradingDay);
        Assert.Null(status.NextOpen);
        Assert.Equal(expected, status.MinutesTraded);
    }

    [Fact]
    public void Always_open_cycle_visits_every_value_once_per_240_minutes()
    {
        var (clock, time) = Clock(At(new DateOnly(2026, 10, 3), 5, 17), alwaysOpen: true);
        var seen = new List<int>();
        for (var i = 0; i < 240; i++)
        {
            seen.Add(clock.Now().MinutesTraded);
            time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(Enumerable.Range(1, 240), seen.Order());
    }

    [Fact]
    public void Always_open_on_a_holiday_or_weekend_uses_the_previous_trading_day()
    {
        var holiday = Clock(At(new DateOnly(2026, 10, 5), 10, 0), alwaysOpen: true).Clock.Now();
        var saturday = Clock(At(new DateOnly(2026, 3, 7), 10, 0), alwaysOpen: true).Clock.Now();

        Assert.Equal(MarketPhase.Continuous, holiday.Phase);
        Assert.Equal(new DateOnly(2026, 9, 30), holiday.TradingDay);
        Assert.Equal((10 * 60) % 240 + 1, holiday.MinutesTraded);
        Assert.Null(holiday.NextOpen);
        Assert.Equal(new DateOnly(2026, 3, 6), saturday.TradingDay);
    }

    [Fact]
    public void Past_the_calendar_end_weekdays_trade_with_one_warning()
    {
        var logger = new ListLogger();
        var (clock, time) = Clock(At(new DateOnly(2027, 1, 4), 10, 0), calendar: TradingCalendar.LoadEmbedded(logger));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(MarketPhase.Continuous, clock.Now().Phase);
            time.Advance(TimeSpan.FromMinutes(1));
        }
        Assert.Equal(At(new DateOnly(2027, 1, 5), 9, 30), clock.At(At(new DateOnly(2027, 1, 4), 16, 0)).NextOpen);
        Assert.Single(logger.Warnings);
    }

    [Fact]
    public void Extra_trading_days_file_is_loaded_at_start()
    {
        using var file = new TempFile("""["20270104", "20270105"]""");
        var calendar = TradingCalendar.LoadEmbedded();

        var clock = new MarketClock(calendar, new FakeTimeProvider(At(new DateOnly(2027, 1, 1), 10, 0)),
            Options.Create(new MarketClockOptions { ExtraTradingDaysFile = file.Path }));

        Assert.Same(calendar, clock.Calendar);
        Assert.Equal(new DateOnly(2027, 1, 5), calendar.LastListedDay);
        var status = clock.Now(); // 1 January 2027: closed now that the list says so
        Assert.Equal(MarketPhase.Closed, status.Phase);
        Assert.Equal(new DateOnly(2027, 1, 4), status.TradingDay);
    }

    [Fact]
    public void A_broken_extra_trading_days_file_fails_the_start()
    {
        using var file = new TempFile("""["2027"]""");

        var error = Assert.Throws<InvalidDataException>(() => new MarketClock(TradingCalendar.LoadEmbedded(), TimeProvider.System,
            Options.Create(new MarketClockOptions { ExtraTradingDaysFile = file.Path })));

        Assert.Contains(file.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_section_name()
    {
        Assert.Equal("Market:Clock", MarketClockOptions.Section);
        Assert.Equal(TimeSpan.FromHours(8), MarketClock.ShanghaiOffset);
    }
}
