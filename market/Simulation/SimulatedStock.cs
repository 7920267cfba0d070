using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Rules;

namespace OrleansPrices.Market.Simulation;

/// <summary>
/// One stock of the simulated market: its fixed character (volatility, liquidity, size), its
/// completed daily bars, and today's session. Not thread-safe except <see cref="History"/>, which is
/// an immutable array swapped in whole; <see cref="SimulatedMarket"/> serialises everything else.
/// </summary>
/// <remarks>
/// The day follows a <see cref="DayStory"/> drawn at the start of the day: a target close, an
/// opening gap and a volume ratio. The price is a random walk of the log return from the previous
/// close (drift towards the target, noise scaled by elapsed trading minutes), rounded to the 0.01
/// grid and clamped to the day's limit prices; cumulative volume follows
/// volume ratio × 5-day average daily volume ÷ 240 per traded minute.
/// </remarks>
internal sealed class SimulatedStock
{
    /// <summary>Opening-auction volume, as a share of a day's volume.</summary>
    private const double AuctionShare = 0.005;

    private const int Lot = 100;

    private readonly Random _random;
    private readonly PriceLimitRules _rules;
    private readonly SimulatorOptions _options;
    private readonly double _sigma;
    private readonly double _tradeChance;
    private readonly double _baseVolume;
    private readonly double _eventScale;
    private readonly decimal _initialPrice;
    private volatile DailyBar[] _history = [];

    // Today's session.
    private DayStory _story;
    private decimal _up;
    private decimal _down;
    private double _volumePerMinute;
    private long _auctionVolume;
    private double _logReturn;
    private double _lastMinute;

    public SimulatedStock(StockInfo info, int seed, bool suspended, PriceLimitRules rules, SimulatorOptions options)
    {
        Info = info;
        _tsCode = info.TsCode;
        Suspended = suspended;
        _rules = rules;
        _options = options;
        _random = new Random(SeededRandom.Derive(seed, info.TsCode));

        var curated = StockUniverse.ReferencePrice(info.Code) is not null;
        var boardFactor = info.Code.Board switch
        {
            Board.ChiNext or Board.Star => 1.3,
            Board.Beijing => 1.5,
            _ => 1.0,
        };
        _sigma = Math.Clamp(0.022 * Math.Exp(0.35 * _random.NextGaussian()) * boardFactor * (curated ? 0.6 : 1.0), 0.006, 0.06);
        _tradeChance = curated ? _random.NextDouble(0.85, 0.98) : _random.NextDouble(0.25, 0.9);
        _eventScale = curated ? 0.3 : 1.0; // large caps rarely run to a limit or break out

        var price = StockUniverse.ReferencePrice(info.Code)
            ?? (decimal)Math.Clamp(12.0 * Math.Exp(0.7 * _random.NextGaussian()), 2.0, 300.0);
        _initialPrice = PriceTick.Round(price);
        var dailyAmount = 2.5e8 * Math.Exp(0.8 * _random.NextGaussian()) * (curated ? 6.0 : 1.0);
        _baseVolume = Math.Max(dailyAmount / (double)_initialPrice, 10_000);
    }

    public StockInfo Info { get; }

    /// <summary><see cref="StockInfo.TsCode"/>, kept: the property formats a new string on every read, once per quote here.</summary>
    private readonly string _tsCode;

    /// <summary>Suspended for the feed's lifetime: price = previous close, no volume, no moves, no new bars.</summary>
    public bool Suspended { get; }

    /// <summary>Completed daily bars, oldest first; replaced whole, safe to read from any thread.</summary>
    public DailyBar[] History => _history;

    public DateOnly Day { get; private set; }

    public decimal PreClose { get; private set; }

    /// <summary>True once today's opening uncross has happened.</summary>
    public bool Opened { get; private set; }

    /// <summary>True when the quote changed since <see cref="TakeQuote"/> last cleared it.</summary>
    public bool Changed { get; private set; }

    public decimal Price { get; private set; }

    public decimal Open { get; private set; }

    public decimal High { get; private set; }

    public decimal Low { get; private set; }

    public long Volume { get; private set; }

    public decimal Amount { get; private set; }

    public decimal Bid { get; private set; }

    public decimal Ask { get; private set; }

