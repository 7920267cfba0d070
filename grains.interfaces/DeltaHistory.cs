namespace OrleansPrices.Grains;

/// <summary>
/// The last <see cref="Capacity"/> deltas of one stock, oldest first: what a reconnecting client
/// may replay. Pure and single-threaded (a StockGrain owns one).
/// </summary>
public sealed class DeltaHistory(int capacity)
{
    private readonly PriceDelta?[] _ring = new PriceDelta?[capacity];
    private int _start;
    private int _count;

    public int Capacity => _ring.Length;

    public int Count => _count;

    /// <summary>The oldest retained delta's seq, or null when empty.</summary>
    public long? OldestSeq => _count == 0 ? null : _ring[_start]!.Seq;

    /// <summary>Appends the next delta; a new epoch clears what the old one held.</summary>
    public void Append(PriceDelta delta)
    {
        if (_count > 0)
        {
            var last = _ring[(_start + _count - 1) % _ring.Length]!;
            if (last.Epoch != delta.Epoch) Clear();
            else if (delta.Seq != last.Seq + 1) throw new ArgumentException($"seq {delta.Seq} does not follow {last.Seq}", nameof(delta));
        }
        if (_count == _ring.Length)
        {
            _ring[_start] = delta;
            _start = (_start + 1) % _ring.Length;
        }
        else
        {
            _ring[(_start + _count) % _ring.Length] = delta;
            _count++;
        }
    }

    public void Clear()
    {
        Array.Clear(_ring);
        _start = 0;
        _count = 0;
    }

    /// <summary>
    /// The deltas after (<paramref name="epoch"/>, <paramref name="seq"/>) up to
    /// (<paramref name="currentEpoch"/>, <paramref name="currentSeq"/>), when the history holds all
    /// of them; false when the epoch differs or the gap is older than what is retained (the
    /// client then needs a snapshot). Up to date: true with no deltas.
    /// </summary>
    public bool TryGetSince(long epoch, long seq, long currentEpoch, long currentSeq, out IReadOnlyList<PriceDelta> deltas)
    {
        deltas = [];
        if (epoch != currentEpoch || seq > currentSeq || seq < 0) return false;
        if (seq == currentSeq) return true;
        if (_count == 0 || OldestSeq > seq + 1) return false;

        var list = new List<PriceDelta>((int)(currentSeq - seq));
        for (var i = 0; i < _count; i++)
        {
            var d = _ring[(_start + i) % _ring.Length]!;
            if (d.Seq > seq) list.Add(d);
        }
        if (list.Count != currentSeq - seq) return false;
        deltas = list;
        return true;
    }
}
