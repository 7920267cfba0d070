using OrleansPrices.Grains.Hosting;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using OrleansPrices.Grains;

namespace OrleansPrices.Gateway.Prices;

/// <summary>The price-stream watchdog's timing, bound from <c>Gateway:Subscriptions</c>.</summary>
public sealed class SubscriptionWatchdogOptions
{
    public const string Section = "Gateway:Subscriptions";

    /// <summary>How often the watchdog looks for stocks whose stream went quiet.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A stock whose stream delivered nothing for this long is compared with its grain. Above the
    /// feed's tick (3 s) so stocks that move every tick are never probed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>The least time between two resubscriptions of one stock (meanwhile probes keep its price current).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ResubscribeBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Grain probes in flight at once.</summary>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = 16;
}

/// <summary>
/// One Orleans stream subscription per stock per gateway process, shared by every client here:
/// subscribed when the first interest in a stock appears, unsubscribed after the last goes.
/// After subscribing it fetches the grain's snapshot (only events produced after a subscription
/// exists are guaranteed to it), and the <see cref="PriceBook"/> drops anything not newer.
/// <para>
/// A client's stream subscriptions can be lost for good when a silo dies (the pulling agent drops
/// the consumer, or the subscription record went with the silo). So a watchdog runs every
/// <see cref="SubscriptionWatchdogOptions.CheckInterval"/>: every stock whose stream has been
/// quiet for <see cref="SubscriptionWatchdogOptions.StaleAfter"/> is compared with its grain
/// (<see cref="IStockGrain.GetHead"/>, bounded concurrency). When the grain is ahead of the book
/// (a higher seq, or another epoch: it was reactivated), the grain's quote goes into the book at
/// once (the broadcaster pushes it) and the stock is resubscribed (a new subscription first, then
/// the old one dropped; at most once per <see cref="SubscriptionWatchdogOptions.ResubscribeBackoff"/>).
/// A stream that stays lost is still repaired on every check, so no price stops silently.
/// </para>
/// </summary>
public sealed partial class PriceSubscriptions(
    IClusterClient cluster,
    PriceBook book,
    Broadcaster broadcaster,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    IOptions<SubscriptionWatchdogOptions> options,
    ILogger<PriceSubscriptions> logger) : BackgroundService, IAsyncDisposable
{
    private readonly SubscriptionWatchdogOptions _options = options.Value;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _interests = new(StringComparer.Ordinal);
    private long _resubscribed;
    private long _repaired;

    /// <summary>One stock's live subscription and when it last delivered.</summary>
    private sealed class Subscription(string tsCode, long now)
    {
        public string TsCode { get; } = tsCode;
        public StreamSubscriptionHandle<PriceDelta>? Handle { get; set; }
        public long LastDelivery = now;
        public long LastResubscribe = now;
    }

    /// <summary>Stocks with a live stream subscription.</summary>
    public int Count
    {
        get
        {
            lock (_subscriptions) return _subscriptions.Count;
        }
    }

    /// <summary>Resubscriptions the watchdog made since start.</summary>
    public long Resubscribed => Interlocked.Read(ref _resubscribed);

    /// <summary>Times the watchdog found a grain ahead of the book and applied its quote.</summary>
    public long Repaired => Interlocked.Read(ref _repaired);

    /// <summary>Subscribed stocks whose stream has delivered nothing for <see cref="SubscriptionWatchdogOptions.StaleAfter"/>.</summary>
    public int QuietCount
    {
        get
        {
            lock (_subscriptions) return _subscriptions.Values.Count(s => time.GetElapsedTime(Volatile.Read(ref s.LastDelivery)) >= _options.StaleAfter);
        }
    }

    public bool IsSubscribed(string tsCode)
    {
        lock (_subscriptions) return _subscriptions.ContainsKey(tsCode);
    }

    /// <summary>
    /// Replaces what <paramref name="owner"/> (a signal list, a client) wants with
    /// <paramref name="codes"/>, subscribing and unsubscribing streams as the union changes.
    /// </summary>
    public async Task SetInterest(string owner, IReadOnlyCollection<string> codes, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (codes.Count == 0) _interests.Remove(owner);
            else _interests[owner] = new HashSet<string>(codes, StringComparer.Ordinal);
            await Reconcile();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Brings the live subscriptions in line with the union of interests; a subscription that
    /// failed before is retried here (callers re-set their interest periodically).
    /// </summary>
    private async Task Reconcile()
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var set in _interests.Values) wanted.UnionWith(set);
        string[] held;
        lock (_subscriptions) held = [.. _subscriptions.Keys];

        foreach (var code in wanted)
        {
            if (!IsSubscribed(code)) await Subscribe(code);
        }
        foreach (var code in held)
        {
            if (!wanted.Contains(code)) await Unsubscribe(code);
        }
    }

    private IAsyncStream<PriceDelta> Stream(string tsCode) =>
        cluster.GetStreamProvider(StreamNames.Provider).GetStream<PriceDelta>(StreamNames.Prices(tsCode));

    private async Task Subscribe(string tsCode)
    {
        try
        {
            var subscription = new Subscription(tsCode, time.GetTimestamp());
            var handle = await Stream(tsCode).SubscribeAsync((d, _) => OnDelta(subscription, d));
            subscription.Handle = handle;
            try
            {
                var snapshot = await cluster.GetGrain<IStockGrain>(tsCode).GetSnapshot();
                if (snapshot.Quote is { } quote && book.TryApply(tsCode, quote, snapshot.Epoch, snapshot.Seq, 0))
                {
                    broadcaster.MarkDirty(tsCode);
                }
            }
            catch
            {
                // Without the snapshot the stock would show nothing until it next moves: undo the
                // subscription so the next reconcile tries both again.
                await handle.UnsubscribeAsync();
                throw;
            }
            lock (_subscriptions) _subscriptions[tsCode] = subscription;
        }
        catch (Exception ex)
        {
            LogSubscribeFailed(logger, tsCode, ex.Message);
        }
    }

    private async Task Unsubscribe(string tsCode)
    {
        Subscription? subscription;
        lock (_subscriptions)
        {
            if (!_subscriptions.Remove(tsCode, out subscription)) return;
        }
        await DropHandle(subscription.Handle, tsCode);
        book.Remove(tsCode);
    }

    private async Task DropHandle(StreamSubscriptionHandle<PriceDelta>? handle, string tsCode)
    {
        if (handle is null) return;
        try
        {
            await handle.UnsubscribeAsync();
        }
        catch (Exception ex)
        {
            LogUnsubscribeFailed(logger, tsCode, ex.Message);
        }
    }

    private Task OnDelta(Subscription subscription, PriceDelta delta)
    {
        Volatile.Write(ref subscription.LastDelivery, time.GetTimestamp());
        if (book.TryApply(delta)) broadcaster.MarkDirty(delta.TsCode);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WaitForStartAsync(stoppingToken);

        using var timer = new PeriodicTimer(_options.CheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckOnce(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogCheckFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>One watchdog round: probe the quiet stocks, repair and resubscribe the ones behind their grain.</summary>
    internal async Task CheckOnce(CancellationToken cancellationToken)
    {
        Subscription[] quiet;
        lock (_subscriptions)
        {
            quiet = [.. _subscriptions.Values.Where(s => time.GetElapsedTime(Volatile.Read(ref s.LastDelivery)) >= _options.StaleAfter)];
        }
        if (quiet.Length == 0) return;

        var behind = new List<Subscription>();
        await Parallel.ForEachAsync(
            quiet,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
            async (subscription, _) =>
            {
                StockHead head;
                try
                {
                    head = await cluster.GetGrain<IStockGrain>(subscription.TsCode).GetHead();
                }
                catch (Exception ex)
                {
                    LogProbeFailed(logger, subscription.TsCode, ex.Message);
                    return;
                }
                var held = book.TryGet(subscription.TsCode, out var entry) ? entry : null;
                var ahead = held is null
                    ? head.Quote is not null
                    : head.Epoch != held.Epoch || head.Seq > held.Seq;
                if (!ahead) return;

                // A quiet stream and a grain ahead: deltas went missing. Repair the book now.
                if (head.Quote is { } quote && book.TryApply(subscription.TsCode, quote, head.Epoch, head.Seq, 0))
                {
                    broadcaster.MarkDirty(subscription.TsCode);
                    Interlocked.Increment(ref _repaired);
                }
                lock (behind) behind.Add(subscription);
            });

        if (behind.Count == 0) return;
        var resubscribed = 0;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var subscription in behind)
            {
                if (time.GetElapsedTime(subscription.LastResubscribe) < _options.ResubscribeBackoff) continue;
                lock (_subscriptions)
                {
                    // Unsubscribed (or replaced) meanwhile: nothing to re-establish.
                    if (!_subscriptions.TryGetValue(subscription.TsCode, out var current) || current != subscription) continue;
                }
                if (await Resubscribe(subscription)) resubscribed++;
            }
        }
        finally
        {
            _gate.Release();
        }
        if (resubscribed > 0) LogResubscribed(logger, behind.Count, resubscribed);
    }

    /// <summary>A new subscription first (so nothing published meanwhile is missed), then the old one dropped.</summary>
    private async Task<bool> Resubscribe(Subscription subscription)
    {
        subscription.LastResubscribe = time.GetTimestamp();
        try
        {
            var fresh = await Stream(subscription.TsCode).SubscribeAsync((d, _) => OnDelta(subscription, d));
            var old = subscription.Handle;
            subscription.Handle = fresh;
            Interlocked.Increment(ref _resubscribed);
            await DropHandle(old, subscription.TsCode);
            return true;
        }
        catch (Exception ex)
        {
            LogSubscribeFailed(logger, subscription.TsCode, ex.Message);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Subscription> subscriptions;
        lock (_subscriptions)
        {
            subscriptions = [.. _subscriptions.Values];
            _subscriptions.Clear();
        }
        foreach (var s in subscriptions) await DropHandle(s.Handle, s.TsCode);
        _gate.Dispose();
        Dispose();
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Subscribing to the price stream of {TsCode} failed: {Error}")]
    private static partial void LogSubscribeFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Unsubscribing from the price stream of {TsCode} failed: {Error}")]
    private static partial void LogUnsubscribeFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Price watchdog: {Behind} quiet stocks were behind their grain (repaired from the grain); {Resubscribed} resubscribed")]
    private static partial void LogResubscribed(ILogger logger, int behind, int resubscribed);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Price watchdog: probing {TsCode} failed: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Price watchdog round failed: {Error}")]
    private static partial void LogCheckFailed(ILogger logger, string error);
}
