using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Strategies;

namespace OrleansPrices.Tests.Strategies;

/// <summary>Hand-built bars and quotes for strategy tests.</summary>
internal static class StrategyTestData
{
    public static readonly StockInfo Stock = new(TsCode.Parse("600000.SH"), "浦发银行");

    public static readonly DateTimeOffset Now = new(2026, 3, 10, 10, 30, 0, TimeSpan.FromHours(8));

    /// <summary>Bars ending yesterday (2026-03-09), one per close, with the given volumes (default 1,000,000 shares).</summary>
    public static IReadOnlyList<DailyBar> Bars(decimal[] closes, long[]? volumes = null)
    {
        var bars = new DailyBar[closes.Length];
        var date = new DateOnly(2026, 3, 9).AddDays(-closes.Length + 1);
        for (var i = 0; i < closes.Length; i++)
        {
            var pre = i == 0 ? closes[0] : closes[i - 1];
            var volume = volumes?[i] ?? 1_000_000;
            bars[i] = new DailyBar(date.AddDays(i), pre, Math.Max(pre, closes[i]), Math.Min(pre, closes[i]), closes[i], pre, volume, volume * closes[i]);
        }
        return bars;
    }

    public static Quote Quote(decimal preClose, decimal price, long volume, bool suspended = false) => new()
    {
        TsCode = Stock.TsCode,
        Name = Stock.Name,
        PreClose = preClose,
        Price = price,
        Open = preClose,
        High = Math.Max(preClose, price),
        Low = Math.Min(preClose, price),
        Volume = volume,
        Amount = volume * price,
        Bid = price - 0.01m,
        Ask = price,
        Suspended = suspended,
        Time = Now,
    };

    public static StrategyInput Input(IReadOnlyList<DailyBar> history, Quote today, int minutes, bool active = false) =>
        new(Stock, history, today, minutes, active);
}
