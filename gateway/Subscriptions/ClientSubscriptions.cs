namespace OrleansPrices.Gateway.Subscriptions;

/// <summary>
/// What one connection follows: stock codes (each with an optional rate limit) and signal lists.
/// A connection that never subscribes follows the brief's default stream. Pure bookkeeping; the
/// connection serialises calls.
/// </summary>
public sealed class ClientSubscriptions(int maxCodes)
{
    private readonly Dictionary<string, StockFollow> _codes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _lists = new(StringComparer.Ordinal);

    /// <summary>True until the first subscribe or resume: the brief's default stream.</summary>
    public bool IsDefaultStream { get; private set; } = true;

    public IReadOnlyCollection<string> Codes => _codes.Keys;

    public IReadOnlyCollection<string> Lists => _lists;

    public int MaxCodes => maxCodes;

    public bool TryGet(string tsCode, out StockFollow follow) => _codes.TryGetValue(tsCode, out follow!);

    /// <summary>
    /// Adds codes (already validated); those beyond <see cref="MaxCodes"/> are returned as rejected.
    /// A code already followed keeps its position and takes the new rate.
    /// </summary>
    public (IReadOnlyList<string> Added, IReadOnlyList<string> OverLimit) Add(IEnumerable<string> tsCodes, double? maxRate)
    {
        IsDefaultStream = false;
        var added = new List<string>();
        var over = new List<string>();
        var interval = maxRate is { } r ? TimeSpan.FromSeconds(1 / r) : TimeSpan.Zero;
        foreach (var code in tsCodes)
        {
            if (_codes.TryGetValue(code, out var existing))
            {
                existing.MinInterval = interval;
                continue;
            }
            if (_codes.Count >= maxCodes)
            {
                over.Add(code);
                continue;
            }
            _codes[code] = new StockFollow(interval);
            added.Add(code);
        }
        return (added, over);
    }

    public IReadOnlyList<string> Remove(IEnumerable<string> tsCodes)
    {
        IsDefaultStream = false;
        var removed = new List<string>();
        foreach (var code in tsCodes)
        {
            if (_codes.Remove(code)) removed.Add(code);
        }
        return removed;
    }

    public bool AddList(string strategy)
    {
        IsDefaultStream = false;
        return _lists.Add(strategy);
    }

    public bool RemoveList(string strategy)
    {
        IsDefaultStream = false;
        return _lists.Remove(strategy);
    }
}

/// <summary>
/// One followed stock: its rate limit, what was last sent (epoch, seq) and when, and whether a
/// newer value waits for the limit to allow it (conflation: only the latest is ever sent).
/// </summary>
public sealed class StockFollow(TimeSpan minInterval)
{
    public TimeSpan MinInterval { get; set; } = minInterval;
    public long SentEpoch { get; set; }
    public long SentSeq { get; set; }
    public long SentAtTimestamp { get; set; }
    public bool Pending { get; set; }

    /// <summary>
    /// The deltas after what was sent are being fetched from the stock's grain (the book's recent
    /// run no longer reaches back to them); nothing newer is sent until they are.
    /// </summary>
    public bool Recovering { get; set; }

    /// <summary>
    /// Decides, at <paramref name="now"/> (a <see cref="TimeProvider"/> timestamp), whether a change
    /// goes out now or waits; a waiting change is marked <see cref="Pending"/>.
    /// </summary>
    public bool TryPass(long now, TimeProvider time)
    {
        if (MinInterval == TimeSpan.Zero || SentAtTimestamp == 0 || time.GetElapsedTime(SentAtTimestamp, now) >= MinInterval)
        {
            Pending = false;
            SentAtTimestamp = now;
            return true;
        }
        Pending = true;
        return false;
    }
}
