using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Market.Strategies;

/// <summary>What a strategy sees of one stock at one moment.</summary>
/// <param name="Stock">The stock.</param>
/// <param name="History">Completed daily bars before today, oldest first (volume in shares).</param>
/// <param name="Today">Today's latest snapshot; its price stands in for today's close.</param>
/// <param name="MinutesTraded">Continuous-trading minutes elapsed today, lunch excluded, 0..240.</param>
/// <param name="CurrentlyActive">True when the stock is on this strategy's list now, for hysteresis.</param>
public sealed record StrategyInput(
    StockInfo Stock,
    IReadOnlyList<DailyBar> History,
    Quote Today,
    int MinutesTraded,
    bool CurrentlyActive);
