using System.Globalization;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Strategies;
using OrleansPrices.Market.Time;
using OrleansPrices.Tests.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Strategies;

/// <summary>Both strategies over one simulated day of the default 5,000-stock market.</summary>
public sealed class SimulatedDayStrategyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_realistic_share_of_the_market_shows_up_on_the_lists()
    {
        // 60 s ticks from 9:20 to 15:00: the default universe, one poll a minute.
        var day = SimulationHarness.TradingDay;
        var sim = SimulationHarness.Create(size: 5000, tick: TimeSpan.FromSeconds(60));
        var quotes = (await sim.PollAsync()).ToDictionary(q => q.TsCode);
        var history = new Dictionary<string, IReadOnlyList<DailyBar>>();
        foreach (var stock in sim.Market.Universe)
        {
            history[stock.TsCode] = await sim.Market.GetHistoryAsync(stock.TsCode, 60, CancellationToken.None);
        }

        var volumeRatio = StrategyCatalog.Default.TryGet("volume_ratio", out var v) ? v : throw new InvalidOperationException();
        var maCross = StrategyCatalog.Default.TryGet("ma_cross", out var m) ? m : throw new InvalidOperationException();
        var activeVolume = new HashSet<string>();
        var everVolume = new HashSet<string>();
        var counts = new List<(int Minutes, int Count)>();
        var ratiosAt14 = new List<decimal>();

        while (sim.Time.GetUtcNow() < SimulationHarness.At(day, 15, 0))
        {
            foreach (var q in await sim.TickAsync()) quotes[q.TsCode] = q;
            var status = sim.Clock.Now();
            if (status.Phase != MarketPhase.Continuous || status.MinutesTraded < 5) continue;

            foreach (var stock in sim.Market.Universe)
            {
                var input = new StrategyInput(stock, history[stock.TsCode], quotes[stock.TsCode], status.MinutesTraded, activeVolume.Contains(stock.TsCode));
                if (volumeRatio.Evaluate(input) is not null)
                {
                    activeVolume.Add(stock.TsCode);
                    everVolume.Add(stock.TsCode);
                }
                else
                {
                    activeVolume.Remove(stock.TsCode);
                }
            }
            counts.Add((status.MinutesTraded, activeVolume.Count));
            if (status.MinutesTraded == 180)
            {
                ratiosAt14.AddRange(sim.Market.Universe
                    .Where(s => !quotes[s.TsCode].Suspended)
                    .Select(s => Indicators.VolumeRatio(quotes[s.TsCode].Volume, 180, history[s.TsCode])));
            }
        }

        // The volume_ratio list: never empty after the first half hour, never 10% of the market.
        Assert.All(counts.Where(c => c.Minutes >= 30), c => Assert.InRange(c.Count, 1, 499));
        Assert.InRange(everVolume.Count, 20, 499);

        // 量比 distribution at 14:00: mostly 0.5–1.5, some 2–5, a few above 5.
        ratiosAt14.Sort();
        var median = ratiosAt14[ratiosAt14.Count / 2];
        var normal = ratiosAt14.Count(r => r is >= 0.5m and <= 1.5m) / (double)ratiosAt14.Count;
        var active = ratiosAt14.Count(r => r is >= 2m and <= 5m);
        var breakout = ratiosAt14.Count(r => r > 5m);
        Assert.InRange(median, 0.8m, 1.2m);
        Assert.True(normal > 0.75, $"share of 量比 in 0.5–1.5: {normal:P1}");
        Assert.InRange(active, 50, 500);
        Assert.InRange(breakout, 5, 100);

        // ma_cross at the close: a handful, not a flood.
        var crosses = sim.Market.Universe
            .Select(s => maCross.Evaluate(new StrategyInput(s, history[s.TsCode], quotes[s.TsCode], 240, false)))
            .Count(signal => signal is not null);
        Assert.InRange(crosses, 5, 1000);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"volume_ratio: {everVolume.Count} stocks on the list at some point, {activeVolume.Count} at the close; peak {counts.Max(c => c.Count)}; ma_cross at the close: {crosses}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"量比 at 14:00: median {median}, 0.5–1.5 {normal:P1}, 2–5 {active}, >5 {breakout}"));
        foreach (var code in new[] { "600519.SH", "300750.SZ", "688981.SH", "920799.BJ" }.Concat(activeVolume.Order(StringComparer.Ordinal).Take(1)))
        {
            var q = quotes[code];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{q.TsCode} {q.Name} price {q.Price} pre {q.PreClose} ({q.ChangePercent}%) O {q.Open} H {q.High} L {q.Low} vol {q.Volume} amt {q.Amount} bid {q.Bid} ask {q.Ask} 量比 {Indicators.VolumeRatio(q.Volume, 240, history[code])}"));
        }
    }
}
