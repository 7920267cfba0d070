using OrleansPrices.Grains.Hosting;
using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Grains;
using OrleansPrices.Market.Strategies;

namespace OrleansPrices.Gateway.Prices;

/// <summary>
/// The gateway's cached copy of every strategy's signal list: loaded from the SignalListGrains,
/// kept current by their signals streams (a change whose version does not follow the cached one
/// triggers a reload), and checked against the grains every <see cref="GatewayOptions.ListReconcileInterval"/>.
/// The union of the lists (or, with <see cref="DefaultStreamScope.AllStocks"/>, the universe) is the
/// broadcast scope and this gateway's price-stream interest for the default stream.
/// A reload that finds a grain ahead of a signals stream that has been quiet (or a stream whose
/// subscription failed) re-establishes that stream's subscription: a cluster client's
/// subscriptions can be lost for good when a silo dies.
/// </summary>
public sealed partial class SignalLists(
    IClusterClient cluster,
    StrategyCatalog strategies,
    PriceSubscriptions subscriptions,
    BroadcastScope scope,
    StockDirectory directory,
    IHostApplicationLifetime lifetime,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<SignalLists> logger) : BackgroundService
{
    private const string InterestOwner = "signal-lists";
    private readonly ConcurrentDictionary<string, SignalListSnapshot> _lists = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly ConcurrentDictionary<string, StreamSubscriptionHandle<SignalChange>> _handles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _lastChange = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _behind = new(StringComparer.Ordinal);
    private int _changePending;
    private long _resubscribed;

    /// <summary>Signals-stream resubscriptions since start.</summary>
    public long Resubscribed => Interlocked.Read(ref _resubscribed);

    public bool TryGet(string strategy, out SignalListSnapshot list) => _lists.TryGetValue(strategy, out list!);

    public IEnumerable<SignalListSnapshot> All => strategies.All.Select(s => _lists.TryGetValue(s.Name, out var l) ? l : null).OfType<SignalListSnapshot>();

    /// <summary>True once every list has been loaded at least once.</summary>
    public bool Ready
    {
        get
        {
            // By index: LINQ's All here cost every REST request a delegate and an enumerator.
            var all = strategies.All;
            for (var i = 0; i < all.Count; i++)
            {
                if (!_lists.ContainsKey(all[i].Name)) return false;
            }
            return true;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WaitForStartAsync(stoppingToken);
        if (options.Value.DefaultStream == DefaultStreamScope.AllStocks) directory.Changed += SignalInterestChanged;
        foreach (var strategy in strategies.All)
        {
            await Subscribe(strategy.Name);
        }

        using var timer = new PeriodicTimer(options.Value.ListReconcileInterval, time);
        var reconcile = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        await ReloadAll(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var changed = _changed.WaitAsync(stoppingToken);
            var done = await Task.WhenAny(reconcile, changed);
            if (done == reconcile)
            {
                if (!await reconcile) break;
                reconcile = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                await ReloadAll(stoppingToken);
            }
            else
            {
                await changed;
                Interlocked.Exchange(ref _changePending, 0);
                await PublishInterest(stoppingToken);
            }
        }
    }

    /// <summary>Subscribes (or resubscribes: new first, then the old dropped) to one strategy's signals stream.</summary>
    private async Task Subscribe(string strategy)
    {
        try
        {
            var handle = await cluster.GetStreamProvider(StreamNames.Provider)
                .GetStream<SignalChange>(StreamNames.Signals(strategy)).SubscribeAsync(OnChange);
            _lastChange[strategy] = time.GetTimestamp();
            if (_handles.TryGetValue(strategy, out var old))
            {
                Interlocked.Increment(ref _resubscribed);
                try
                {
                    await old.UnsubscribeAsync();
                }
                catch (Exception ex)
                {
                    LogSubscribeFailed(logger, strategy, ex.Message);
                }
            }
            _handles[strategy] = handle;
        }
        catch (Exception ex)
        {
            LogSubscribeFailed(logger, strategy, ex.Message);
        }
    }

    private Task OnChange(SignalChange change, StreamSequenceToken? token)
    {
        _lastChange[change.Strategy] = time.GetTimestamp();
        if (!_lists.TryGetValue(change.Strategy, out var current)) return Task.CompletedTask; // loaded soon with this change in it
        if (change.Version <= current.Version) return Task.CompletedTask;
        if (change.Version == current.Version + 1)
        {
            var entries = current.Entries.RemoveAll(e => e.TsCode == (change.Added?.TsCode ?? change.RemovedTsCode));
            if (change.Added is { } added) entries = entries.Add(added);
            _lists[change.Strategy] = current with { Version = change.Version, Entries = entries };
            ListChanged?.Invoke(change.Strategy, change.Added is { } a ? [a] : [], change.RemovedTsCode is { } r ? [r] : [], change.Version);
        }
        else
        {
            // A gap: changes were missed. Reload that list from its grain.
            _ = ReloadOne(change.Strategy, CancellationToken.None);
        }
        SignalInterestChanged();
        return Task.CompletedTask;
    }

    /// <summary>
    /// A list gained rows (<c>added</c>) or lost codes (<c>removed</c>), reaching <c>version</c>:
    /// raised for each change from the stream and for the difference a reload found.
    /// </summary>
    public event Action<string, IReadOnlyList<SignalEntry>, IReadOnlyList<string>, long>? ListChanged;

    private void RaiseReplaced(SignalListSnapshot before, SignalListSnapshot after)
    {
        var old = before.Entries.ToDictionary(e => e.TsCode, StringComparer.Ordinal);
        var now = after.Entries.ToDictionary(e => e.TsCode, StringComparer.Ordinal);
        var added = after.Entries.Where(e => !old.TryGetValue(e.TsCode, out var o) || o != e).ToList();
        var removed = before.Entries.Where(e => !now.ContainsKey(e.TsCode)).Select(e => e.TsCode).ToList();
        if (added.Count > 0 || removed.Count > 0) ListChanged?.Invoke(after.Strategy, added, removed, after.Version);
    }

    private void SignalInterestChanged()
    {
        if (Interlocked.Exchange(ref _changePending, 1) == 0) _changed.Release();
    }

    private async Task ReloadAll(CancellationToken cancellationToken)
    {
        foreach (var strategy in strategies.All)
        {
            await ReloadOne(strategy.Name, cancellationToken);
        }
        await PublishInterest(cancellationToken);
    }

    private async Task ReloadOne(string strategy, CancellationToken cancellationToken)
    {
        try
        {
            var list = await cluster.GetGrain<ISignalListGrain>(strategy).GetList().WaitAsync(cancellationToken);
            var cached = _lists.TryGetValue(strategy, out var c) ? c : null;
            if (cached is null || list.Version >= cached.Version || !_behind.TryAdd(strategy, 0))
            {
                // Behind on two reloads in a row (not a change racing this one): the grain lost its
                // state and restarted its versions. It is the truth now.
                _lists[strategy] = list;
                _behind.TryRemove(strategy, out _);
                SignalInterestChanged();
                if (cached is not null && list.Version != cached.Version) RaiseReplaced(cached, list);
            }

            var quiet = !_lastChange.TryGetValue(strategy, out var last) || time.GetElapsedTime(last) >= QuietAfter;
            if (!_handles.ContainsKey(strategy) || (cached is not null && list.Version > cached.Version && quiet))
            {
                // Changes happened that the stream never brought, or it was never subscribed.
                LogResubscribing(logger, strategy, cached?.Version ?? -1, list.Version);
                await Subscribe(strategy);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogReloadFailed(logger, strategy, ex.Message);
        }
    }

    /// <summary>A signals stream is quiet when nothing arrived for this long (changes in flight arrive within milliseconds).</summary>
    private static readonly TimeSpan QuietAfter = TimeSpan.FromSeconds(2);

    private async Task PublishInterest(CancellationToken cancellationToken)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in _lists.Values)
        {
            foreach (var e in list.Entries) codes.Add(e.TsCode);
        }
        if (options.Value.DefaultStream == DefaultStreamScope.AllStocks) codes.UnionWith(directory.Codes);
        scope.Set(codes);
        await subscriptions.SetInterest(InterestOwner, codes, cancellationToken);
    }

    public override void Dispose()
    {
        directory.Changed -= SignalInterestChanged;
        _changed.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 3502, Level = LogLevel.Warning, Message = "Subscribing to the signals stream of {Strategy} failed: {Error}")]
    private static partial void LogSubscribeFailed(ILogger logger, string strategy, string error);

    [LoggerMessage(EventId = 3503, Level = LogLevel.Warning, Message = "Signals stream of {Strategy} missed changes (cached version {Cached}, grain {Version}): resubscribing")]
    private static partial void LogResubscribing(ILogger logger, string strategy, long cached, long version);

    [LoggerMessage(EventId = 3501, Level = LogLevel.Warning, Message = "Reloading signal list {Strategy} failed: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string strategy, string error);
}
