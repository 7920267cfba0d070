using System.Globalization;

namespace OrleansPrices.Market.Strategies;

/// <summary>
/// 量比放量突破 (<c>volume_ratio</c>): a stock trading far above its usual pace while rising.
/// </summary>
/// <remarks>
/// <para>
/// Volume ratio 量比 (MyTT) = (today's cumulative volume ÷ minutes traded, lunch excluded) ÷
/// (sum of the last 5 days' volume ÷ (5 × 240)); see <see cref="Indicators.VolumeRatio"/>.
/// </para>
/// <para>
/// Enters when the stock is not suspended, at least <c>minMinutes</c> (5) minutes have traded
/// (earlier the ratio is mostly the opening auction), 量比 ≥ <c>entryRatio</c> (2.0) and the change
/// exceeds <c>entryChangePercent</c> (2%). A stock at limit-down never qualifies: its limit price lies
/// below the previous close, so its change is negative. Hysteresis: once on the list it stays while
/// 量比 ≥ <c>exitRatio</c> (1.5) and the change stays above 0, so the list does not flap on every tick.
/// </para>
/// </remarks>
public sealed class VolumeRatioBreakout(
    decimal entryRatio = 2.0m,
    decimal exitRatio = 1.5m,
    decimal entryChangePercent = 2m,
    int minMinutes = 5) : IStrategy
{
    public const string StrategyName = "volume_ratio";

    public string Name => StrategyName;

    public string Title => "量比放量突破";

    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"量比 ≥ {entryRatio:0.0#} 且涨幅 > {entryChangePercent:0.##}%（开盘 {minMinutes} 分钟后）入选；量比 < {exitRatio:0.0#} 或涨幅 ≤ 0 时移出。量比 = (今日累计成交量 ÷ 已交易分钟) ÷ (近 5 日成交量之和 ÷ (5 × 240))。");

    public Signal? Evaluate(StrategyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var today = input.Today;
        var ratio = Indicators.VolumeRatio(today.Volume, input.MinutesTraded, input.History);
        if (today.Suspended || today.Price <= 0) return null;

        var change = today.ChangePercent;
        var active = input.CurrentlyActive
            ? ratio >= exitRatio && change > 0m
            : input.MinutesTraded >= minMinutes && ratio >= entryRatio && change > entryChangePercent;
        if (!active) return null;

        var reason = string.Create(CultureInfo.InvariantCulture, $"量比 {ratio:F2} 放量突破，涨幅 {change:F2}%");
        var details = string.Create(CultureInfo.InvariantCulture,
            $"量比 {ratio:F2}，涨幅 {change:F2}%，现价 {today.Price:F2}，成交 {today.Volume / 10_000m:F1} 万股，已交易 {input.MinutesTraded} 分钟");
        return new Signal(StrategyName, Signal.Buy, reason, ratio, details, today.Time);
    }
}
