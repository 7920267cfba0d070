using Microsoft.Extensions.Logging;
using OrleansPrices.Market.Time;
using Xunit;

namespace OrleansPrices.Tests.Market;

public sealed class TradingCalendarTests
{
    private static readonly TradingCalendar Embedded = TradingCalendar.LoadEmbedded();

    private static DateOnly D(int year, int month, int day) => new(year, month, day);

    [Fact]
    public void Embedded_list_runs_from_1990_to_the_end_of_2026()
    {
        Assert.Equal(D(1990, 12, 19), Embedded.FirstListedDay);
        Assert.Equal(D(2026, 12, 31), Embedded.LastListedDay);
    }

    [Fact]
    public void National_day_holiday_2026_is_closed()
    {
        for (var day = D(2026, 10, 1); day <= D(2026, 10, 7); day = day.AddDays(1))
        {
            Assert.False(Embedded.IsTradingDay(day), $"{day} should be closed");
        }
        Assert.True(Embedded.IsTradingDay(D(2026, 9, 30)));
        // The embedded list (exchange_calendars / akshare) reopens on Thursday 8 October.
        Assert.True(Embedded.IsTradingDay(D(2026, 10, 8)));
    }

    [Fact]
    public void Spring_festival_2026_is_closed()
    {
        for (var day = D(2026, 2, 14); day <= D(2026, 2, 23); day = day.AddDays(1))
        {
            Assert.False(Embedded.IsTradingDay(day), $"{day} should be closed");
        }
        Assert.True(Embedded.IsTradingDay(D(2026, 2, 13)));
        Assert.True(Embedded.IsTradingDay(D(2026, 2, 24)));
    }

    [Theory]
    [InlineData(2026, 3, 7)]
    [InlineData(2026, 3, 8)]
    [InlineData(2026, 9, 20)] // a Sunday made a working day: the exchanges still do not trade
    [InlineData(2026, 10, 10)] // likewise a Saturday
    public void Weekends_are_closed(int year, int month, int day)
    {
        Assert.False(Embedded.IsTradingDay(D(year, month, day)));
    }

    [Fact]
    public void Ordinary_weekdays_trade()
    {
        Assert.True(Embedded.IsTradingDay(D(2026, 3, 9)));
        Assert.True(Embedded.IsTradingDay(D(2026, 12, 31)));
        Assert.False(Embedded.IsTradingDay(D(1990, 12, 18)));
    }

    [Theory]
    [InlineData("2026-09-30", "2026-10-08")]
    [InlineData("2026-10-03", "2026-10-08")]
    [InlineData("2026-02-13", "2026-02-24")]
    [InlineData("2026-03-06", "2026-03-09")] // Friday → Monday
    [InlineData("2026-03-07", "2026-03-09")]
    [InlineData("2026-03-09", "2026-03-10")]
    [InlineData("1990-01-01", "1990-12-19")]
    public void Next_trading_day_is_strictly_after(string day, string next)
    {
        Assert.Equal(DateOnly.Parse(next), Embedded.NextTradingDay(DateOnly.Parse(day)));
    }

    [Theory]
    [InlineData("2026-10-08", "2026-09-30")]
    [InlineData("2026-10-05", "2026-09-30")]
    [InlineData("2026-02-24", "2026-02-13")]
    [InlineData("2026-03-09", "2026-03-06")]
    [InlineData("2026-03-08", "2026-03-06")]
    [InlineData("2026-03-10", "2026-03-09")]
    public void Previous_trading_day_is_strictly_before(string day, string previous)
    {
        Assert.Equal(DateOnly.Parse(previous), Embedded.PreviousTradingDay(DateOnly.Parse(day)));
    }

