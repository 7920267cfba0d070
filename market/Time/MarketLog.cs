using Microsoft.Extensions.Logging;

namespace OrleansPrices.Market.Time;

/// <summary>Log lines of the calendar and clock, with stable event ids (11xx).</summary>
internal static partial class MarketLog
{
    [LoggerMessage(EventId = 1101, EventName = "TradingCalendarEnded", Level = LogLevel.Warning,
        Message = "The trading calendar lists trading days only up to {LastListedDay:yyyy-MM-dd}; {Day:yyyy-MM-dd} and later dates are taken as trading days when they fall Monday to Friday, so exchange holidays will be wrong. Load next year's list: set Market:Clock:ExtraTradingDaysFile to a JSON array of \"YYYYMMDD\" strings (like Data/xshg-trading-days.json), or call TradingCalendar.LoadFile / AddTradingDays.")]
    public static partial void TradingCalendarEnded(ILogger logger, DateOnly lastListedDay, DateOnly day);

    [LoggerMessage(EventId = 1102, EventName = "TradingDaysAdded", Level = LogLevel.Information,
        Message = "Trading calendar: {Added} trading days added from {Source}; it now lists {FirstListedDay:yyyy-MM-dd} to {LastListedDay:yyyy-MM-dd}")]
    public static partial void TradingDaysAdded(ILogger logger, int added, string source, DateOnly firstListedDay, DateOnly lastListedDay);
}
