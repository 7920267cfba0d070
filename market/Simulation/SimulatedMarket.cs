using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Rules;
using OrleansPrices.Market.Time;

namespace OrleansPrices.Market.Simulation;

/// <summary>
/// The default quote feed: a simulated A-share market over <see cref="StockUniverse"/>, paced by the
/// <see cref="MarketClock"/>. Deterministic: the same <see cref="SimulatorOptions.Seed"/> and the same
/// polls at the same clock times give the same quotes.
/// </summary>
/// <remarks>
/// <para>
/// Each stock has its own seeded <see cref="Random"/>, volatility, liquidity and size, and each day a
/// story drawn from it: an ordinary day (volume ratio mostly 0.5–1.5), a volume breakout (ratio 2–10,
/// mostly rising), or a run to limit-up / limit-down that then sticks there (a stock at a limit stays on
/// it on most ticks, <see cref="SimulatorOptions.LimitStickiness"/>). Prices stay on the 0.01 grid
/// within the day's limits from <see cref="PriceLimitRules"/>; cumulative volume (shares) and amount
/// (CNY) only grow during a day, paced by <see cref="MarketStatus.MinutesTraded"/>, so the volume
/// ratio a consumer computes lands near the story's.
/// </para>
/// <para>
/// Session: nothing moves before the 9:25 opening uncross, which sets the open; prices walk during
/// continuous trading only (no trades in the lunch break or the closing auction, as on the
/// exchanges). Before the uncross a quote shows price, open, high and low at the previous close and
/// no volume. When the clock's trading day changes, the finished day becomes a history bar (days the
/// feed did not see are generated whole) and the new day starts from its close. In the clock's
/// always-open demo mode, minutes traded cycle 1..240 outside 9:30–15:00; each time they wrap, the
/// day's session restarts from the previous close (the trading day, and so the history, stays the
/// same). Through its lunch break prices walk on by wall time; volume only grows by a lot per trade
/// until the session's minutes move again at 13:01.
/// </para>
/// <para>
/// A few generated stocks (<see cref="SimulatorOptions.SuspendedFraction"/>) are suspended for the
/// feed's lifetime: price = previous close, no volume, never a change, no new bars.
/// </para>
/// <para>Thread-safe: one poller and any number of <see cref="GetHistoryAsync"/> callers.</para>
/// </remarks>
public sealed class SimulatedMarket : IQuoteFeed
{
    private static readonly TimeOnly OpeningUncross = new(9, 25);

    private readonly SimulatorOptions _options;
    private readonly MarketClock _clock;
    private readonly TimeProvider _time;
    private readonly SimulatedStock[] _stocks;
    private readonly FrozenDictionary<string, SimulatedStock> _byCode;
    private readonly Lock _gate = new();
    private bool _initialized;
    private bool _firstPollDone;
    private DateOnly _day;
    private int _lastMinutesTraded;
    private DateTimeOffset _lastStep = DateTimeOffset.MinValue;

    /// <summary>The latest minute of the session a trading step was taken at (0: none yet this session).</summary>
    private double _sessionMinute;

    /// <param name="options">Seed, universe size, tick interval, story shares.</param>
    /// <param name="clock">Trading phases, trading day and minutes traded.</param>
    /// <param name="rules">The day's limit prices per stock.</param>
    /// <param name="time">The clock's time source (the same <see cref="TimeProvider"/> the clock was built with): stamps quotes and places polls within a minute.</param>
    public SimulatedMarket(IOptions<SimulatorOptions> options, MarketClock clock, PriceLimitRules rules, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(time);
        _options = options.Value;
        _clock = clock;
        _time = time;

        Universe = StockUniverse.Create(_options.UniverseSize, _options.Seed);
        var suspended = PickSuspended(Universe, _options);
        _stocks = Universe.Select(s => new SimulatedStock(s, _options.Seed, suspended.Contains(s.TsCode), rules, _options)).ToArray();
        _byCode = _stocks.ToFrozenDictionary(s => s.Info.TsCode, StringComparer.Ordinal);
    }

    public string Name => "simulated";

    /// <summary>The configured <see cref="SimulatorOptions.TickInterval"/>.</summary>
    public TimeSpan PollInterval => _options.TickInterval;

    public IReadOnlyList<StockInfo> Universe { get; }

    /// <summary>
    /// Advances the market to the clock's now and returns the quotes that changed since the previous
    /// poll (the first poll, and the first after a day rollover, return every stock).
    /// </summary>
    public ValueTask<IReadOnlyList<Quote>> PollAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var status = _clock.At(now);
            var stamp = _clock.ToShanghai(now);
            Synchronize(status, stamp);

            if (status.AlwaysOpen && status.MinutesTraded < _lastMinutesTraded)
            {
                foreach (var stock in _stocks) stock.StartDay(_day, stamp);
                _sessionMinute = 0;
            }
            _lastMinutesTraded = status.MinutesTraded;

