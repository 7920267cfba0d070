using OrleansPrices.Grains.Hosting;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Grains;

namespace OrleansPrices.Gateway.Prices;

/// <summary>The price-stream watchdog's timing, bound from <c>Gateway:Subscriptions</c>.</summary>
public sealed class SubscriptionWatchdogOptions : IValidatableObject
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

    /// <summary>
    /// How long each follow asks a StockGrain to publish (<see cref="IStockGrain.Follow"/>); the
    /// gateway renews it a third of the way through the lease granted (a grain cuts it to its
    /// <c>Grid:Stocks:MaxFollowLease</c>, 60 s by default).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.300", "01:00:00")]
    public TimeSpan FollowLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Grain probes in flight at once, lease renewals in flight at once (apart from the probes), and stream subscriptions made at once.</summary>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = 16;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FollowLease < 3 * CheckInterval)
        {
            yield return new ValidationResult(
                $"FollowLease ({FollowLease}) must be at least three CheckIntervals ({CheckInterval}): leases are renewed a third of the way through, at a watchdog round",
                [nameof(FollowLease), nameof(CheckInterval)]);
        }
    }
}

/// <summary>
/// One Orleans stream subscription per stock per gateway process, shared by every client here:
/// a stock is followed when the first interest in it appears and dropped (stream and book entry)
/// after the last goes. Each subscription is followed by <see cref="IStockGrain.Follow"/>, which
/// asks the grain to publish for <see cref="SubscriptionWatchdogOptions.FollowLease"/> and returns
/// its head (only events produced after a subscription exists are guaranteed to it), and the
/// <see cref="PriceBook"/> drops anything not newer. The watchdog renews every lease a third of
/// the way through; a grain nobody follows publishes nothing.
/// <para>
/// A client's stream subscriptions can be lost for good when a silo dies (the pulling agent drops
/// the consumer, or the subscription record went with the silo), and subscribing fails while the
/// pub-sub store is away. So a watchdog runs every <see cref="SubscriptionWatchdogOptions.CheckInterval"/>:
/// every followed stock whose stream has advanced the book for <see cref="SubscriptionWatchdogOptions.StaleAfter"/>
/// no more, or that has no live subscription, is compared with its grain
/// (<see cref="IStockGrain.Follow"/>, which also renews its lease; bounded concurrency). When the grain is ahead of the book
/// (a higher seq, or another epoch: it was reactivated), the grain's quote goes into the book at
/// once (the broadcaster pushes it) and the stock is resubscribed (a new subscription first, then
/// the old one dropped; at most once per <see cref="SubscriptionWatchdogOptions.ResubscribeBackoff"/>).
/// A stream that stays lost is still repaired on every check, so no price stops silently.
/// </para>
/// <para>
/// The repairs never wait for subscription work or lease renewals (renewals have slots of their
/// own): every Orleans call here is bounded by
/// <see cref="GatewayOptions.GrainCallTimeout"/>, resubscriptions run in the background (one
/// at a time per stock), and interest changes do not hold up a watchdog round. (They used to
/// share one lock, and one resubscription waiting on a dead silo or on Redis stalled every
/// repair for up to 30 s.)
/// </para>
/// </summary>
public sealed partial class PriceSubscriptions(
    IClusterClient cluster,
    PriceBook book,
    Broadcaster broadcaster,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    IOptions<SubscriptionWatchdogOptions> options,
    IOptions<GatewayOptions> gatewayOptions,
    ILogger<PriceSubscriptions> logger) : BackgroundService, IAsyncDisposable
{
    private readonly SubscriptionWatchdogOptions _options = options.Value;
    private readonly TimeSpan _callTimeout = gatewayOptions.Value.GrainCallTimeout;
    private readonly SemaphoreSlim _interestGate = new(1, 1);
    private readonly SemaphoreSlim _probeSlots = new(options.Value.MaxConcurrency, options.Value.MaxConcurrency);
    private readonly SemaphoreSlim _renewSlots = new(options.Value.MaxConcurrency, options.Value.MaxConcurrency);
    private readonly Dictionary<string, Followed> _followed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _interests = new(StringComparer.Ordinal);
    private long _resubscribed;
    private long _repaired;
    private long _rounds;
    private long _renewing;
    private long _loggedRepaired;
    private long _loggedRenewing;

    /// <summary>A stock's claim for one kind of call: at most one in flight.</summary>
    private sealed class Claim
    {
        private int _held;

        /// <summary>False when the call is already in flight.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _held, 1, 0) == 0;

        public void Release() => Volatile.Write(ref _held, 0);
    }

    /// <summary>One followed stock: its stream subscription (none while subscribing fails) and when the stream last advanced the book.</summary>
    private sealed class Followed(string tsCode, IStockGrain grain)
    {
        private readonly Lock _lock = new();
        private StreamSubscriptionHandle<PriceDelta>? _handle;
        private volatile bool _dropped;

        public string TsCode { get; } = tsCode;

        /// <summary>
        /// The stock's grain, resolved once: <c>GetGrain</c> formats and parses the interface's type
        /// name on every call, and each renewal (every third of a lease) would pay for it.
        /// </summary>
        public IStockGrain Grain { get; } = grain;

        /// <summary>When a delta from the stream last advanced the book (0: never).</summary>
        public long LastDelivery;

        /// <summary>When a subscription was last attempted (0: never).</summary>
        public long LastAttempt;

        /// <summary>When the grain last granted a follow lease (0: never).</summary>
        public long LastFollow;

        /// <summary>The lease the grain last granted, in <see cref="TimeSpan.Ticks"/> (0: none yet).</summary>
        public long LeaseTicks;

        /// <summary>Held by the one (re)subscription in flight.</summary>
        public Claim Subscribing { get; } = new();

        /// <summary>Held by the one grain probe in flight.</summary>
        public Claim Probing { get; } = new();

        /// <summary>Held by the one lease renewal in flight.</summary>
        public Claim Renewing { get; } = new();

        public bool Dropped => _dropped;

        public bool IsLive
        {
            get
            {
                lock (_lock) return _handle is not null && !_dropped;
            }
        }

        /// <summary>Installs a new subscription; returns the one to drop (the old one, or the new one when the stock was dropped meanwhile).</summary>
        public StreamSubscriptionHandle<PriceDelta>? Install(StreamSubscriptionHandle<PriceDelta> handle)
        {
            lock (_lock)
            {
                if (_dropped) return handle;
                var old = _handle;
                _handle = handle;
                return old;
            }
        }

        /// <summary>No interest is left: returns the subscription to drop.</summary>
        public StreamSubscriptionHandle<PriceDelta>? Drop()
        {
            lock (_lock)
            {
                _dropped = true;
                var handle = _handle;
                _handle = null;
                return handle;
            }
        }
    }

    /// <summary>Followed stocks with a live stream subscription.</summary>
    public int Count
    {
        get
        {
            lock (_followed) return _followed.Values.Count(f => f.IsLive);
        }
    }

    /// <summary>Subscriptions the watchdog re-established since start.</summary>
    public long Resubscribed => Interlocked.Read(ref _resubscribed);

    /// <summary>Times the watchdog found a grain ahead of the book and applied its quote.</summary>
    public long Repaired => Interlocked.Read(ref _repaired);

    /// <summary>Watchdog rounds completed since start.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Followed stocks whose stream has not advanced the book for <see cref="SubscriptionWatchdogOptions.StaleAfter"/> (or has no subscription).</summary>
    public int QuietCount
    {
        get
        {
            lock (_followed) return _followed.Values.Count(IsQuiet);
        }
    }

    /// <summary>True when the stock is followed with a live stream subscription.</summary>
    public bool IsSubscribed(string tsCode)
    {
        lock (_followed) return _followed.TryGetValue(tsCode, out var f) && f.IsLive;
    }

    private bool IsQuiet(Followed f) =>
        !f.IsLive || time.GetElapsedTime(Volatile.Read(ref f.LastDelivery)) >= _options.StaleAfter;

    /// <summary>
    /// Replaces what <paramref name="owner"/> (a signal list, a client) wants with
    /// <paramref name="codes"/>. Returns once every newly wanted stock has been subscribed and its
    /// head fetched, or has failed to (the watchdog then serves it from its grain and retries).
    /// </summary>
    public async Task SetInterest(string owner, IReadOnlyCollection<string> codes, CancellationToken cancellationToken)
    {
        await _interestGate.WaitAsync(cancellationToken);
        try
        {
            if (codes.Count == 0) _interests.Remove(owner);
            else _interests[owner] = new HashSet<string>(codes, StringComparer.Ordinal);
            await Reconcile(cancellationToken);
        }
        finally
        {
            _interestGate.Release();
        }
    }

    /// <summary>Brings the followed stocks in line with the union of interests.</summary>
    private async Task Reconcile(CancellationToken cancellationToken)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var set in _interests.Values) wanted.UnionWith(set);

        var added = new List<Followed>();
        var gone = new List<Followed>();
        lock (_followed)
        {
            foreach (var (code, f) in _followed)
            {
                if (!wanted.Contains(code)) gone.Add(f);
            }
            foreach (var f in gone) _followed.Remove(f.TsCode);
            foreach (var code in wanted)
            {
                if (_followed.ContainsKey(code)) continue;
                // Attempted now: the watchdog leaves the first subscription to this call.
                var f = new Followed(code, cluster.GetGrain<IStockGrain>(code)) { LastAttempt = time.GetTimestamp() };
                _followed[code] = f;
                added.Add(f);
            }
        }

        foreach (var f in gone)
        {
            if (f.Drop() is { } handle) _ = DropHandle(handle, f.TsCode);
            book.Remove(f.TsCode);
        }
        await Parallel.ForEachAsync(
            added,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
            async (f, _) => await Subscribe(f, byWatchdog: false));
    }

    private IAsyncStream<PriceDelta> Stream(string tsCode) =>
        cluster.GetStreamProvider(StreamNames.Provider).GetStream<PriceDelta>(StreamNames.Prices(tsCode));

    /// <summary>
    /// Subscribes one stock (a new subscription first, then the old one dropped), then puts its
    /// grain's head into the book. At most one per stock at a time; failures are left to the watchdog.
    /// </summary>
    private async Task Subscribe(Followed f, bool byWatchdog)
    {
        if (!f.Subscribing.TryTake()) return;
        try
        {
            f.LastAttempt = time.GetTimestamp();
            var handle = await Bounded(
                Stream(f.TsCode).SubscribeAsync((d, _) => OnDelta(f, d)),
                late => _ = DropHandle(late, f.TsCode));
            if (f.Install(handle) is { } old) _ = DropHandle(old, f.TsCode);
            if (f.Dropped) return;
            if (byWatchdog) Interlocked.Increment(ref _resubscribed);

            var head = await FollowGrain(f);
            if (head.Quote is { } quote && book.TryApply(f.TsCode, quote, head.Epoch, head.Seq, 0)) Applied(f);
            // Current as of now: the stream is judged from here on.
            Volatile.Write(ref f.LastDelivery, time.GetTimestamp());
        }
        catch (Exception ex)
        {
            LogSubscribeFailed(logger, f.TsCode, ex.Message);
        }
        finally
        {
            f.Subscribing.Release();
        }
    }

    /// <summary>Asks the stock's grain to publish for another lease; returns its head.</summary>
    private async Task<StockHead> FollowGrain(Followed f)
    {
        var asked = time.GetTimestamp();
        var head = await Bounded(f.Grain.Follow(_options.FollowLease));
        Volatile.Write(ref f.LeaseTicks, (head.Lease ?? _options.FollowLease).Ticks);
        Volatile.Write(ref f.LastFollow, asked);
        return head;
    }

    private async Task DropHandle(StreamSubscriptionHandle<PriceDelta> handle, string tsCode)
    {
        if (await TryDropHandle(handle) is { } error) LogUnsubscribeFailed(logger, tsCode, error);
    }

    /// <returns>Null when unsubscribed, else the error.</returns>
    private async Task<string?> TryDropHandle(StreamSubscriptionHandle<PriceDelta> handle)
    {
        try
        {
            await Bounded(handle.UnsubscribeAsync());
            return null;
        }
        catch (Exception ex)
        {
            return ex.Message;
        }
    }

    private Task OnDelta(Followed f, PriceDelta delta)
    {
        // Only a delta that advanced the book shows the stream alive: a stream that delivers only
        // repeats, or deltas of an epoch the book has left, is as good as lost.
        if (!f.Dropped && book.TryApply(delta))
        {
            Volatile.Write(ref f.LastDelivery, time.GetTimestamp());
            Applied(f);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// A value of <paramref name="f"/> went into the book: broadcast it, unless the last interest
    /// went meanwhile (then it comes out again, or the book would serve it stale from now on).
    /// </summary>
    private void Applied(Followed f)
    {
        if (f.Dropped)
        {
            lock (_followed)
            {
                if (!_followed.ContainsKey(f.TsCode)) book.Remove(f.TsCode);
            }
            return;
        }
        broadcaster.MarkDirty(f.TsCode);
    }

    /// <summary>An Orleans call bounded by <see cref="GatewayOptions.GrainCallTimeout"/>; a result arriving after that goes to <paramref name="late"/>.</summary>
    private async Task<T> Bounded<T>(Task<T> call, Action<T>? late = null)
    {
        try
        {
            return await call.WaitAsync(_callTimeout, time);
        }
        catch (TimeoutException)
        {
            Abandon(call, late is null ? null : () => late(call.Result));
            throw;
        }
    }

    private async Task Bounded(Task call)
    {
        try
        {
            await call.WaitAsync(_callTimeout, time);
        }
        catch (TimeoutException)
        {
            Abandon(call, null);
            throw;
        }
    }

    /// <summary>A call given up on: its late success goes to <paramref name="late"/>, its late failure is observed and dropped.</summary>
    private static void Abandon(Task call, Action? late) =>
        call.ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully) late?.Invoke();
                else _ = t.Exception;
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WaitForStartAsync(stoppingToken);

        using var timer = new PeriodicTimer(_options.CheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                CheckOnce(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogCheckFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>
    /// One watchdog round: a probe of every quiet stock that has none in flight. Probes run on their
    /// own (at most <see cref="SubscriptionWatchdogOptions.MaxConcurrency"/> at once), so a call
    /// waiting on a dead silo holds up its own stock, not the round or the other stocks.
    /// </summary>
    internal void CheckOnce(CancellationToken cancellationToken)
    {
        var quiet = new List<Followed>();
        var due = new List<Followed>();
        lock (_followed)
        {
            foreach (var f in _followed.Values)
            {
                if (IsQuiet(f)) quiet.Add(f);
                else if (DueForRenewal(f)) due.Add(f);
            }
        }
        foreach (var f in quiet)
        {
            if (f.Probing.TryTake()) _ = InSlot(_probeSlots, () => Probe(f), f.Probing.Release, cancellationToken);
        }
        foreach (var f in due)
        {
            if (f.Renewing.TryTake()) _ = InSlot(_renewSlots, () => Renew(f), f.Renewing.Release, cancellationToken);
        }
        Interlocked.Increment(ref _rounds);

        var repaired = Repaired;
        var renewing = Interlocked.Read(ref _renewing);
        if (renewing != _loggedRenewing)
        {
            LogRepairs(logger, quiet.Count, repaired - _loggedRepaired, renewing - _loggedRenewing);
            (_loggedRepaired, _loggedRenewing) = (repaired, renewing);
        }
    }

    /// <summary>
    /// Compares a quiet stock with its grain, repairs the book when the grain is ahead, and then
    /// (when deltas went missing, or there is no subscription) starts a resubscription in the
    /// background, at most once per <see cref="SubscriptionWatchdogOptions.ResubscribeBackoff"/>.
    /// </summary>
    private async Task Probe(Followed f)
    {
        var behind = !f.IsLive;
        try
        {
            behind |= Repair(f, await FollowGrain(f));
        }
        catch (Exception ex)
        {
            LogProbeFailed(logger, f.TsCode, ex.Message);
        }
        if (behind && !f.Dropped && time.GetElapsedTime(f.LastAttempt) >= _options.ResubscribeBackoff)
        {
            Interlocked.Increment(ref _renewing);
            _ = Subscribe(f, byWatchdog: true);
        }
    }

    /// <summary>Runs one stock's watchdog call in one of <paramref name="slots"/>, then releases the stock's claim (<paramref name="done"/>).</summary>
    private static async Task InSlot(SemaphoreSlim slots, Func<Task> work, Action done, CancellationToken cancellationToken)
    {
        try
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                await work();
            }
            finally
            {
                slots.Release();
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            done();
        }
    }

    /// <summary>
    /// A third of the lease the grain granted (it may have cut the one asked for) will have passed
    /// by the next round: renewed in this one.
    /// </summary>
    private bool DueForRenewal(Followed f)
    {
        var lease = TimeSpan.FromTicks(Volatile.Read(ref f.LeaseTicks));
        if (lease <= TimeSpan.Zero) return false;
        return time.GetElapsedTime(Volatile.Read(ref f.LastFollow)) + _options.CheckInterval >= lease / 3;
    }

    /// <summary>
    /// Renews a stock's follow lease while its stream delivers (a quiet one is probed instead, and
    /// the probe follows too). Its head is not compared with the book: a delta in flight would look
    /// like a gap.
    /// </summary>
    private async Task Renew(Followed f)
    {
        try
        {
            if (!f.Dropped) await FollowGrain(f);
        }
        catch (Exception ex)
        {
            LogRenewFailed(logger, f.TsCode, ex.Message);
        }
    }

    /// <summary>
    /// A quiet stock's grain head against the book: true when the grain was ahead (deltas went
    /// missing), and then its quote is in the book. The grain is the authority: another epoch
    /// replaces the book's even when it compares lower (the grain reactivated on a silo whose
    /// clock is behind, or the book kept a duplicate activation's epoch), or its deltas would be
    /// dropped for good.
    /// </summary>
    private bool Repair(Followed f, StockHead head)
    {
        if (f.Dropped || head.Quote is not { } quote) return false;
        var held = book.TryGet(f.TsCode, out var entry) ? entry : null;
        var ahead = held is null || head.Epoch != held.Epoch || head.Seq > held.Seq;
        if (!ahead) return false;
        if (book.TryAdopt(f.TsCode, quote, head.Epoch, head.Seq))
        {
            Interlocked.Increment(ref _repaired);
            Applied(f);
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        List<Followed> followed;
        lock (_followed)
        {
            followed = [.. _followed.Values];
            _followed.Clear();
        }
        // At shutdown the silo may be stopping too (always so when co-hosted): one line for all
        // the failures, not one per stock.
        var failed = await Task.WhenAll(followed.Select(f => f.Drop() is { } handle ? TryDropHandle(handle) : Task.FromResult<string?>(null)));
        var errors = failed.Where(e => e is not null).ToList();
        if (errors.Count > 0) LogUnsubscribeAtStopFailed(logger, errors.Count, followed.Count, errors[0]!);
        _interestGate.Dispose();
        Dispose();
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Subscribing to the price stream of {TsCode} failed (the watchdog serves it from its grain and retries): {Error}")]
    private static partial void LogSubscribeFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Unsubscribing from the price stream of {TsCode} failed: {Error}")]
    private static partial void LogUnsubscribeFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "At stop, {Failed} of {Followed} price stream subscriptions could not be removed (the silo may be stopping too); the first error: {Error}")]
    private static partial void LogUnsubscribeAtStopFailed(ILogger logger, int failed, int followed, string error);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Price watchdog: {Quiet} quiet stocks; since the last report {Repaired} repairs from the grain (deltas went missing) and {Resubscribing} resubscriptions started")]
    private static partial void LogRepairs(ILogger logger, int quiet, long repaired, long resubscribing);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Price watchdog: probing {TsCode} failed: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Debug, Message = "Price watchdog: renewing the follow lease of {TsCode} failed (the grain stops publishing when it lapses; the watchdog then probes it): {Error}")]
    private static partial void LogRenewFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Price watchdog round failed: {Error}")]
    private static partial void LogCheckFailed(ILogger logger, string error);
}
