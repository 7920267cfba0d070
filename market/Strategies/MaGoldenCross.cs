using System.Globalization;

namespace OrleansPrices.Market.Strategies;

/// <summary>
/// 均线金叉 (<c>ma_cross</c>): the 5-day moving average crosses above the 10-day one today.
/// </summary>
/// <remarks>
/// <para>
/// MA(n) at day t = (close[t−n+1] + … + close[t]) ÷ n, with today's latest price standing in for
/// today's close. Golden cross (MyTT CROSS(MA5, MA10)): yesterday MA5 ≤ MA10 and today MA5 > MA10.
/// </para>
/// <para>
/// Needs at least 10 completed bars. Yesterday's averages are fixed for the day, so the stock stays
/// on the list exactly while today's MA5 > MA10 holds (the price falling back below the crossing
/// level takes it off; it can come back the same day), and drops off on the next trading day, when
/// "yesterday" already had MA5 above MA10.
/// </para>
/// </remarks>
public sealed class MaGoldenCross(int fast = 5, int slow = 10) : IStrategy
{
    public const string StrategyName = "ma_cross";

    private readonly int _window = Math.Max(fast, slow);

    public string Name => StrategyName;

    public string Title => "均线金叉";

    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"昨日 MA{fast} ≤ MA{slow} 且今日 MA{fast} > MA{slow}（今日以现价作收盘价）时入选；当日 MA{fast} 跌回 MA{slow} 下方时移出。");

    public Signal? Evaluate(StrategyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var today = input.Today;
        var ratio = Indicators.VolumeRatio(today.Volume, input.MinutesTraded, input.History);
        if (today.Suspended || today.Price <= 0) return null;

        // Only the last max(fast, slow) + 1 closes enter the four averages: taken on the stack, not
        // a copy of the whole history per quote.
        Span<decimal> closes = stackalloc decimal[Math.Min(input.History.Count, _window) + 1];
        Indicators.ClosesWithToday(input.History, today.Price, closes);
        var n = closes.Length;
        if (Indicators.Ma(closes, fast, n - 1) is not { } fastBefore
            || Indicators.Ma(closes, slow, n - 1) is not { } slowBefore
            || Indicators.Ma(closes, fast, n) is not { } fastNow
            || Indicators.Ma(closes, slow, n) is not { } slowNow)
        {
            return null;
        }
        if (!(fastBefore <= slowBefore && fastNow > slowNow)) return null;

        var reason = string.Create(CultureInfo.InvariantCulture,
            $"MA{fast} 上穿 MA{slow} 金叉：MA{fast} {fastNow:F2} > MA{slow} {slowNow:F2}，涨幅 {today.ChangePercent:F2}%");
        var details = string.Create(CultureInfo.InvariantCulture,
            $"今 MA{fast} {fastNow:F3} / MA{slow} {slowNow:F3}；昨 MA{fast} {fastBefore:F3} / MA{slow} {slowBefore:F3}；现价 {today.Price:F2}，量比 {ratio:F2}");
        return new Signal(StrategyName, Signal.Buy, reason, ratio, details, today.Time);
    }
}
