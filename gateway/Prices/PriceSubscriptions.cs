using Orleans.Streams;
using OrleansPrices.Grains;

namespace OrleansPrices.Gateway.Prices;

/// <summary>
/// One Orleans stream subscription per stock per gateway process, shared by every client here:
/// subscribed when the first interest in a stock appears, unsubscribed after the last goes.
/// After subscribing it fetches the grain's snapshot (only events produced after a subscription
/// exists are guaranteed to it), and the <see cref="PriceBook"/> drops anything not newer.
/// </summary>
public sealed partial class PriceSubscriptions(
    IClusterClient cluster,
    PriceBook book,
    Broadcaster broadcaster,
    ILogger<PriceSubscriptions> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, StreamSubscriptionHandle<PriceDelta>> _handles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _interests = new(StringComparer.Ordinal);

    /// <summary>Stocks with a live stream subscription.</summary>
    public int Count
    {
        get
        {
            lock (_handles) return _handles.Count;
        }
    }

    public bool IsSubscribed(string tsCode)
    {
        lock (_handles) return _handles.ContainsKey(tsCode);
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
        lock (_handles) held = [.. _handles.Keys];

        foreach (var code in wanted)
        {
            if (!IsSubscribed(code)) await Subscribe(code);
        }
        foreach (var code in held)
        {
            if (!wanted.Contains(code)) await Unsubscribe(code);
        }
    }

    private async Task Subscribe(string tsCode)
    {
        try
        {
            var stream = cluster.GetStreamProvider(StreamNames.Provider).GetStream<PriceDelta>(StreamNames.Prices(tsCode));
            var handle = await stream.SubscribeAsync(OnDelta);
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
            lock (_handles) _handles[tsCode] = handle;
        }
        catch (Exception ex)
        {
            LogSubscribeFailed(logger, tsCode, ex.Message);
        }
    }

    private async Task Unsubscribe(string tsCode)
    {
        StreamSubscriptionHandle<PriceDelta>? handle;
        lock (_handles)
        {
            if (!_handles.Remove(tsCode, out handle)) return;
        }
        try
        {
            await handle.UnsubscribeAsync();
        }
        catch (Exception ex)
        {
            LogUnsubscribeFailed(logger, tsCode, ex.Message);
        }
        book.Remove(tsCode);
    }

    private Task OnDelta(PriceDelta delta, StreamSequenceToken? token)
    {
        if (book.TryApply(delta)) broadcaster.MarkDirty(delta.TsCode);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        List<StreamSubscriptionHandle<PriceDelta>> handles;
        lock (_handles)
        {
            handles = [.. _handles.Values];
            _handles.Clear();
        }
        foreach (var h in handles)
        {
            try
            {
                await h.UnsubscribeAsync();
            }
            catch (Exception ex)
            {
                LogUnsubscribeFailed(logger, "(shutdown)", ex.Message);
            }
        }
        _gate.Dispose();
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Subscribing to the price stream of {TsCode} failed: {Error}")]
    private static partial void LogSubscribeFailed(ILogger logger, string tsCode, string error);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Unsubscribing from the price stream of {TsCode} failed: {Error}")]
    private static partial void LogUnsubscribeFailed(ILogger logger, string tsCode, string error);
}