    public DateTimeOffset Time { get; private set; }

    /// <summary>Builds the bars of <paramref name="days"/> (oldest first) and starts <paramref name="today"/>.</summary>
    public void Initialize(IReadOnlyList<DateOnly> days, DateOnly today, DateTimeOffset now)
    {
        var bars = new DailyBar[days.Count];
        var preClose = _initialPrice;
        for (var i = 0; i < bars.Length; i++)
        {
            bars[i] = SyntheticBar(days[i], preClose);
            preClose = bars[i].Close;
        }
        _history = bars;
        StartDay(today, now);
    }

    /// <summary>
    /// Completes every trading day in <paramref name="completedDays"/> after the last bar (today's
    /// session if it opened, otherwise a generated bar; none while suspended), keeps the latest
    /// <paramref name="keep"/> bars and starts <paramref name="newDay"/>.
    /// </summary>
    public void RollOver(IReadOnlyList<DateOnly> completedDays, DateOnly newDay, int keep, DateTimeOffset now)
    {
        var bars = new List<DailyBar>(_history);
        if (!Suspended)
        {
            var last = bars.Count > 0 ? bars[^1].TradeDate : DateOnly.MinValue;
            var preClose = PreClose;
            foreach (var day in completedDays)
            {
                if (day <= last || day >= newDay) continue;
                var bar = day == Day && Opened
                    ? new DailyBar(day, Open, High, Low, Price, PreClose, Volume, Amount)
                    : SyntheticBar(day, preClose);
                bars.Add(bar);
                preClose = bar.Close;
            }
        }
        _history = bars.Count > keep ? bars.GetRange(bars.Count - keep, keep).ToArray() : bars.ToArray();
        StartDay(newDay, now);
    }

    /// <summary>Starts <paramref name="day"/> afresh: previous close from the last bar, a new story, no volume.</summary>
    public void StartDay(DateOnly day, DateTimeOffset now)
    {
        var history = _history;
        Day = day;
        PreClose = history.Length > 0 ? history[^1].Close : _initialPrice;
        (_up, _down) = LimitsOf(day, PreClose);
        _story = DrawStory(day, PreClose);

        var recent = history.Length >= 5 ? history[^5..] : history;
        var average = recent.Length > 0 ? recent.Average(b => (double)b.Volume) : _baseVolume;
        _volumePerMinute = _story.VolumeRatio * Math.Max(average, Lot) / 240.0;
        _auctionVolume = Lots(_volumePerMinute * 240.0 * AuctionShare * _random.NextDouble(0.5, 1.5));

        Opened = false;
        _logReturn = 0;
        _lastMinute = 0;
        Price = Open = High = Low = PreClose;
        Volume = 0;
        Amount = 0;
        Bid = Ask = 0;
        Touch(now);
    }

    /// <summary>The opening uncross: the open price from the story's gap, the auction volume.</summary>
    public void OpenSession(DateTimeOffset now)
    {
        if (Suspended || Opened) return;
        Opened = true;
        _logReturn = _story.Gap;
        _lastMinute = 0;
        var price = ToPrice(_logReturn);
        Price = Open = High = Low = price;
        Volume = _auctionVolume;
        Amount = _auctionVolume * price;
        SetBidAsk(price, buyerInitiated: _story.Gap >= 0);
        Touch(now);
    }

