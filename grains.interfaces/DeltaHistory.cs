using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Grains;

/// <summary>
/// The last <see cref="Capacity"/> deltas of one stock, oldest first: what a reconnecting client
/// may replay. Pure and single-threaded (a StockGrain owns one).
/// </summary>
/// <remarks>
/// Held by value: a ring of structs with the quote's fields copied in, the deltas rebuilt only when
/// a client resumes. A ring of <see cref="PriceDelta"/> references in a long-lived array had every
/// stock write a reference to a young object into an old one on every tick, and each young GC had
/// to find all of those through the card table before it could finish (5,000 stocks: a third of the
/// cards a GC scanned, see docs/architecture.md). An entry holds no reference at all (the name is
/// an index into the few names the history has seen), so the ring, which grows by doubling as
/// deltas come, up to the capacity, is allocated on the pinned object heap: it is born old. On the
/// ordinary heap every stock's ring grew at the same tick (all stocks trade every tick), and each
/// new ring was copied through gen0 and gen1 into gen2: at 5,000 stocks, 65 s after start, rings
/// were half of what a young GC kept (3 of 6.2 MB in gen0, 6.3 of 8.8 MB in gen1; a ClrMD census
/// of the objects reachable from the roots).
/// </remarks>
public sealed class DeltaHistory(int capacity)
{
    private const int InitialSize = 16;

    private readonly int _capacity = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "at least 1");
    private Entry[] _ring = [];
    private int _start;
    private int _count;
    private string _tsCode = "";
    // The names the entries point at (by index): one, unless the stock was renamed in this epoch.
    private readonly List<string> _names = [];
    private long _epoch;

    public int Capacity => _capacity;

    public int Count => _count;

    /// <summary>The oldest retained delta's seq, or null when empty.</summary>
    public long? OldestSeq => _count == 0 ? null : _ring[_start].Seq;

    /// <summary>The newest delta's quote (a new object per call), or null when empty.</summary>
    public Quote? NewestQuote => _count == 0 ? null : ToQuote(_ring[(_start + _count - 1) % _ring.Length]);

    /// <summary>Appends the next delta; a new epoch clears what the old one held.</summary>
    public void Append(PriceDelta delta)
    {
        if (_count > 0)
        {
            var lastSeq = _ring[(_start + _count - 1) % _ring.Length].Seq;
            if (_epoch != delta.Epoch) Clear();
            else if (delta.Seq != lastSeq + 1) throw new ArgumentException($"seq {delta.Seq} does not follow {lastSeq}", nameof(delta));
        }
        if (_count == 0)
        {
            _epoch = delta.Epoch;
            if (!string.Equals(_tsCode, delta.TsCode, StringComparison.Ordinal)) _tsCode = delta.TsCode;
        }
        var q = delta.Quote;
        var name = NameIndex(q.Name);

        int slot;
        if (_count == _capacity)
        {
            slot = _start;
            _start = (_start + 1) % _ring.Length;
        }
        else
        {
            if (_count == _ring.Length) Grow();
            slot = (_start + _count) % _ring.Length;
            _count++;
        }
        _ring[slot] = new Entry(delta.Seq, delta.Changed, delta.PublishedAtMicros, name,
            q.Price, q.PreClose, q.Open, q.High, q.Low, q.Volume, q.Amount, q.Bid, q.Ask, q.Suspended, q.Time);
    }

    public void Clear()
    {
        _start = 0;
        _count = 0;
        _names.Clear();
    }

    /// <summary>The index of <paramref name="name"/> among the names seen (the latest is the usual one).</summary>
    private int NameIndex(string name)
    {
        for (var i = _names.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_names[i], name, StringComparison.Ordinal)) return i;
        }
        _names.Add(name);
        return _names.Count - 1;
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
        if (_count == 0 || _epoch != currentEpoch || OldestSeq > seq + 1) return false;

        var list = new List<PriceDelta>((int)(currentSeq - seq));
        for (var i = 0; i < _count; i++)
        {
            ref readonly var e = ref _ring[(_start + i) % _ring.Length];
            if (e.Seq > seq) list.Add(ToDelta(e));
        }
        if (list.Count != currentSeq - seq) return false;
        deltas = list;
        return true;
    }

    private PriceDelta ToDelta(in Entry e) => new(_tsCode, _epoch, e.Seq, e.Changed, ToQuote(e), e.PublishedAtMicros);

    private Quote ToQuote(in Entry e) => new()
    {
        TsCode = _tsCode,
        Name = _names[e.Name],
        Price = e.Price,
        PreClose = e.PreClose,
        Open = e.Open,
        High = e.High,
        Low = e.Low,
        Volume = e.Volume,
        Amount = e.Amount,
        Bid = e.Bid,
        Ask = e.Ask,
        Suspended = e.Suspended,
        Time = e.Time,
    };

    /// <summary>Doubles the ring (up to the capacity), oldest first from slot 0, on the pinned object heap (see the remarks).</summary>
    private void Grow()
    {
        var next = GC.AllocateUninitializedArray<Entry>(Math.Min(Math.Max(_ring.Length * 2, InitialSize), _capacity), pinned: true);
        for (var i = 0; i < _count; i++) next[i] = _ring[(_start + i) % _ring.Length];
        _ring = next;
        _start = 0;
    }

    /// <summary>
    /// One delta with its quote's fields (every field of <see cref="Quote"/> but the code, which the
    /// ring holds once, and the name, an index into the history's names): no reference, so the ring
    /// may live on the pinned object heap.
    /// </summary>
    private readonly record struct Entry(
        long Seq, QuoteFields Changed, long PublishedAtMicros, int Name,
        decimal Price, decimal PreClose, decimal Open, decimal High, decimal Low, long Volume, decimal Amount,
        decimal Bid, decimal Ask, bool Suspended, DateTimeOffset Time);
}
