using System.Collections.Concurrent;
using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Gateway.Prices;

/// <summary>The latest known state of one stock at this gateway.</summary>
/// <param name="Batch">The broadcast batch in which this value last went out (0: not yet).</param>
public sealed record PriceEntry(Quote Quote, long Epoch, long Seq, long PublishedMicros, long Batch);

/// <summary>
/// The gateway's latest value per stock, fed by its stream subscriptions and by snapshots. A delta
/// older than what the book holds (same epoch, lower or equal seq) is dropped: streams may
/// redeliver or reorder, and a snapshot may race the first deltas.
/// </summary>
public sealed class PriceBook
{
    private readonly ConcurrentDictionary<string, PriceEntry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool TryGet(string tsCode, out PriceEntry entry) => _entries.TryGetValue(tsCode, out entry!);

    /// <summary>Applies a delta; false when it is not newer than the held value.</summary>
    public bool TryApply(PriceDelta delta) =>
        TryApply(delta.TsCode, delta.Quote, delta.Epoch, delta.Seq, delta.PublishedAtMicros);

    public bool TryApply(string tsCode, Quote quote, long epoch, long seq, long publishedMicros)
    {
        while (true)
        {
            if (!_entries.TryGetValue(tsCode, out var current))
            {
                if (_entries.TryAdd(tsCode, new PriceEntry(quote, epoch, seq, publishedMicros, 0))) return true;
                continue;
            }
            if (epoch < current.Epoch || (epoch == current.Epoch && seq <= current.Seq)) return false;
            var next = new PriceEntry(quote, epoch, seq, publishedMicros, current.Batch);
            if (_entries.TryUpdate(tsCode, next, current)) return true;
        }
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
