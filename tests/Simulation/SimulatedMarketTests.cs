using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Rules;
using OrleansPrices.Market.Simulation;
using OrleansPrices.Market.Time;
using Xunit;

namespace OrleansPrices.Tests.Simulation;

public sealed class SimulatedMarketTests
{
    [Fact]
    public async Task Invariants_hold_over_2000_ticks_of_300_stocks()
    {
        // 10 s ticks from 9:20: the opening uncross, the morning, lunch and the afternoon to 14:53.
        var sim = SimulationHarness.Create(size: 300, tick: TimeSpan.FromSeconds(10));
        var first = await sim.PollAsync();
        Assert.Equal(300, first.Count);

        var last = first.ToDictionary(q => q.TsCode);
        var limits = first.ToDictionary(q => q.TsCode, q => sim.Market.LimitsOf(q.TsCode)!.Value);
        var suspended = first.Where(q => q.Suspended).Select(q => q.TsCode).ToHashSet();
        Assert.NotEmpty(suspended);
        foreach (var q in first.Where(q => q.Suspended))
        {
            Assert.Equal(q.PreClose, q.Price);
            Assert.Equal(0, q.Volume);
        }

        var ticksAtLimitUp = new Dictionary<string, int>();
        var longestStayAtLimitUp = 0;
        var reachedLimitUp = new HashSet<string>();
        var reachedLimitDown = new HashSet<string>();
        var quietTicks = 0;
        var movingTicks = 0;

        for (var tick = 0; tick < 2000; tick++)
        {
            var quotes = await sim.TickAsync();
            var status = sim.Clock.Now();
            if (status.Phase == MarketPhase.Continuous)
            {
                movingTicks++;
                if (quotes.Count < 300 - suspended.Count) quietTicks++;
            }
            else if (status.Phase == MarketPhase.LunchBreak)
            {
                Assert.Empty(quotes);
            }

            foreach (var q in quotes)
            {
                Assert.DoesNotContain(q.TsCode, suspended);
                var (up, down) = limits[q.TsCode];
                var before = last[q.TsCode];

                foreach (var price in new[] { q.Price, q.Open, q.High, q.Low, q.Bid, q.Ask })
                {
                    Assert.True(PriceTick.IsOnGrid(price), $"{q.TsCode}: {price} off the 0.01 grid");
                }
                Assert.InRange(q.Price, down, up);
                Assert.InRange(q.High, q.Price, up);
                Assert.InRange(q.Low, down, q.Price);
                Assert.InRange(q.Open, q.Low, q.High);
                Assert.True(q.Volume >= before.Volume, $"{q.TsCode}: volume fell {before.Volume} → {q.Volume}");
                Assert.True(q.Amount >= before.Amount, $"{q.TsCode}: amount fell {before.Amount} → {q.Amount}");
                Assert.Equal(0, q.Volume % 100);
                if (q.Volume > 0)
                {
                    // Amount ≈ volume × average price: the average lies within the day's range.
                    Assert.InRange(q.Amount / q.Volume, q.Low, q.High);
                }

                if (q.Price == up)
                {
                    Assert.Equal(up, q.Bid);
                    Assert.Equal(0m, q.Ask);
                    reachedLimitUp.Add(q.TsCode);
                }
                else if (q.Price == down)
                {
                    Assert.Equal(0m, q.Bid);
                    Assert.Equal(down, q.Ask);
                    reachedLimitDown.Add(q.TsCode);
                }
                else if (q.Volume > 0)
                {
                    Assert.Equal(PriceTick.Size, q.Ask - q.Bid);
                    Assert.True(q.Bid == q.Price || q.Ask == q.Price);
                }
                last[q.TsCode] = q;
            }

            foreach (var (code, q) in last)
            {
                if (q.Price == limits[code].Up)
                {
                    var run = ticksAtLimitUp[code] = ticksAtLimitUp.GetValueOrDefault(code) + 1;
                    longestStayAtLimitUp = Math.Max(longestStayAtLimitUp, run);
                }
                else
                {
                    ticksAtLimitUp[code] = 0;
                }
            }
        }

        Assert.NotEmpty(reachedLimitUp);
        Assert.True(longestStayAtLimitUp >= 30, $"longest stay at limit-up: {longestStayAtLimitUp} ticks");
        Assert.True(quietTicks > movingTicks * 9 / 10, "most ticks should leave some stocks unchanged");
        Assert.All(suspended, code => Assert.Equal(0, last[code].Volume));
    }