    /// <summary>
    /// One poll during continuous trading at <paramref name="minute"/> (continuous minutes since 9:30,
    /// fractional). The stock trades with its own chance; if it does, the price walks for the minutes
    /// elapsed since its last trade and volume catches up with the day's pace.
    /// </summary>
    /// <param name="stalled">
    /// The session's minute stands still (the lunch break in always-open mode): the price walks for
    /// the wall-clock minutes since the stock's last change instead, and volume and drift stay where
    /// the session's minute is.
    /// </param>
    public void Step(double minute, DateTimeOffset now, bool stalled = false)
    {
        if (Suspended) return;
        if (!Opened) OpenSession(now);
        if (_random.NextDouble() >= _tradeChance && !_options.TradeEveryPoll) return;

        // Drift only until the story's reach minute; noise for all the minutes since the last trade.
        var elapsed = stalled ? Math.Max((now - Time).TotalMinutes, 0) : Math.Max(minute - _lastMinute, 0);
        var reachMinute = _story.Reach * 240.0;
        var drifting = Math.Max(Math.Min(minute, reachMinute) - Math.Min(_lastMinute, reachMinute), 0);
        _lastMinute = Math.Max(minute, _lastMinute);
        var drift = (_story.Target - _story.Gap) / reachMinute;
        _logReturn += drift * drifting + _sigma * Math.Sqrt(elapsed / 240.0) * _random.NextGaussian();

        var price = ToPrice(_logReturn);
        if (Price == _up && price < _up && _random.NextDouble() < _options.LimitStickiness)
        {
            price = _up;
            _logReturn = Math.Max(_logReturn, Math.Log((double)(_up / PreClose)));
        }
        else if (Price == _down && price > _down && _random.NextDouble() < _options.LimitStickiness)
        {
            price = _down;
            _logReturn = Math.Min(_logReturn, Math.Log((double)(_down / PreClose)));
        }

        var target = _auctionVolume + _volumePerMinute * Math.Max(minute, 0.5);
        var gap = target - Volume;
        var share = gap > 5 * _volumePerMinute ? _random.NextDouble(0.9, 1.0) : _random.NextDouble(0.3, 0.9);
        var traded = Math.Max(Lots(Math.Max(gap, 0) * share), Lot);

        var buyerInitiated = price > Price || (price == Price && _random.NextDouble() < 0.5);
        Price = price;
        High = Math.Max(High, price);
        Low = Math.Min(Low, price);
        Volume += traded;
        Amount += traded * price;
        SetBidAsk(price, buyerInitiated);
        Touch(now);
    }

    /// <summary>The current snapshot; clears <see cref="Changed"/>.</summary>
    public Quote TakeQuote()
    {
        Changed = false;
        return CurrentQuote();
    }

    /// <summary>
    /// The current snapshot, a new one per call. Not cached: a quote kept in this long-lived object
    /// would be a reference from the old generation to a young object for every stock that moved,
    /// which every young GC must find (card marking), and the poll asks once per change anyway.
    /// </summary>
    public Quote CurrentQuote() =>
        new()
        {
            TsCode = _tsCode,
            Name = Info.Name,
            Price = Price,
            PreClose = PreClose,
            Open = Open,
            High = High,
            Low = Low,
            Volume = Volume,
            Amount = Amount,
            Bid = Bid,
            Ask = Ask,
            Suspended = Suspended,
            Time = Time,
        };

    /// <summary>Today's limit prices (or a wide band when the stock trades without a limit).</summary>
    public (decimal Up, decimal Down) Limits => (_up, _down);

    private void Touch(DateTimeOffset now)
    {
        Time = now;
        Changed = true;
    }

    private void SetBidAsk(decimal price, bool buyerInitiated)
    {
        if (price == _up)
        {
            (Bid, Ask) = (price, 0m);
        }
        else if (price == _down)
        {
            (Bid, Ask) = (0m, price);
        }
        else if (buyerInitiated)
        {
            (Bid, Ask) = (price - PriceTick.Size, price);
        }
        else
        {
            (Bid, Ask) = (price, price + PriceTick.Size);
        }
    }

    private decimal ToPrice(double logReturn) => ToPrice(PreClose, logReturn, _up, _down);

    private static decimal ToPrice(decimal preClose, double logReturn, decimal up, decimal down)
    {
        var raw = (double)preClose * Math.Exp(Math.Clamp(logReturn, -5.0, 5.0));
        var price = PriceTick.Round((decimal)raw);
        return Math.Clamp(price, down, up);
    }

    private static long Lots(double shares) => (long)Math.Round(shares / Lot, MidpointRounding.AwayFromZero) * Lot;

    private (decimal Up, decimal Down) LimitsOf(DateOnly day, decimal preClose) =>
        _rules.Limits(Info, day, preClose) is { } limits
            ? (limits.Up, limits.Down)
            : (PriceTick.Round(preClose * 10m), PriceTick.Size); // no limit (IPO days): a band nothing reaches

