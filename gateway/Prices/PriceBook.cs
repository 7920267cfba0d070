using System.Collections.Concurrent;
using System.Collections.Immutable;
using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Gateway.Prices;

/// <summary>The latest known state of one stock at this gateway.</summary>
/// <param name="Batch">The broadcast batch in which this value last went out (0: not yet).</param>
/// <param name="Recent">The latest deltas received in an unbroken run of seq (at most <see cref="PriceBook.RecentDeltas"/>), oldest first.</param>
public sealed record PriceEntry(Quote Quote, long Epoch, long Seq, long PublishedMicros, long Batch, ImmutableArray<PriceDelta> Recent)
{
    /// <summary>The deltas after <paramref name="seq"/> in this epoch, when the recent run holds all of them.</summary>
    public bool TryGetAfter(long epoch, long seq, out ReadOnlySpan<PriceDelta> deltas)
    {
        deltas = default;
        if (epoch != Epoch || seq > Seq) return false;
        if (seq == Seq) return true;
        if (Recent.IsEmpty || Recent[0].Seq > seq + 1) return false;
        deltas = Recent.AsSpan()[(int)(seq + 1 - Recent[0].Seq)..];
        return true;
    }
}

/// <summary>
/// The gateway's latest value per stock, fed by its stream subscriptions and by snapshots. A delta
/// older than what the book holds (same epoch, lower or equal seq) is dropped: streams may
/// redeliver or reorder, and a snapshot may race the first deltas.
/// </summary>
public sealed class PriceBook(TimeProvider? time = null)
{
    /// <summary>Deltas kept per stock so a subscriber that missed a few gets each one, not a conflated row.</summary>
    public const int RecentDeltas = 64;

    private readonly ConcurrentDictionary<string, PriceEntry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Timestamps (<see cref="TimeProvider.GetTimestamp"/>; 0: never): the last price that moved, and when an empty book took its first stock.</summary>
    private long _lastChange;
    private long _heldSince;

    public int Count => _entries.Count;

    /// <summary>
    /// No recent prices: the book holds stocks and none has moved for <paramref name="staleAfter"/>,
    /// counted from the last move or, before any, from when the book took its first stock (a
    /// starting gateway is not quiet before it could have had a price). An empty book follows
    /// nothing and is never quiet. The one rule behind <c>status</c>'s <c>no_recent_prices</c> and
    /// the ready check's <c>prices</c>; both apply it only while the market's quotes should move.
    /// </summary>
    /// <param name="quietFor">Time since that last move (or first stock).</param>
    public bool IsQuiet(TimeSpan staleAfter, out TimeSpan quietFor)
    {
        quietFor = TimeSpan.Zero;
        var since = Math.Max(Volatile.Read(ref _lastChange), Volatile.Read(ref _heldSince));
        if (_entries.IsEmpty || since == 0) return false;
        quietFor = _time.GetElapsedTime(since);
        return quietFor > staleAfter;
    }

    public bool TryGet(string tsCode, out PriceEntry entry) => _entries.TryGetValue(tsCode, out entry!);

    /// <summary>Applies a delta; false when it is not newer than the held value.</summary>
    public bool TryApply(PriceDelta delta) =>
        TryApply(delta.TsCode, delta.Quote, delta.Epoch, delta.Seq, delta.PublishedAtMicros, delta, adopt: false);

    /// <summary>Applies a value known from a snapshot (no delta: the recent run restarts).</summary>
    public bool TryApply(string tsCode, Quote quote, long epoch, long seq, long publishedMicros) =>
        TryApply(tsCode, quote, epoch, seq, publishedMicros, null, adopt: false);

    /// <summary>
    /// Applies a value read from the grain itself while its stream was quiet. The grain is the
    /// authority on its epoch: another epoch replaces the held one even when it compares lower
    /// (epochs come from the clock of the silo that activated the grain), where a stream delta of a
    /// lower epoch is dropped as old. In the same epoch only a higher seq applies.
    /// </summary>
    public bool TryAdopt(string tsCode, Quote quote, long epoch, long seq) =>
        TryApply(tsCode, quote, epoch, seq, 0, null, adopt: true);

    private bool TryApply(string tsCode, Quote quote, long epoch, long seq, long publishedMicros, PriceDelta? delta, bool adopt)
    {
        while (true)
        {
            if (!_entries.TryGetValue(tsCode, out var current))
            {
                var first = new PriceEntry(quote, epoch, seq, publishedMicros, 0, delta is null ? [] : [delta]);
                var wasEmpty = _entries.IsEmpty;
                if (_entries.TryAdd(tsCode, first))
                {
                    // Read before the add, so stocks added at once into an empty book all see it empty.
                    if (wasEmpty || Volatile.Read(ref _heldSince) == 0) Volatile.Write(ref _heldSince, _time.GetTimestamp());
                    return Changed(delta is not null || adopt);
                }
                continue;
            }
            if (epoch == current.Epoch ? seq <= current.Seq : epoch < current.Epoch && !adopt) return false;
            var next = new PriceEntry(quote, epoch, seq, publishedMicros, current.Batch, Extend(current, delta));
            if (_entries.TryUpdate(tsCode, next, current)) return Changed(delta is not null || adopt);
        }
    }

    /// <summary>A value went in; <paramref name="moved"/>: a price that moved (a delta, or a repair), not a first snapshot.</summary>
    private bool Changed(bool moved)
    {
        if (moved) Volatile.Write(ref _lastChange, _time.GetTimestamp());
        return true;
    }

    private static ImmutableArray<PriceDelta> Extend(PriceEntry current, PriceDelta? delta)
    {
        if (delta is null) return [];
        var recent = current.Recent;
        if (recent.IsEmpty || delta.Epoch != current.Epoch || delta.Seq != current.Seq + 1 || recent[^1].Seq != current.Seq) return [delta];
        return recent.Length < RecentDeltas ? recent.Add(delta) : recent.RemoveAt(0).Add(delta);
    }

    /// <summary>Stamps the batch that carried the entry's current value.</summary>
    public void MarkBatch(string tsCode, long batch)
    {
        while (_entries.TryGetValue(tsCode, out var current) && current.Batch < batch)
        {
            if (_entries.TryUpdate(tsCode, current with { Batch = batch }, current)) return;
        }
    }

    public void Remove(string tsCode) => _entries.TryRemove(tsCode, out _);
}
