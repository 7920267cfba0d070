using Microsoft.Extensions.Options;

namespace OrleansPrices.Market.Time;

/// <summary>
/// The A-share session clock (Asia/Shanghai, UTC+8, no daylight saving). On a trading day:
/// before 9:15 <see cref="MarketPhase.PreOpen"/>; [9:15, 9:30) <see cref="MarketPhase.OpeningAuction"/>
/// (9:25–9:30, the pause after the uncross, included); [9:30, 11:30) and [13:00, 14:57)
/// <see cref="MarketPhase.Continuous"/>; [11:30, 13:00) <see cref="MarketPhase.LunchBreak"/>;
/// [14:57, 15:00) <see cref="MarketPhase.ClosingAuction"/>; from 15:00 <see cref="MarketPhase.Closed"/>.
/// Other days are closed all day. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class MarketClock
{
    /// <summary>Asia/Shanghai's offset from UTC; China has no daylight saving time.</summary>
    public static readonly TimeSpan ShanghaiOffset = TimeSpan.FromHours(8);

    /// <summary>Continuous-trading minutes in a day: 120 in the morning, 120 in the afternoon (the closing auction counted).</summary>
    public const int MinutesPerDay = 240;

    public static readonly TimeOnly OpeningAuctionStart = new(9, 15);
    public static readonly TimeOnly MorningOpen = new(9, 30);
    public static readonly TimeOnly MorningClose = new(11, 30);
    public static readonly TimeOnly AfternoonOpen = new(13, 0);
    public static readonly TimeOnly ClosingAuctionStart = new(14, 57);
    public static readonly TimeOnly Close = new(15, 0);

    private readonly TimeProvider _time;
    private readonly bool _alwaysOpen;

    /// <summary>
    /// The last status computed, for its minute and calendar: a status depends on nothing finer
    /// than the minute (every boundary of the day is on one), and every StockGrain asks on every
    /// quote, 5,000 new objects a tick otherwise.
    /// </summary>
    private volatile Computed? _last;

    private sealed record Computed(long Minute, DateOnly[] Listed, MarketStatus Status);

    /// <summary>
    /// A clock over <paramref name="calendar"/>. When <see cref="MarketClockOptions.ExtraTradingDaysFile"/>
    /// is set, loads it into the calendar now.
    /// </summary>
    /// <exception cref="InvalidDataException">The extra trading-day file is missing or broken.</exception>
    public MarketClock(TradingCalendar calendar, TimeProvider time, IOptions<MarketClockOptions> options)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        Calendar = calendar;
        _time = time;
        var settings = options.Value;
        _alwaysOpen = settings.AlwaysOpen;
        if (!string.IsNullOrWhiteSpace(settings.ExtraTradingDaysFile))
        {
            calendar.LoadFile(settings.ExtraTradingDaysFile);
        }
    }

    public TradingCalendar Calendar { get; }

    /// <summary>The market's status now, by the injected <see cref="TimeProvider"/>.</summary>
    public MarketStatus Now() => At(_time.GetUtcNow());

    /// <summary>
    /// The market's status at <paramref name="instant"/> (any offset; read in Shanghai time).
    /// <para>
    /// <see cref="MarketStatus.MinutesTraded"/> counts whole continuous minutes since 9:30, lunch
    /// excluded: 0 before 9:30, 30 at 10:00, 120 through the lunch break, 150 at 13:30, 237 at 14:57,
    /// then one per closing-auction minute to 240 at 15:00 and after; 0 on a non-trading day.
    /// <see cref="MarketStatus.NextOpen"/> is the next 9:30: today's before 9:30, otherwise (lunch
    /// break included) the next trading day's; null during continuous trading.
    /// </para>
    /// <para>
    /// With <see cref="MarketClockOptions.AlwaysOpen"/> (demo): phase <see cref="MarketPhase.Continuous"/>
    /// at any hour, <see cref="MarketStatus.NextOpen"/> null, trading day today's Shanghai date when it
    /// is a trading day, else the previous trading day (so previous closes line up with history).
    /// Minutes traded follow the real formula between 9:30 and 15:00 of a trading day; at any other
    /// time they cycle 1, 2, …, 240, 1, … one per wall-clock minute: (minute of the Shanghai day mod 240) + 1,
    /// so 00:00 → 1, 03:59 → 240, 04:00 → 1, 20:00 → 1. Never 0, so a volume ratio can always be computed.
    /// </para>
    /// </summary>
    public MarketStatus At(DateTimeOffset instant)
    {
        // Shanghai's offset is whole hours, so UTC minutes are its minutes.
        var minute = instant.UtcTicks / TimeSpan.TicksPerMinute;
        var listed = Calendar.Listed;
        if (_last is { } last && last.Minute == minute && ReferenceEquals(last.Listed, listed)) return last.Status;
        var status = Compute(instant);
        _last = new Computed(minute, listed, status);
        return status;
    }

    private MarketStatus Compute(DateTimeOffset instant)
    {
        var local = ToShanghai(instant);
        var date = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var tradingToday = Calendar.IsTradingDay(date);

        if (_alwaysOpen)
        {
            var tradingDay = tradingToday ? date : Calendar.PreviousTradingDay(date);
            var minutes = tradingToday && time >= MorningOpen && time < Close
                ? ContinuousMinutes(time)
                : (time.Hour * 60 + time.Minute) % MinutesPerDay + 1;
            return new MarketStatus(MarketPhase.Continuous, tradingDay, NextOpen: null, minutes, AlwaysOpen: true);
        }

        if (!tradingToday)
        {
            var next = Calendar.NextTradingDay(date);
            return new MarketStatus(MarketPhase.Closed, next, OpenOf(next), MinutesTraded: 0, AlwaysOpen: false);
        }

        var phase = PhaseAt(time);
        DateTimeOffset? nextOpen = phase == MarketPhase.Continuous
            ? null
            : time < MorningOpen ? OpenOf(date) : OpenOf(Calendar.NextTradingDay(date));
        return new MarketStatus(phase, date, nextOpen, ContinuousMinutes(time), AlwaysOpen: false);
    }

    /// <summary><paramref name="instant"/> as Shanghai local time (offset +08:00).</summary>
    public DateTimeOffset ToShanghai(DateTimeOffset instant) => instant.ToOffset(ShanghaiOffset);

    /// <summary>The phase of a trading day at a Shanghai time of day.</summary>
    public static MarketPhase PhaseAt(TimeOnly time) => time switch
    {
        _ when time < OpeningAuctionStart => MarketPhase.PreOpen,
        _ when time < MorningOpen => MarketPhase.OpeningAuction,
        _ when time < MorningClose => MarketPhase.Continuous,
        _ when time < AfternoonOpen => MarketPhase.LunchBreak,
        _ when time < ClosingAuctionStart => MarketPhase.Continuous,
        _ when time < Close => MarketPhase.ClosingAuction,
        _ => MarketPhase.Closed,
    };

    /// <summary>Whole continuous-trading minutes elapsed by a Shanghai time of day, lunch excluded, 0..240.</summary>
    public static int ContinuousMinutes(TimeOnly time)
    {
        if (time < MorningOpen) return 0;
        if (time < MorningClose) return WholeMinutes(time - MorningOpen);
        if (time < AfternoonOpen) return 120;
        if (time < Close) return 120 + WholeMinutes(time - AfternoonOpen);
        return MinutesPerDay;
    }

    private static int WholeMinutes(TimeSpan span) => (int)(span.Ticks / TimeSpan.TicksPerMinute);

    private static DateTimeOffset OpenOf(DateOnly day) => new(day.ToDateTime(MorningOpen), ShanghaiOffset);
}