    [Fact]
    public void Previous_before_the_first_listed_day_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Embedded.PreviousTradingDay(D(1990, 12, 19)));
    }

    [Fact]
    public void Trading_days_before_are_oldest_first_and_skip_holidays()
    {
        Assert.Equal([D(2026, 9, 29), D(2026, 9, 30), D(2026, 10, 8)], Embedded.TradingDaysBefore(D(2026, 10, 9), 3));
        Assert.Equal([D(2026, 9, 30)], Embedded.TradingDaysBefore(D(2026, 10, 8), 1));
        Assert.Empty(Embedded.TradingDaysBefore(D(2026, 10, 8), 0));
        Assert.Equal(5, Embedded.TradingDaysBefore(D(2026, 3, 10), 5).Count);
        Assert.Equal([D(1990, 12, 19), D(1990, 12, 20)], Embedded.TradingDaysBefore(D(1990, 12, 21), 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Embedded.TradingDaysBefore(D(2026, 3, 10), -1));
    }

    [Fact]
    public void Past_the_end_of_the_list_weekdays_trade_and_one_warning_is_logged()
    {
        var logger = new ListLogger();
        var calendar = TradingCalendar.LoadEmbedded(logger);

        Assert.True(calendar.IsTradingDay(D(2026, 12, 31)));
        Assert.Empty(logger.Warnings);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(calendar.IsTradingDay(D(2027, 1, 1))); // a Friday (and really a holiday: the list is needed)
            Assert.False(calendar.IsTradingDay(D(2027, 1, 2)));
            Assert.False(calendar.IsTradingDay(D(2027, 1, 3)));
            Assert.True(calendar.IsTradingDay(D(2027, 1, 4)));
        }
        Assert.Equal(D(2027, 1, 1), calendar.NextTradingDay(D(2026, 12, 31)));
        Assert.Equal(D(2027, 1, 4), calendar.NextTradingDay(D(2027, 1, 1)));
        Assert.Equal(D(2027, 1, 1), calendar.PreviousTradingDay(D(2027, 1, 4)));
        Assert.Equal(D(2026, 12, 31), calendar.PreviousTradingDay(D(2027, 1, 1)));
        Assert.Equal([D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 4)], calendar.TradingDaysBefore(D(2027, 1, 5), 3));

        var warning = Assert.Single(logger.Warnings);
        Assert.Equal(1101, warning.EventId.Id);
        Assert.Contains("2026-12-31", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Market:Clock:ExtraTradingDaysFile", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Past_the_end_is_never_an_exception_even_from_many_threads()
    {
        var logger = new ListLogger();
        var calendar = TradingCalendar.LoadEmbedded(logger);

        Parallel.For(0, 2_000, i => calendar.IsTradingDay(D(2027, 1, 1).AddDays(i % 400)));

        Assert.Single(logger.Warnings);
    }

    [Fact]
    public void Adding_next_years_days_makes_holidays_exact_and_rearms_the_warning()
    {
        var logger = new ListLogger();
        var calendar = TradingCalendar.LoadEmbedded(logger);
        Assert.True(calendar.IsTradingDay(D(2027, 1, 1)));

        calendar.AddTradingDays([D(2027, 1, 5), D(2027, 1, 4), D(2027, 1, 4)]);

        Assert.Equal(D(2027, 1, 5), calendar.LastListedDay);
        Assert.False(calendar.IsTradingDay(D(2027, 1, 1)));
        Assert.Equal(D(2027, 1, 4), calendar.NextTradingDay(D(2026, 12, 31)));
        Assert.Equal(D(2026, 12, 31), calendar.PreviousTradingDay(D(2027, 1, 4)));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("2 trading days added", StringComparison.Ordinal));

        Assert.True(calendar.IsTradingDay(D(2027, 1, 6)));
        Assert.Equal(2, logger.Warnings.Count);
    }

    [Fact]
    public void Adding_a_weekend_day_is_rejected_and_changes_nothing()
    {
        var calendar = TradingCalendar.LoadEmbedded();

        Assert.Throws<ArgumentException>(() => calendar.AddTradingDays([D(2027, 1, 4), D(2027, 1, 2)]));

        Assert.Equal(D(2026, 12, 31), calendar.LastListedDay);
    }

    [Fact]
    public void Adding_while_reading_from_other_threads_is_safe()
    {
        var calendar = new TradingCalendar([D(2027, 1, 4)]);
        var days = Enumerable.Range(0, 700).Select(i => D(2027, 1, 4).AddDays(i)).Where(d => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)).ToList();

        Parallel.Invoke(
            () =>
            {
                foreach (var day in days)
                {
                    calendar.AddTradingDays([day]);
                }
            },
            () =>
            {
                for (var i = 0; i < 5_000; i++)
                {
                    var day = days[i % days.Count];
                    Assert.True(calendar.IsTradingDay(day)); // listed, or a weekday past the end
                    Assert.True(calendar.NextTradingDay(day) > day);
                }
            });

        Assert.Equal(days[^1], calendar.LastListedDay);
    }

    [Fact]
    public void A_calendar_needs_days_and_no_weekends()
    {
        Assert.Throws<ArgumentException>(() => new TradingCalendar([]));
        Assert.Throws<ArgumentException>(() => new TradingCalendar([D(2026, 3, 7)]));
    }

    [Fact]
    public void Trading_days_since_listing_count_from_zero_on_the_listing_day()
    {
        Assert.Equal(0, Embedded.TradingDaysSinceListing(D(2026, 3, 2), D(2026, 3, 2)));
        Assert.Equal(4, Embedded.TradingDaysSinceListing(D(2026, 3, 2), D(2026, 3, 6)));
        Assert.Equal(4, Embedded.TradingDaysSinceListing(D(2026, 3, 2), D(2026, 3, 8)));
        Assert.Equal(5, Embedded.TradingDaysSinceListing(D(2026, 3, 2), D(2026, 3, 9)));
        Assert.Equal(2, Embedded.TradingDaysSinceListing(D(2026, 12, 30), D(2027, 1, 1)));
        Assert.Equal(0, Embedded.TradingDaysSinceListing(D(2026, 3, 9), D(2026, 3, 2)));
    }

    [Fact]
    public void Load_file_adds_the_days_it_lists()
    {
        var logger = new ListLogger();
        var calendar = TradingCalendar.LoadEmbedded(logger);
        using var file = new TempFile("""["20270104", "20270105","20270106"]""");

        calendar.LoadFile(file.Path);

        Assert.Equal(D(2027, 1, 6), calendar.LastListedDay);
        Assert.False(calendar.IsTradingDay(D(2027, 1, 1)));
        Assert.True(calendar.IsTradingDay(D(2027, 1, 5)));
        Assert.Contains(logger.Entries, e => e.Message.Contains(file.Path, StringComparison.Ordinal));
        Assert.Empty(logger.Warnings);
    }

    [Theory]
    [InlineData("""["20270104", "2027""", "not valid JSON")]
    [InlineData("""{"days": ["20270104"]}""", "not an array")]
    [InlineData("""[]""", "empty")]
    [InlineData("""["20270104", "20270230"]""", "element 1 is \"20270230\"")]
    [InlineData("""["2027-01-04"]""", "element 0")]
    [InlineData("""[20270104]""", "element 0 is 20270104")]
    [InlineData("""["20270104", null]""", "element 1 is null")]
    [InlineData("""["20270104", "20270102"]""", "Saturday")]
    [InlineData("", "not valid JSON")]
    public void A_broken_file_throws_naming_file_and_problem_and_changes_nothing(string content, string problem)
    {
        var calendar = TradingCalendar.LoadEmbedded();
        using var file = new TempFile(content);

        var error = Assert.Throws<InvalidDataException>(() => calendar.LoadFile(file.Path));

        Assert.Contains(file.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Equal(D(2026, 12, 31), calendar.LastListedDay);
        Assert.False(calendar.IsTradingDay(D(2027, 1, 2)));
        Assert.True(calendar.IsTradingDay(D(2027, 1, 4)));
    }

    [Fact]
    public void A_missing_file_throws_invalid_data_naming_the_file()
    {
        var calendar = TradingCalendar.LoadEmbedded();
        var path = Path.Combine(Path.GetTempPath(), $"no-such-calendar-{Guid.NewGuid():N}.json");

        var error = Assert.Throws<InvalidDataException>(() => calendar.LoadFile(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(D(2026, 12, 31), calendar.LastListedDay);
    }
}

/// <summary>A temporary file deleted on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    public TempFile(string content)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"calendar-{Guid.NewGuid():N}.json");
        File.WriteAllText(Path, content);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
