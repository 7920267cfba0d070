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
/// The union of the lists is the broadcast scope and this gateway's price-stream interest.
/// </summary>
public sealed partial class SignalLists(
    IClusterClient cluster,
    StrategyCatalog strategies,
    PriceSubscriptions subscriptions,
    BroadcastScope scope,
    IHostApplicationLifetime lifetime,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<SignalLists> logger) : BackgroundService
{
    private const string InterestOwner = "signal-lists";
    private readonly ConcurrentDictionary<string, SignalListSnapshot> _lists = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0, 1);
    private int _changePending;

    public bool TryGet(string strategy, out SignalListSnapshot list) => _lists.TryGetValue(strategy, out list!);

    public IEnumerable<SignalListSnapshot> All => strategies.All.Select(s => _lists.TryGetValue(s.Name, out var l) ? l : null).OfType<SignalListSnapshot>();

    /// <summary>True once every list has been loaded at least once.</summary>
    public bool Ready => strategies.All.All(s => _lists.ContainsKey(s.Name));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WaitForStart(stoppingToken);
        var provider = cluster.GetStreamProvider(StreamNames.Provider);
        foreach (var strategy in strategies.All)
        {
            await provider.GetStream<SignalChange>(StreamNames.Signals(strategy.Name)).SubscribeAsync(OnChange);
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

    private Task OnChange(SignalChange change, StreamSequenceToken? token)
    {
        if (!_lists.TryGetValue(change.Strategy, out var current)) return Task.CompletedTask; // loaded soon with this change in it
        if (change.Version <= current.Version) return Task.CompletedTask;
        if (change.Version == current.Version + 1)
        {
            var entries = current.Entries.RemoveAll(e => e.TsCode == (change.Added?.TsCode ?? change.RemovedTsCode));
            if (change.Added is { } added) entries = entries.Add(added);
            _lists[change.Strategy] = current with { Version = change.Version, Entries = entries };
        }
        else
        {
            // A gap: changes were missed. Reload that list from its grain.
            _ = ReloadOne(change.Strategy, CancellationToken.None);
        }
        SignalInterestChanged();
        return Task.CompletedTask;
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
            _lists.AddOrUpdate(strategy, list, (_, old) => list.Version >= old.Version ? list : old);
            SignalInterestChanged();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogReloadFailed(logger, strategy, ex.Message);
        }
    }

    private async Task PublishInterest(CancellationToken cancellationToken)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in _lists.Values)
        {
            foreach (var e in list.Entries) codes.Add(e.TsCode);
        }
        scope.Set(codes);
        await subscriptions.SetInterest(InterestOwner, codes, cancellationToken);
    }

    private async Task WaitForStart(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var r1 = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var r2 = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        await started.Task;
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 3501, Level = LogLevel.Warning, Message = "Reloading signal list {Strategy} failed: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string strategy, string error);
}