            // Trades need time: a second poll at the same instant changes nothing.
            var advanced = now > _lastStep;
            if (advanced) _lastStep = now;
            if (advanced && status.Phase == MarketPhase.Continuous)
            {
                var minute = status.MinutesTraded + (stamp.Second + stamp.Millisecond / 1000.0) / 60.0;
                // Always open: the real clock's minutes stand still through the lunch break (120 from
                // 11:30 to 13:00), yet the demo trades on. The seconds' fraction wraps every minute
                // there, so the minute stops at 120.99 and every price with it until 13:01. Prices
                // walk on by wall time then; volume and the story's drift keep to the session's
                // minutes, so the afternoon's volume ratio is not inflated by the break.
                var stalled = status.AlwaysOpen && _sessionMinute > 0 && minute <= _sessionMinute;
                _sessionMinute = Math.Max(_sessionMinute, minute);
                foreach (var stock in _stocks) stock.Step(minute, stamp, stalled);
            }
            else if (advanced && status.Phase == MarketPhase.OpeningAuction && TimeOnly.FromTimeSpan(stamp.TimeOfDay) >= OpeningUncross)
            {
                foreach (var stock in _stocks) stock.OpenSession(stamp);
            }

            var all = !_firstPollDone;
            _firstPollDone = true;
            var changed = new List<Quote>(all ? _stocks.Length : _stocks.Length / 2);
            foreach (var stock in _stocks)
            {
                if (all || stock.Changed) changed.Add(stock.TakeQuote());
            }
            return ValueTask.FromResult<IReadOnlyList<Quote>>(changed);
        }
    }

    /// <summary>
    /// Up to <paramref name="days"/> completed daily bars of <paramref name="tsCode"/> (<c>600000.SH</c>
    /// or bare <c>600000</c>) before the clock's trading day, oldest first; the last bar's close is
    /// today's previous close. Empty for an unknown code or <paramref name="days"/> ≤ 0. At most
    /// <see cref="SimulatorOptions.HistoryDays"/> bars (fewer for a suspended stock across rollovers).
    /// </summary>
    public ValueTask<IReadOnlyList<DailyBar>> GetHistoryAsync(string tsCode, int days, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (days <= 0 || !TsCode.TryParse(tsCode, out var code) || !_byCode.TryGetValue(code.Value, out var stock))
        {
            return ValueTask.FromResult<IReadOnlyList<DailyBar>>([]);
        }

        var now = _time.GetUtcNow();
        var status = _clock.At(now);
        if (!Volatile.Read(ref _initialized) || status.TradingDay != _day)
        {
            lock (_gate)
            {
                Synchronize(status, _clock.ToShanghai(now));
            }
        }

        // A copy: callers keep what they get, and the stock's array must stay immutable.
        var history = stock.History;
        var bars = history.AsSpan(Math.Max(history.Length - days, 0)).ToArray();
        return ValueTask.FromResult<IReadOnlyList<DailyBar>>(bars);
    }

    /// <summary>Every stock's current snapshot (for tests, benchmarks and diagnostics); does not advance the market.</summary>
    public IReadOnlyList<Quote> Snapshot()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            Synchronize(_clock.At(now), _clock.ToShanghai(now));
            return _stocks.Select(s => s.CurrentQuote()).ToArray();
        }
    }

    /// <summary>Today's limit prices of a stock, or null for an unknown code (for tests and diagnostics).</summary>
    public LimitPrices? LimitsOf(string tsCode)
    {
        if (!TsCode.TryParse(tsCode, out var code) || !_byCode.TryGetValue(code.Value, out var stock)) return null;
        lock (_gate)
        {
            var (up, down) = stock.Limits;
            return new LimitPrices(up, down);
        }
    }

    /// <summary>Builds history on first use; rolls every stock over when the clock's trading day moved.</summary>
    private void Synchronize(MarketStatus status, DateTimeOffset stamp)
    {
        if (!_initialized || status.TradingDay < _day)
        {
            var days = _clock.Calendar.TradingDaysBefore(status.TradingDay, _options.HistoryDays);
            foreach (var stock in _stocks) stock.Initialize(days, status.TradingDay, stamp);
            _day = status.TradingDay;
            _lastMinutesTraded = status.MinutesTraded;
            _sessionMinute = 0;
            Volatile.Write(ref _initialized, true);
            return;
        }
        if (status.TradingDay == _day) return;

        var completed = _clock.Calendar.TradingDaysBefore(status.TradingDay, _options.HistoryDays);
        foreach (var stock in _stocks) stock.RollOver(completed, status.TradingDay, _options.HistoryDays, stamp);
        _day = status.TradingDay;
        _lastMinutesTraded = status.MinutesTraded;
        _sessionMinute = 0;
    }

    private static HashSet<string> PickSuspended(IReadOnlyList<StockInfo> universe, SimulatorOptions options)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (options.SuspendedFraction <= 0) return result;

        // From the generated stocks when there are any: a suspended 贵州茅台 would only confuse.
        var candidates = universe.Skip(Math.Min(StockUniverse.Curated.Count, universe.Count - 1)).Select(s => s.TsCode).ToArray();
        new Random(SeededRandom.Derive(options.Seed, "suspended")).Shuffle(candidates);
        var count = Math.Clamp((int)Math.Round(options.SuspendedFraction * universe.Count), 1, candidates.Length);
        result.UnionWith(candidates.Take(count));
        return result;
    }
}
