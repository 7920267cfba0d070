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
    public static decimal? Ma(IReadOnlyList<decimal> closes, int n, int endExclusive)
    {
        ArgumentNullException.ThrowIfNull(closes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (endExclusive < n || endExclusive > closes.Count) return null;

        decimal sum = 0;
        for (var i = endExclusive - n; i < endExclusive; i++)
        {
            sum += closes[i];
        }
        return sum / n;
    }

    /// <summary>The closes of <paramref name="history"/>, then <paramref name="todayPrice"/> as today's close.</summary>
    public static decimal[] ClosesWithToday(IReadOnlyList<DailyBar> history, decimal todayPrice)
    {
        ArgumentNullException.ThrowIfNull(history);
        var closes = new decimal[history.Count + 1];
        for (var i = 0; i < history.Count; i++)
        {
            closes[i] = history[i].Close;
        }
        closes[^1] = todayPrice;
        return closes;
    }
}