    private DayStory DrawStory(DateOnly day, decimal preClose)
    {
        var (up, down) = LimitsOf(day, preClose);
        var upReturn = Math.Log((double)(up / preClose));
        var downReturn = Math.Log((double)(down / preClose));
        var roll = _random.NextDouble();
        var limitUp = _options.LimitUpFraction * _eventScale;
        var limitDown = _options.LimitDownFraction * _eventScale;
        var breakout = _options.BreakoutFraction * _eventScale;

        if (roll < limitUp)
        {
            return new DayStory(
                Target: upReturn + _random.NextDouble(0.02, 0.05),
                Gap: _random.NextDouble(0, 0.4) * upReturn,
                VolumeRatio: _random.NextDouble(1.5, 4.0),
                Reach: _random.NextDouble(0.1, 0.9));
        }
        if (roll < limitUp + limitDown)
        {
            return new DayStory(
                Target: downReturn - _random.NextDouble(0.02, 0.05),
                Gap: _random.NextDouble(0, 0.4) * downReturn,
                VolumeRatio: _random.NextDouble(1.2, 3.0),
                Reach: _random.NextDouble(0.1, 0.9));
        }
        if (roll < limitUp + limitDown + breakout)
        {
            // Volume breakouts: mostly up (放量突破), some down (放量下跌).
            var ratio = _random.NextDouble() < 0.2 ? _random.NextDouble(5.0, 10.0) : _random.NextDouble(2.0, 5.0);
            var rising = _random.NextDouble() < 0.75;
            var target = rising
                ? 0.025 + Math.Abs(_random.NextGaussian()) * _sigma * 1.5
                : -0.01 - Math.Abs(_random.NextGaussian()) * _sigma;
            return new DayStory(
                Target: Math.Clamp(target, downReturn, upReturn),
                Gap: target * _random.NextDouble(0, 0.3) + 0.3 * _sigma * _random.NextGaussian(),
                VolumeRatio: ratio,
                Reach: _random.NextDouble(0.3, 1.0));
        }

        // An ordinary day: volume ratio mostly 0.5–1.5; the target carries half the day's σ, the walk
        // the rest. Its mean offsets the other stories' expected return (limit-ups outnumber
        // limit-downs, breakouts mostly rise), so prices do not drift upwards over the history.
        var eventDrift = limitUp * upReturn + limitDown * downReturn
            + breakout * (0.75 * (0.025 + 1.2 * _sigma) - 0.25 * (0.01 + 0.8 * _sigma));
        var normal = -eventDrift / Math.Max(1.0 - limitUp - limitDown - breakout, 0.5) + 0.5 * _sigma * _random.NextGaussian();
        return new DayStory(
            Target: normal,
            Gap: 0.3 * _sigma * _random.NextGaussian(),
            VolumeRatio: Math.Clamp(Math.Exp(0.3 * _random.NextGaussian() - 0.05), 0.3, 1.9),
            Reach: 1.0);
    }

    /// <summary>A whole day generated at once from a story: open, close, a wick each side, volume.</summary>
    private DailyBar SyntheticBar(DateOnly day, decimal preClose)
    {
        var story = DrawStory(day, preClose);
        var (up, down) = LimitsOf(day, preClose);

        var open = ToPrice(preClose, story.Gap, up, down);
        // The live walk adds about σ of noise to the story's target; a generated day adds it here.
        var close = ToPrice(preClose, story.Target + 0.9 * _sigma * _random.NextGaussian(), up, down);
        var high = Math.Max(Math.Max(open, close), ToPrice(preClose, Math.Max(story.Gap, story.Target) + Math.Abs(_random.NextGaussian()) * 0.4 * _sigma, up, down));
        var low = Math.Min(Math.Min(open, close), ToPrice(preClose, Math.Min(story.Gap, story.Target) - Math.Abs(_random.NextGaussian()) * 0.4 * _sigma, up, down));
        var volume = Math.Max(Lots(_baseVolume * story.VolumeRatio * Math.Exp(0.15 * _random.NextGaussian())), Lot);
        var amount = PriceTick.Round(volume * (open + high + low + close) / 4m);
        return new DailyBar(day, open, high, low, close, preClose, volume, amount);
    }

    /// <summary>How one day goes: target log return at the close, opening gap, volume ratio, and the share of the day the drift takes to reach the target.</summary>
    private readonly record struct DayStory(double Target, double Gap, double VolumeRatio, double Reach);
}