    [Fact]
    public async Task Changed_quotes_only_after_the_first_poll()
    {
        var sim = SimulationHarness.Create(size: 300, start: SimulationHarness.At(SimulationHarness.TradingDay, 10, 0));

        Assert.Equal(300, (await sim.PollAsync()).Count);
        var changed = await sim.TickAsync();
        Assert.InRange(changed.Count, 50, 290);
        Assert.Empty(await sim.PollAsync()); // same instant: nothing traded
    }

    [Fact]
    public async Task With_trade_every_poll_every_listed_stock_moves_on_every_tick()
    {
        var sim = SimulationHarness.Create(size: 300, start: SimulationHarness.At(SimulationHarness.TradingDay, 10, 0),
            configure: o => o.TradeEveryPoll = true);
        var first = await sim.PollAsync();
        var trading = first.Where(q => !q.Suspended).Select(q => q.TsCode).ToHashSet();
        Assert.InRange(trading.Count, 290, 299); // the default suspended fraction leaves at least one out
        for (var i = 0; i < 5; i++)
        {
            var changed = await sim.TickAsync();
            Assert.Equal(trading.Order(), changed.Select(q => q.TsCode).Order());
        }
    }

    [Fact]
    public async Task Nothing_moves_before_the_opening_uncross_and_the_open_is_set_at_9_25()
    {
        var sim = SimulationHarness.Create(size: 200, start: SimulationHarness.At(SimulationHarness.TradingDay, 9, 0));

        var preOpen = await sim.PollAsync();
        Assert.All(preOpen, q =>
        {
            Assert.Equal(q.PreClose, q.Price);
            Assert.Equal(0, q.Volume);
        });
        Assert.Empty(await sim.PollAtAsync(SimulationHarness.At(SimulationHarness.TradingDay, 9, 20)));

        var uncross = await sim.PollAtAsync(SimulationHarness.At(SimulationHarness.TradingDay, 9, 25));
        Assert.InRange(uncross.Count, 190, 200); // all but the suspended
        Assert.All(uncross, q =>
        {
            Assert.True(q.Volume > 0);
            Assert.Equal(q.Open, q.Price);
        });
        Assert.Empty(await sim.PollAtAsync(SimulationHarness.At(SimulationHarness.TradingDay, 9, 28)));
        Assert.NotEmpty(await sim.PollAtAsync(SimulationHarness.At(SimulationHarness.TradingDay, 9, 31)));
    }

    [Fact]
    public async Task Same_seed_gives_identical_quotes_and_another_seed_different_ones()
    {
        var a = SimulationHarness.Create(size: 300, seed: 42);
        var b = SimulationHarness.Create(size: 300, seed: 42);
        var c = SimulationHarness.Create(size: 300, seed: 43);

        Assert.Equal(await a.PollAsync(), await b.PollAsync());
        await c.PollAsync();
        for (var i = 0; i < 300; i++) // 9:20 → 9:35
        {
            Assert.Equal(await a.TickAsync(), await b.TickAsync());
            await c.TickAsync();
        }

        Assert.Equal(a.Market.Snapshot(), b.Market.Snapshot());
        Assert.NotEqual(a.Market.Snapshot().Select(q => q.Price), c.Market.Snapshot().Select(q => q.Price));
        Assert.Equal(
            await a.Market.GetHistoryAsync("600519.SH", 60, CancellationToken.None),
            await b.Market.GetHistoryAsync("600519.SH", 60, CancellationToken.None));
    }

