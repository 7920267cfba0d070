using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrleansPrices.Market.Time;

/// <summary>
/// The Shanghai/Shenzhen trading days. Knows the listed days exactly (the embedded list runs to
/// 2026-12-31); past <see cref="LastListedDay"/> it takes Monday to Friday as trading days and logs
/// one warning (again only after the list has been extended and its new end passed). Reads are
/// lock-free over an immutable snapshot; <see cref="AddTradingDays"/> and <see cref="LoadFile"/> swap in
/// a new snapshot, so the calendar is safe to share between threads.
/// </summary>
public sealed class TradingCalendar
{
    /// <summary>The embedded resource holding the trading days as a JSON array of "YYYYMMDD" strings.</summary>
    public const string EmbeddedResourceName = "xshg-trading-days.json";

    private const string DayFormat = "yyyyMMdd";

    private readonly ILogger _logger;
    private readonly Lock _writeGate = new();
    private volatile DateOnly[] _days; // sorted ascending, distinct, never empty
    private int _warnedPastEnd; // 1 once the past-the-end warning for the current list was logged

    /// <summary>A calendar of the given trading days (any order, duplicates ignored).</summary>
    /// <exception cref="ArgumentException">No days, or a Saturday or Sunday among them.</exception>
    public TradingCalendar(IEnumerable<DateOnly> tradingDays, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(tradingDays);
        _logger = logger ?? NullLogger.Instance;
        var days = tradingDays.ToHashSet();
        if (days.Count == 0)
        {
            throw new ArgumentException("a trading calendar needs at least one trading day", nameof(tradingDays));
        }
        ThrowOnWeekend(days, nameof(tradingDays));
        _days = [.. days.Order()];
    }

    /// <summary>The calendar embedded in this assembly (Data/xshg-trading-days.json, to 2026-12-31).</summary>
    public static TradingCalendar LoadEmbedded(ILogger? logger = null)
    {
        using var stream = typeof(TradingCalendar).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new InvalidOperationException($"embedded resource {EmbeddedResourceName} is missing from {typeof(TradingCalendar).Assembly.GetName().Name}");
        return new TradingCalendar(ParseDays(stream, $"embedded resource {EmbeddedResourceName}"), logger);
    }

    /// <summary>The listed days as they stand: a new array after every addition, so its identity tells whether the calendar changed.</summary>
    internal DateOnly[] Listed => _days;

    /// <summary>The earliest listed trading day.</summary>
    public DateOnly FirstListedDay => _days[0];

    /// <summary>The latest listed trading day; past it, Monday to Friday count as trading days.</summary>
    public DateOnly LastListedDay => _days[^1];

    /// <summary>
    /// True when <paramref name="day"/> is a trading day. Before <see cref="FirstListedDay"/>: false.
    /// Past <see cref="LastListedDay"/>: true Monday to Friday, logging one warning. Never throws.
    /// </summary>
    public bool IsTradingDay(DateOnly day)
    {
        var days = _days;
        if (day > days[^1])
        {
            WarnPastEnd(days[^1], day);
            return IsWeekday(day);
        }
        return Array.BinarySearch(days, day) >= 0;
    }

    /// <summary>The first trading day strictly after <paramref name="day"/>.</summary>
    public DateOnly NextTradingDay(DateOnly day)
    {
        var days = _days;
        if (day < days[^1])
        {
            return days[UpperBound(days, day)];
        }
        var next = day.AddDays(1);
        while (!IsWeekday(next))
        {
            next = next.AddDays(1);
        }
        WarnPastEnd(days[^1], next);
        return next;
    }

    /// <summary>The last trading day strictly before <paramref name="day"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="day"/> is on or before <see cref="FirstListedDay"/>.</exception>
    public DateOnly PreviousTradingDay(DateOnly day) =>
        TryPrevious(_days, day, out var previous)
            ? previous
            : throw new ArgumentOutOfRangeException(nameof(day), day, $"no trading day listed before {day:yyyy-MM-dd}");

    /// <summary>
    /// Up to <paramref name="count"/> trading days strictly before <paramref name="day"/>, oldest first
    /// (fewer only when the list starts earlier than that).
    /// </summary>
    public IReadOnlyList<DateOnly> TradingDaysBefore(DateOnly day, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var days = _days;
        var result = new DateOnly[count];
        var filled = 0;
        var cursor = day;
        while (filled < count && TryPrevious(days, cursor, out var previous))
        {
            result[count - 1 - filled] = previous;
            filled++;
            cursor = previous;
        }
        return filled == count ? result : result[(count - filled)..];
    }

