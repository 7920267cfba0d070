using System.ComponentModel.DataAnnotations;

namespace OrleansPrices.Grains.Stocks;

/// <summary>StockGrain behaviour, bound from <c>Grid:Stocks</c>.</summary>
public sealed class StockGrainOptions
{
    public const string Section = "Grid:Stocks";

    /// <summary>Completed daily bars kept per stock (signals need at least 11 for MA10 crosses).</summary>
    [Range(11, 1000)]
    public int HistoryDays { get; set; } = 60;

    /// <summary>The default <see cref="StateWriteInterval"/> with memory storage (the embedded silo).</summary>
    public static readonly TimeSpan MemoryStorageWriteInterval = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often a StockGrain writes its state while quotes flow (always on deactivation).
    /// A crash loses at most this much, and the grain then starts a new epoch. 5 s with Redis,
    /// <see cref="MemoryStorageWriteInterval"/> with memory storage (the embedded silo's storage
    /// dies with the process).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan StateWriteInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest a <see cref="OrleansPrices.Grains.IStockGrain.Follow"/> lease runs, and how long a
    /// new activation publishes before anyone has followed it. Followers must renew within it (the
    /// gateway renews every third of <c>Gateway:Subscriptions:FollowLease</c>, 30 s by default).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxFollowLease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Deltas kept in memory for clients that resume after a disconnect (512 ≈ 25 minutes of 3 s ticks).</summary>
    [Range(1, 100_000)]
    public int ResumeHistory { get; set; } = 512;
}
