using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using OrleansPrices.Grains.Hosting;
using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Strategies;
using OrleansPrices.Market.Time;

namespace OrleansPrices.Grains.Stocks;

/// <summary>
/// One stock. Keeps the latest quote, today's bar and recent daily bars; publishes a
/// <see cref="PriceDelta"/> only when a new snapshot changed something and someone follows the
/// stock (a lease renewed through <see cref="Follow"/>; with a 5,000-stock universe a gateway
/// follows the few hundred its clients and signal lists name, and publishing the rest cost the
/// tick about a fifth of its CPU and 40 % of its allocation: docs/architecture.md, REST latency);
/// evaluates every strategy
/// on its own data and calls the strategy's SignalListGrain only when a signal starts or ends.
/// Placed at random: the one ingest calls every StockGrain from one silo, and the default placement
/// would keep them all there; random placement spreads the stocks over the silos.
/// </summary>
[Orleans.Placement.RandomPlacement]
public sealed partial class StockGrain(
    [PersistentState("stock", StreamNames.GridStore)] IPersistentState<StockState> state,
    IQuoteFeed feed,
    MarketClock clock,
    StrategyCatalog strategies,
    TimeProvider time,
    IStockTrendCache trendCache,
    IGridStorageHealth storage,
    IOptions<StockGrainOptions> options,
    IOptions<GridClusterOptions> cluster,
    ILogger<StockGrain> logger) : Grain, IStockGrain
{
    private readonly StockGrainOptions _options = options.Value;
    private readonly bool _durableStorage = cluster.Value.UsesRedis;
    private IAsyncStream<PriceDelta> _stream = null!;
    private DeltaHistory? _history;
    private StockInfo? _info;
    /// <summary>
    /// The stock's code as every use here needs it: <see cref="StockInfo.TsCode"/> of <see cref="_info"/>
    /// (the grain's key when it is not a code), kept because the property formats a new string on every read.
    /// </summary>
    private string _tsCode = "";
    /// <summary>
    /// The trading day of the last applied quote while <see cref="StockState.Today"/> lags it: today's
    /// bar follows from the last quote, and is built only when read (a snapshot, a state write, a day
    /// roll), not per quote. A new bar per quote was an allocation that survived every young GC.
    /// </summary>
    private DateOnly? _todayPending;
    /// <summary>
    /// <see cref="StockState.Quote"/> lags the newest delta of the history, which holds the last
    /// applied quote by value; the state takes it when read (a snapshot, a head, a state write). A
    /// long-lived state holding each tick's new quote was a reference from an old object to a young
    /// one for every stock on every tick, and a young GC has to find each through the card table.
    /// </summary>
    private bool _quotePending;
    private bool _dirty;
    private long _lastWriteTicks;
    /// <summary>Deltas are published until this timestamp (<see cref="TimeProvider.GetTimestamp"/>): the latest lease's end.</summary>
    private long _publishUntil;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var tsCode = this.GetPrimaryKeyString();
        _info = TsCode.TryParse(tsCode, out var code) ? new StockInfo(code, tsCode) : null;
        _tsCode = _info?.TsCode ?? tsCode;
        _stream = this.GetStreamProvider(StreamNames.Provider).GetStream<PriceDelta>(StreamNames.Prices(tsCode));

        var s = state.State;
        if (!state.RecordExists || !s.Clean)
        {
            // History (seq numbers already handed out) may be lost: start a new epoch so receivers
            // know not to splice old and new sequence numbers together. Above the stored one even
            // when this silo's clock is behind the last one's, so receivers ordering epochs by value
            // take it for the newer.
            s.Epoch = Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 + Random.Shared.Next(1000), s.Epoch + 1);
            s.Seq = 0;
        }
        s.Clean = false;

        if (s.History.Count == 0 && _info is not null)
        {
            var bars = await feed.GetHistoryAsync(tsCode, _options.HistoryDays, cancellationToken);
            s.History = [.. bars];
        }
        _lastWriteTicks = time.GetTimestamp();
        // Followers of the previous activation renew within the longest lease: publish until then.
        _publishUntil = _lastWriteTicks + time.ToTimestamp(_options.MaxFollowLease);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // On a silo shutdown the embedded memory storage is already gone: the state written every
        // StateWriteInterval stands, under a new epoch. Redis storage outlives the silo, so a silo
        // leaving a cluster hands its stocks over cleanly (same epoch, seq continues).
        if (reason.ReasonCode == DeactivationReasonCode.ApplicationError) return;
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown && !_durableStorage) return;
        try
        {
            state.State.Clean = true;
            SyncToday(state.State);
            await state.WriteStateAsync(cancellationToken);
            trendCache.Write(_tsCode, state.State.History, state.State.Today);
        }
        catch (Exception ex)
        {
            // Storage went first (e.g. a silo stopping): the next activation starts a new epoch.
            LogFinalWriteFailed(logger, _tsCode, ex.Message);
        }
    }

    public async Task<long?> ApplyQuote(Quote quote)
    {
        var s = state.State;
        if (_info is null || !string.Equals(quote.TsCode, _tsCode, StringComparison.Ordinal))
        {
            LogRejected(logger, this.GetPrimaryKeyString(), quote.TsCode);
            return null;
        }

        // A snapshot not after the last applied one is a repeat (two ingest holders overlapping
        // for a moment, a retried call) or out of order: applying it would publish a tick twice.
        var last = _quotePending ? _history!.NewestQuote : s.Quote;
        if (last is not null && quote.Time <= last.Time)
        {
            return null;
        }

        var status = clock.Now();
        RollDay(s, status.TradingDay);

        var changed = QuoteDiff.Compare(last, quote);
        if (changed == QuoteFields.None) return null;

        _todayPending = status.TradingDay;
        s.Seq++;
        _dirty = true;
        var delta = new PriceDelta(quote.TsCode, s.Epoch, s.Seq, changed, quote, UnixTime.Micros(time.GetUtcNow()));
        _history ??= new DeltaHistory(_options.ResumeHistory);
        _history.Append(delta);
        _quotePending = true;
        if (time.GetTimestamp() < _publishUntil) await _stream.OnNextAsync(delta);

        if ((changed & (QuoteFields.Price | QuoteFields.Volume | QuoteFields.Suspended)) != 0)
        {
            await EvaluateSignals(s, quote, status);
        }

        if (time.GetElapsedTime(_lastWriteTicks) >= _options.StateWriteInterval)
        {
            await WriteState();
        }
        return s.Seq;
    }

    public Task<StockSnapshot> GetSnapshot()
    {
        var s = state.State;
        SyncToday(s);
        return Task.FromResult(new StockSnapshot(
            this.GetPrimaryKeyString(), s.Epoch, s.Seq, s.Quote, s.Today, [.. s.History], [.. s.ActiveSignals]));
    }

    public Task<DeltaReplay> GetSince(long epoch, long seq)
    {
        var s = state.State;
        SyncQuote(s);
        return Task.FromResult(_history is not null && _history.TryGetSince(epoch, seq, s.Epoch, s.Seq, out var deltas)
            ? new DeltaReplay(true, [.. deltas], s.Epoch, s.Seq, s.Quote)
            : new DeltaReplay(false, [], s.Epoch, s.Seq, s.Quote));
    }

    public Task<StockHead> GetHead() => Task.FromResult(Head(lease: null));

    public Task<StockHead> Follow(TimeSpan lease)
    {
        var granted = lease < TimeSpan.Zero ? TimeSpan.Zero : lease > _options.MaxFollowLease ? _options.MaxFollowLease : lease;
        _publishUntil = Math.Max(_publishUntil, time.GetTimestamp() + time.ToTimestamp(granted));
        return Task.FromResult(Head(granted));
    }

    private StockHead Head(TimeSpan? lease)
    {
        var s = state.State;
        SyncQuote(s);
        return new StockHead(this.GetPrimaryKeyString(), s.Epoch, s.Seq, s.Quote, lease);
    }

    private void RollDay(StockState s, DateOnly tradingDay)
    {
        if ((_todayPending ?? s.Today?.TradeDate) < tradingDay)
        {
            SyncToday(s);
            var today = s.Today!;
            s.History.Add(today);
            if (s.History.Count > _options.HistoryDays) s.History.RemoveRange(0, s.History.Count - _options.HistoryDays);
            s.Today = null;
            _dirty = true;
        }
    }

    /// <summary>Brings <see cref="StockState.Quote"/> up to the last applied quote.</summary>
    private void SyncQuote(StockState s)
    {
        if (!_quotePending) return;
        s.Quote = _history!.NewestQuote;
        _quotePending = false;
    }

    /// <summary>Brings <see cref="StockState.Quote"/> and <see cref="StockState.Today"/> up to the last applied quote.</summary>
    private void SyncToday(StockState s)
    {
        SyncQuote(s);
        if (_todayPending is not { } day || s.Quote is not { } q) return;
        s.Today = new DailyBar(day, q.Open, q.High, q.Low, q.Price, q.PreClose, q.Volume, q.Amount);
        _todayPending = null;
    }

    private async Task EvaluateSignals(StockState s, Quote quote, MarketStatus status)
    {
        // The name changes rarely (ST marks): the stock's info is copied only then, not per quote.
        if (!string.Equals(_info!.Name, quote.Name, StringComparison.Ordinal)) _info = _info with { Name = quote.Name };
        var info = _info;
        foreach (var strategy in strategies.All)
        {
            var active = s.ActiveSignals.Contains(strategy.Name);
            var signal = strategy.Evaluate(new StrategyInput(info, s.History, quote, status.MinutesTraded, active));
            if (signal is not null && !active)
            {
                s.ActiveSignals.Add(strategy.Name);
                var entry = new SignalEntry(_tsCode, quote.Name, info.Code.Exchange.ToString(), signal);
                await GrainFactory.GetGrain<ISignalListGrain>(strategy.Name).Upsert(entry);
            }
            else if (signal is null && active)
            {
                s.ActiveSignals.Remove(strategy.Name);
                await GrainFactory.GetGrain<ISignalListGrain>(strategy.Name).Remove(_tsCode);
            }
        }
    }

    private async Task WriteState()
    {
        if (!_dirty || !storage.Available) return;
        // Whatever happens, wait a full interval before trying again (Redis away must not make
        // every tick wait on storage).
        _lastWriteTicks = time.GetTimestamp();
        SyncToday(state.State);
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not Orleans.Storage.InconsistentStateException)
        {
            LogWriteFailed(logger, _tsCode, ex.Message);
            return;
        }
        _dirty = false;
        trendCache.Write(_tsCode, state.State.History, state.State.Today);
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "StockGrain {GrainKey} could not write its state on deactivation: {Error}")]
    private static partial void LogFinalWriteFailed(ILogger logger, string grainKey, string error);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "StockGrain {GrainKey} could not write its state (retried after the write interval): {Error}")]
    private static partial void LogWriteFailed(ILogger logger, string grainKey, string error);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "StockGrain {GrainKey} rejected a quote for {QuoteCode}")]
    private static partial void LogRejected(ILogger logger, string grainKey, string quoteCode);
}
