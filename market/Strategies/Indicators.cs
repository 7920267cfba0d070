using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Market.Strategies;

/// <summary>Technical indicators on daily bars, with the MyTT conventions.</summary>
public static class Indicators
{
    /// <summary>Continuous-trading minutes in a day (lunch excluded).</summary>
    public const int MinutesPerDay = 240;

    /// <summary>Days in the volume ratio's average.</summary>
    public const int VolumeRatioDays = 5;

    /// <summary>
    /// Volume ratio 量比 = (today's cumulative volume ÷ minutes traded) ÷ (sum of the last 5 days'
    /// volume ÷ (5 × 240)), rounded half-up to two decimals. With fewer than 5 bars, the bars there
    /// are (n days, n × 240). 0 when nothing has traded yet (<paramref name="minutesTraded"/> ≤ 0) or
    /// the past days had no volume. Volumes must share a unit (shares here).
    /// </summary>
    public static decimal VolumeRatio(long todayVolume, int minutesTraded, IReadOnlyList<DailyBar> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (minutesTraded <= 0 || todayVolume <= 0 || history.Count == 0) return 0m;

        var days = Math.Min(VolumeRatioDays, history.Count);
        decimal pastVolume = 0;
        for (var i = history.Count - days; i < history.Count; i++)
        {
            pastVolume += history[i].Volume;
        }
        if (pastVolume <= 0) return 0m;

        var minutes = Math.Min(minutesTraded, MinutesPerDay);
        var todayPerMinute = (decimal)todayVolume / minutes;
        var pastPerMinute = pastVolume / (days * MinutesPerDay);
        return Math.Round(todayPerMinute / pastPerMinute, 2, MidpointRounding.AwayFromZero);
    }

    /// <summary>
    /// Simple moving average MA(n) of <paramref name="closes"/>[endExclusive − n .. endExclusive − 1],
    /// unrounded; null when fewer than <paramref name="n"/> values end there.
    /// </summary>
    public static decimal? Ma(ReadOnlySpan<decimal> closes, int n, int endExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (endExclusive < n || endExclusive > closes.Length) return null;

        decimal sum = 0;
        foreach (var close in closes[(endExclusive - n)..endExclusive])
        {
            sum += close;
        }
        return sum / n;
    }

    /// <summary>
    /// Fills <paramref name="closes"/> with the last <c>closes.Length − 1</c> closes of
    /// <paramref name="history"/>, then <paramref name="todayPrice"/> as today's close.
    /// </summary>
    public static void ClosesWithToday(IReadOnlyList<DailyBar> history, decimal todayPrice, Span<decimal> closes)
    {
        ArgumentNullException.ThrowIfNull(history);
        var days = closes.Length - 1;
        ArgumentOutOfRangeException.ThrowIfNegative(days, nameof(closes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(days, history.Count, nameof(closes));
        for (var i = 0; i < days; i++)
        {
            closes[i] = history[history.Count - days + i].Close;
        }
        closes[^1] = todayPrice;
    }
}
