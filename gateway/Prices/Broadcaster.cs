using OrleansPrices.Market.Quotes;
using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Connections;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Prices;

/// <summary>
/// Coalesces the deltas that arrive within <see cref="GatewayOptions.CoalesceWindow"/> into one
/// <c>price_update</c> (and while they keep coming, see <see cref="Settle"/>), encodes it once and offers the same bytes to every connection. Offering
/// never waits on a socket: each connection queues (bounded) and sends on its own. While some
/// connections negotiated permessage-deflate the frame is also compressed, once, and those
/// connections get the compressed bytes (the uWebSockets SHARED_COMPRESSOR design).
/// </summary>
public sealed partial class Broadcaster(
    PriceBook book,
    BroadcastScope scope,
    ConnectionRegistry connections,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    GatewayMetrics metrics,
    ILogger<Broadcaster> logger) : BackgroundService
{
    /// <summary>The process's total GC pause time so far: <see cref="Settle"/> does not count it as quiet.</summary>
    private readonly Func<TimeSpan> _gcPauses = GC.GetTotalPauseDuration;

    private IPriceChangeListener[] _listeners = [];
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private HashSet<string> _dirty = new(StringComparer.Ordinal);
    private HashSet<string> _spare = new(StringComparer.Ordinal);
    private bool _pending;
    private long _batch;
    // When the latest change was marked (TimeProvider timestamp), and the GC pause total then.
    private long _lastChange;
    private TimeSpan _pausedAtLastChange;

    /// <summary>A flush waits at most this many coalescing windows after the first change.</summary>
    internal const int SettleWindows = 4;

    /// <summary>A flush goes once no change has come for this many windows (see <see cref="Settle"/>).</summary>
    internal const double QuietWindows = 1.5;

    /// <summary>For tests: <paramref name="gcPauses"/> stands in for <see cref="GC.GetTotalPauseDuration"/>.</summary>
    internal Broadcaster(PriceBook book, BroadcastScope scope, ConnectionRegistry connections, IOptions<GatewayOptions> options,
        TimeProvider time, GatewayMetrics metrics, ILogger<Broadcaster> logger, Func<TimeSpan> gcPauses)
        : this(book, scope, connections, options, time, metrics, logger) => _gcPauses = gcPauses;

    /// <summary>Compresses messages for permessage-deflate connections (shared: it keeps no context).</summary>
    public MessageCompressor Compressor { get; } = new(options.Value.DeflateLevel, options.Value.DeflateMinBytes);

    private MessageCompressor? CompressorIfNeeded => connections.DeflateCount > 0 ? Compressor : null;

    /// <summary>The seq of the latest broadcast <c>price_update</c>.</summary>
    public long CurrentBatch => Volatile.Read(ref _batch);

    /// <summary>Adds a listener told of every flush's changed stocks (the subscription hub).</summary>
    public void AddListener(IPriceChangeListener listener)
    {
        lock (_gate) _listeners = [.. _listeners, listener];
    }

    /// <summary>A stock's value changed in the book: include it in the next flush.</summary>
    public void MarkDirty(string tsCode)
    {
        bool wake;
        lock (_gate)
        {
            _dirty.Add(tsCode);
            _lastChange = time.GetTimestamp();
            _pausedAtLastChange = _gcPauses();
            wake = !_pending;
            _pending = true;
        }
        if (wake) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = options.Value.CoalesceWindow;
        while (!stoppingToken.IsCancellationRequested)
        {
            await _wake.WaitAsync(stoppingToken);
            if (window > TimeSpan.Zero) await Settle(window, stoppingToken);
            try
            {
                Flush();
            }
            catch (Exception ex)
            {
                LogFlushFailed(logger, ex);
            }
        }
    }

    /// <summary>
    /// Waits <paramref name="window"/> after the first change, then on while changes still come (one
    /// within the last <see cref="QuietWindows"/> windows), up to <see cref="SettleWindows"/> windows
    /// in all. A tick's deltas reach the gateway over several stream pulls: cut at a fixed window,
    /// the late ones went out as a second message, which every client got only after the first
    /// one's fan-out. The window is the default pull period, and a queue's agent that polls while a
    /// tick is being published takes the rest one period later; a quiet gap of half a window, then
    /// of one, still cut such ticks in two (seen in the gateway's flush log: 40 rows, then 9 rows 87 ms
    /// later, every 3 s while the phases lined up). Time the process spent in GC pauses counts
    /// neither as quiet nor against the limit: nothing can arrive during a pause.
    /// </summary>
    private async Task Settle(TimeSpan window, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var pausedAtStart = _gcPauses();
        await Task.Delay(window, time, cancellationToken);
        var quiet = window * QuietWindows;
        var limit = window * SettleWindows;
        while (true)
        {
            long lastChange;
            TimeSpan pausedAtLastChange;
            lock (_gate) (lastChange, pausedAtLastChange) = (_lastChange, _pausedAtLastChange);
            var paused = _gcPauses();
            var sinceChange = time.GetElapsedTime(lastChange) - (paused - pausedAtLastChange);
            var left = limit - (time.GetElapsedTime(started) - (paused - pausedAtStart));
            if (sinceChange >= quiet || left <= TimeSpan.Zero) return;
            var wait = quiet - sinceChange;
            await Task.Delay(wait < left ? wait : left, time, cancellationToken);
        }
    }

    /// <summary>Encodes the dirty stocks of the broadcast scope into one frame and offers it to every connection.</summary>
    internal void Flush()
    {
        HashSet<string> dirty;
        lock (_gate)
        {
            dirty = _dirty;
            _dirty = _spare;
            _pending = false;
        }

        foreach (var listener in Volatile.Read(ref _listeners)) listener.OnChanged(dirty);

        var codes = scope.Codes;
        var batch = _batch + 1;
        var rows = new List<PriceRow>(dirty.Count);
        var earliest = long.MaxValue;
        foreach (var code in dirty)
        {
            if (!codes.Contains(code) || !book.TryGet(code, out var entry)) continue;
            rows.Add(new PriceRow(code, entry.Quote));
            if (entry.PublishedMicros > 0) earliest = Math.Min(earliest, entry.PublishedMicros);
            book.MarkBatch(code, batch);
        }
        dirty.Clear();
        lock (_gate) _spare = dirty;
        if (rows.Count == 0) return;

        if (earliest == long.MaxValue) earliest = UnixTime.Micros(time.GetUtcNow());
        var frame = OutboundFrame.Prices(ServerMessages.PriceUpdate(rows, batch, earliest), batch, CompressorIfNeeded);
        Volatile.Write(ref _batch, batch);
        connections.Broadcast(frame);
        metrics.Broadcast(rows.Count);
    }

    /// <summary>
    /// For a connection that fell behind: one frame with the latest value of every scoped stock that
    /// changed after <paramref name="afterBatch"/> (latest wins), or null when nothing did.
    /// </summary>
    internal OutboundFrame? CatchUp(long afterBatch)
    {
        var current = CurrentBatch;
        var rows = new List<PriceRow>();
        var earliest = long.MaxValue;
        foreach (var code in scope.Codes)
        {
            if (!book.TryGet(code, out var entry) || entry.Batch <= afterBatch) continue;
            rows.Add(new PriceRow(code, entry.Quote));
            if (entry.PublishedMicros > 0) earliest = Math.Min(earliest, entry.PublishedMicros);
        }
        if (rows.Count == 0) return null;
        if (earliest == long.MaxValue) earliest = UnixTime.Micros(time.GetUtcNow());
        return OutboundFrame.Prices(ServerMessages.PriceUpdate(rows, current, earliest), current, CompressorIfNeeded);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "Broadcast flush failed")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}

/// <summary>Told, on every flush, which stocks' values changed in the price book.</summary>
public interface IPriceChangeListener
{
    void OnChanged(IReadOnlyCollection<string> tsCodes);
}
