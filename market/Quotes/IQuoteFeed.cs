using OrleansPrices.Market.Codes;

namespace OrleansPrices.Market.Quotes;

/// <summary>
/// A source of Level-1 snapshots: the simulated market by default, a replay or a real quote
/// source behind an adapter. The silo's ingest service polls it during trading phases.
/// </summary>
public interface IQuoteFeed
{
    /// <summary>Short name for logs and metrics, e.g. "simulated".</summary>
    string Name { get; }

    /// <summary>How often the source publishes new snapshots (Level-1: about 3 s).</summary>
    TimeSpan PollInterval { get; }

    /// <summary>The stocks this feed covers.</summary>
    IReadOnlyList<StockInfo> Universe { get; }

    /// <summary>
    /// The latest snapshot of every stock whose snapshot moved since the previous poll
    /// (a source that cannot tell returns them all; StockGrains drop unchanged ones).
    /// </summary>
    ValueTask<IReadOnlyList<Quote>> PollAsync(CancellationToken cancellationToken);

    /// <summary>Completed daily bars before today, oldest first, at most <paramref name="days"/>.</summary>
    ValueTask<IReadOnlyList<DailyBar>> GetHistoryAsync(string tsCode, int days, CancellationToken cancellationToken);
}