    [Fact]
    public async Task History_is_consistent_with_today_and_the_calendar()
    {
        var sim = SimulationHarness.Create(size: 500, start: SimulationHarness.At(SimulationHarness.TradingDay, 10, 0));
        var quotes = (await sim.PollAsync()).ToDictionary(q => q.TsCode);
        var expectedDays = SimulationHarness.Calendar.TradingDaysBefore(SimulationHarness.TradingDay, 60);

        foreach (var stock in sim.Market.Universe)
        {
            var bars = await sim.Market.GetHistoryAsync(stock.TsCode, 60, CancellationToken.None);
            Assert.Equal(expectedDays, bars.Select(b => b.TradeDate));
            Assert.Equal(quotes[stock.TsCode].PreClose, bars[^1].Close);

            var outsideLimits = 0;
            for (var i = 0; i < bars.Count; i++)
            {
                var bar = bars[i];
                if (i > 0) Assert.Equal(bars[i - 1].Close, bar.PreClose);
                Assert.True(bar.High >= Math.Max(bar.Open, bar.Close) && bar.Low <= Math.Min(bar.Open, bar.Close), $"{stock.TsCode} {bar}");
                Assert.True(bar.Low > 0);
                Assert.True(bar.Volume > 0 && bar.Volume % 100 == 0);
                Assert.InRange(bar.Amount / bar.Volume, bar.Low, bar.High);
                var limits = PriceLimitRules.Default.Limits(stock, bar.TradeDate, bar.PreClose)!.Value;
                if (bar.High > limits.Up || bar.Low < limits.Down) outsideLimits++;
            }
            Assert.Equal(0, outsideLimits);
        }

        var lastFive = await sim.Market.GetHistoryAsync("600000", 5, CancellationToken.None);
        Assert.Equal(expectedDays.TakeLast(5), lastFive.Select(b => b.TradeDate));
        Assert.Empty(await sim.Market.GetHistoryAsync("600001.SH", 60, CancellationToken.None)); // valid, not in the universe
        Assert.Empty(await sim.Market.GetHistoryAsync("not a code", 60, CancellationToken.None));
        Assert.Empty(await sim.Market.GetHistoryAsync("600000.SH", 0, CancellationToken.None));
        Assert.Equal(60, (await sim.Market.GetHistoryAsync("600000.SH", 500, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task History_has_quiet_and_wild_stocks_and_no_systematic_drift()
    {
        var sim = SimulationHarness.Create(size: 2000, start: SimulationHarness.At(SimulationHarness.TradingDay, 10, 0));
        var growth = new List<double>();
        var volatility = new List<double>();
        var limitUpDays = 0;
        foreach (var stock in sim.Market.Universe)
        {
            var bars = await sim.Market.GetHistoryAsync(stock.TsCode, 60, CancellationToken.None);
            growth.Add((double)(bars[^1].Close / bars[0].PreClose));
            var returns = bars.Select(b => Math.Log((double)(b.Close / b.PreClose))).ToArray();
            var mean = returns.Average();
            volatility.Add(Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / returns.Length));
            limitUpDays += bars.Count(b => b.Close == PriceLimitRules.Default.Limits(stock, b.TradeDate, b.PreClose)!.Value.Up);
        }
        growth.Sort();
        volatility.Sort();

        Assert.InRange(growth[growth.Count / 2], 0.93, 1.07);
        Assert.True(volatility[volatility.Count / 10] < 0.025, $"10th percentile daily σ {volatility[volatility.Count / 10]:P2}");
        Assert.True(volatility[volatility.Count * 9 / 10] > 0.035, $"90th percentile daily σ {volatility[volatility.Count * 9 / 10]:P2}");
        // About 1.5% of stock-days close at limit-up: 2,000 × 60 × 1.5% ≈ 1,800.
        Assert.InRange(limitUpDays, 900, 3600);
    }

    [Fact]
    public async Task A_new_trading_day_turns_today_into_a_history_bar()
    {
        var day = SimulationHarness.TradingDay;
        var next = SimulationHarness.Calendar.NextTradingDay(day);
        var sim = SimulationHarness.Create(size: 200, tick: TimeSpan.FromSeconds(30));
        await sim.PollAsync();
        while (sim.Time.GetUtcNow() < SimulationHarness.At(day, 15, 5))
        {
            await sim.TickAsync();
        }
        var close = sim.Market.Snapshot().ToDictionary(q => q.TsCode);

        var morning = (await sim.PollAtAsync(SimulationHarness.At(next, 9, 0))).ToDictionary(q => q.TsCode);

        Assert.Equal(200, morning.Count);
        foreach (var stock in sim.Market.Universe)
        {
            var today = close[stock.TsCode];
            var quote = morning[stock.TsCode];
            var bars = await sim.Market.GetHistoryAsync(stock.TsCode, 60, CancellationToken.None);
            Assert.Equal(60, bars.Count);
            Assert.Equal(today.Price, quote.PreClose);
            Assert.Equal(0, quote.Volume);
            Assert.Equal(today.Price, bars[^1].Close);
            if (today.Suspended)
            {
                Assert.True(bars[^1].TradeDate < day);
                continue;
            }
            Assert.Equal(new DailyBar(day, today.Open, today.High, today.Low, today.Price, today.PreClose, today.Volume, today.Amount), bars[^1]);
        }
    }

    [Fact]
    public async Task Days_the_feed_did_not_see_are_generated_into_history()
    {
        var day = SimulationHarness.TradingDay;
        var sim = SimulationHarness.Create(size: 120, start: SimulationHarness.At(day, 10, 0));
        await sim.PollAsync();

        var later = SimulationHarness.Calendar.NextTradingDay(SimulationHarness.Calendar.NextTradingDay(SimulationHarness.Calendar.NextTradingDay(day)));
        var quotes = (await sim.PollAtAsync(SimulationHarness.At(later, 9, 0))).ToDictionary(q => q.TsCode);

        var bars = await sim.Market.GetHistoryAsync("600519.SH", 60, CancellationToken.None);
        Assert.Equal(SimulationHarness.Calendar.TradingDaysBefore(later, 60), bars.Select(b => b.TradeDate));
        Assert.Equal(quotes["600519.SH"].PreClose, bars[^1].Close);
        for (var i = 1; i < bars.Count; i++) Assert.Equal(bars[i - 1].Close, bars[i].PreClose);
    }

    [Fact]
    public async Task Always_open_mode_moves_at_night_and_restarts_the_session_when_minutes_wrap()
    {
        var day = SimulationHarness.TradingDay;
        var sim = SimulationHarness.Create(size: 150, tick: TimeSpan.FromSeconds(30), start: SimulationHarness.At(day, 20, 0), alwaysOpen: true);
        await sim.PollAsync();
        long lastVolume = 0;
        for (var i = 0; i < 200; i++) // 20:00 → 21:40: minutes 1 → 101
        {
            await sim.TickAsync();
            var volume = sim.Market.Snapshot().Sum(q => q.Volume);
            Assert.True(volume >= lastVolume);
            lastVolume = volume;
        }
        Assert.True(lastVolume > 0);

        // After 15:00 the always-open minutes cycle: 15:59 is minute 240, 16:00 minute 1.
        var wrap = SimulationHarness.Create(size: 150, tick: TimeSpan.FromSeconds(30), start: SimulationHarness.At(day, 15, 30), alwaysOpen: true);
        await wrap.PollAsync();
        await wrap.PollAtAsync(SimulationHarness.At(day, 15, 59, 30));
        var beforeWrap = wrap.Market.Snapshot().Sum(q => q.Volume);
        var restarted = await wrap.PollAtAsync(SimulationHarness.At(day, 16, 0, 10));
        Assert.Equal(150, restarted.Count);
        Assert.True(restarted.Sum(q => q.Volume) < beforeWrap / 10);
    }

    [Fact]
    public async Task Always_open_mode_keeps_prices_moving_through_the_lunch_break()
    {
        // The real clock's minutes stand at 120 from 11:30 to 13:00. The demo trades on: a whole
        // minute of the break ticked first, so a minute that merely restarted its seconds would find
        // every stock already past it and move nothing (the browser test that waits for a row's
        // price to change timed out at lunch).
        var day = SimulationHarness.TradingDay;
        var sim = SimulationHarness.Create(size: 150, tick: TimeSpan.FromSeconds(3), start: SimulationHarness.At(day, 11, 40), alwaysOpen: true);
        await sim.PollAsync();
        while (sim.Time.GetUtcNow() < SimulationHarness.At(day, 11, 42)) await sim.TickAsync();

        var before = sim.Market.Snapshot().ToDictionary(q => q.TsCode, q => q.Price, StringComparer.Ordinal);
        while (sim.Time.GetUtcNow() < SimulationHarness.At(day, 11, 43)) await sim.TickAsync();
        var quotes = sim.Market.Snapshot();
        var listed = quotes.Count(q => !q.Suspended);
        var moved = quotes.Count(q => q.Price != before[q.TsCode]);
        Assert.True(moved > listed / 3, $"{moved} of {listed} listed stocks moved in the minute 11:42-11:43 (always open)");
    }

    [Fact]
    public async Task Concurrent_history_readers_and_one_poller_agree()
    {
        var sim = SimulationHarness.Create(size: 300, start: SimulationHarness.At(SimulationHarness.TradingDay, 10, 0));
        var codes = sim.Market.Universe.Select(s => s.TsCode).ToArray();

        var poller = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++) await sim.TickAsync();
        });
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            for (var i = 0; i < 600; i++)
            {
                var bars = await sim.Market.GetHistoryAsync(codes[(i * 7 + r) % codes.Length], 20, CancellationToken.None);
                Assert.Equal(20, bars.Count);
            }
        })).ToArray();
        await Task.WhenAll([poller, .. readers]);

        var quotes = sim.Market.Snapshot();
        foreach (var q in quotes.Take(50))
        {
            var bars = await sim.Market.GetHistoryAsync(q.TsCode, 1, CancellationToken.None);
            Assert.Equal(q.PreClose, bars[0].Close);
        }
    }

    [Fact]
    public void Options_validate_their_ranges()
    {
        static bool Valid(SimulatorOptions o) =>
            System.ComponentModel.DataAnnotations.Validator.TryValidateObject(o, new(o), null, validateAllProperties: true);

        Assert.True(Valid(new SimulatorOptions()));
        Assert.False(Valid(new SimulatorOptions { TickInterval = TimeSpan.FromMilliseconds(50) }));
        Assert.False(Valid(new SimulatorOptions { TickInterval = TimeSpan.FromMinutes(2) }));
        Assert.False(Valid(new SimulatorOptions { UniverseSize = 0 }));
        Assert.False(Valid(new SimulatorOptions { UniverseSize = StockUniverse.MaxSize + 1 }));
        Assert.False(Valid(new SimulatorOptions { HistoryDays = 5 }));
        Assert.Equal(TimeSpan.FromSeconds(3), new SimulatorOptions().TickInterval);
        Assert.Equal("Market:Simulator", SimulatorOptions.Section);
    }

    [Fact]
    public void The_feed_describes_itself()
    {
        var sim = SimulationHarness.Create(size: 100, tick: TimeSpan.FromSeconds(5));

        Assert.Equal("simulated", sim.Market.Name);
        Assert.Equal(TimeSpan.FromSeconds(5), sim.Market.PollInterval);
        Assert.Equal(100, sim.Market.Universe.Count);
        Assert.IsAssignableFrom<IQuoteFeed>(sim.Market);
    }
}