    /// <summary>
    /// The number of trading days from <paramref name="listDate"/> (excluded) up to and including
    /// <paramref name="tradeDate"/>: 0 on the listing day, 4 on the fifth trading day after an IPO.
    /// This is the <c>tradingDaysSinceListing</c> that <c>PriceLimitRules</c> takes. 0 when
    /// <paramref name="tradeDate"/> is not after <paramref name="listDate"/>.
    /// </summary>
    public int TradingDaysSinceListing(DateOnly listDate, DateOnly tradeDate)
    {
        if (tradeDate <= listDate)
        {
            return 0;
        }
        var days = _days;
        var count = 0;
        // Listed days in (listDate, tradeDate].
        var lo = UpperBound(days, listDate);
        var hi = UpperBound(days, tradeDate);
        count += Math.Max(0, hi - lo);
        // Weekdays past the list's end in (max(listDate, last), tradeDate].
        var from = listDate > days[^1] ? listDate : days[^1];
        if (tradeDate > from)
        {
            WarnPastEnd(days[^1], tradeDate);
            for (var d = from.AddDays(1); d <= tradeDate; d = d.AddDays(1))
            {
                if (IsWeekday(d)) count++;
            }
        }
        return count;
    }

    /// <summary>
    /// Adds trading days, e.g. next year's list once the exchanges publish it. Thread-safe; days
    /// already listed are ignored. Re-arms the past-the-end warning when the list grows.
    /// </summary>
    /// <exception cref="ArgumentException">A Saturday or Sunday among the days; the calendar is then unchanged.</exception>
    public void AddTradingDays(IEnumerable<DateOnly> days) => Add(days, "code");

    /// <summary>
    /// Adds the trading days in a JSON file: an array of "YYYYMMDD" strings like the embedded
    /// Data/xshg-trading-days.json. Thread-safe.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The file cannot be read, is not such an array, is empty, or holds a string that is not a
    /// Monday-to-Friday date; the message names the file and the problem, and the calendar is unchanged.
    /// </exception>
    public void LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var source = $"trading-day file '{path}'";
        List<DateOnly> days;
        try
        {
            using var stream = File.OpenRead(path);
            days = ParseDays(stream, source);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{source}: cannot be read: {e.Message}", e);
        }
        Add(days, source); // ParseDays has already rejected weekends
    }

    private void Add(IEnumerable<DateOnly> days, string source)
    {
        ArgumentNullException.ThrowIfNull(days);
        var incoming = days.ToHashSet();
        ThrowOnWeekend(incoming, nameof(days));
        DateOnly[] updated;
        int added;
        lock (_writeGate)
        {
            var current = _days;
            incoming.ExceptWith(current);
            added = incoming.Count;
            if (added == 0)
            {
                return;
            }
            updated = [.. current.Concat(incoming).Order()];
            _days = updated;
            if (updated[^1] > current[^1])
            {
                Volatile.Write(ref _warnedPastEnd, 0);
            }
        }
        MarketLog.TradingDaysAdded(_logger, added, source, updated[0], updated[^1]);
    }

    private bool TryPrevious(DateOnly[] days, DateOnly day, out DateOnly previous)
    {
        var last = days[^1];
        var candidate = day.AddDays(-1);
        while (candidate > last)
        {
            if (IsWeekday(candidate))
            {
                WarnPastEnd(last, candidate);
                previous = candidate;
                return true;
            }
            candidate = candidate.AddDays(-1);
        }
        // Largest listed day <= candidate, i.e. strictly before day.
        var index = UpperBound(days, candidate) - 1;
        if (index < 0)
        {
            previous = default;
            return false;
        }
        previous = days[index];
        return true;
    }

    private void WarnPastEnd(DateOnly lastListedDay, DateOnly day)
    {
        if (Interlocked.Exchange(ref _warnedPastEnd, 1) == 0)
        {
            MarketLog.TradingCalendarEnded(_logger, lastListedDay, day);
        }
    }

    /// <summary>Index of the first listed day strictly after <paramref name="day"/> (days.Length if none).</summary>
    private static int UpperBound(DateOnly[] days, DateOnly day)
    {
        var index = Array.BinarySearch(days, day);
        return index >= 0 ? index + 1 : ~index;
    }

    private static bool IsWeekday(DateOnly day) => day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

    private static void ThrowOnWeekend(IEnumerable<DateOnly> days, string paramName)
    {
        foreach (var day in days)
        {
            if (WeekendError(day) is { } error)
            {
                throw new ArgumentException(error, paramName);
            }
        }
    }

    private static string? WeekendError(DateOnly day) =>
        IsWeekday(day) ? null : $"{day:yyyy-MM-dd} is a {day.DayOfWeek}: the A-share exchanges do not trade at weekends";

    private static List<DateOnly> ParseDays(Stream stream, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{source}: the top level is a JSON {root.ValueKind}, not an array of \"YYYYMMDD\" strings");
            }
            var days = new List<DateOnly>(root.GetArrayLength());
            var index = 0;
            foreach (var element in root.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.String
                    || !DateOnly.TryParseExact(element.GetString(), DayFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    throw new InvalidDataException($"{source}: element {index} is {element.GetRawText()}, not a date as \"YYYYMMDD\"");
                }
                if (WeekendError(day) is { } weekend)
                {
                    throw new InvalidDataException($"{source}: element {index}: {weekend}");
                }
                days.Add(day);
                index++;
            }
            if (days.Count == 0)
            {
                throw new InvalidDataException($"{source}: the array is empty; it should list trading days as \"YYYYMMDD\" strings");
            }
            return days;
        }
    }
}
