using System.ComponentModel.DataAnnotations;

namespace OrleansPrices.Grains.Ingest;

/// <summary>The silo's quote ingest, bound from <c>Grid:Ingest</c>.</summary>
public sealed class IngestOptions
{
    public const string Section = "Grid:Ingest";

    /// <summary>StockGrain calls in flight at once while a poll's quotes are handed out.</summary>
    [Range(1, 4096)]
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>
    /// Share of the feed's poll interval over which one poll's quotes are handed out, in batches of
    /// <see cref="BatchSize"/> started at even steps: 0 hands them all out at once. Spreading keeps
    /// a tick's grain calls from holding every core in one burst (requests queue behind it), and
    /// delays a stock's quote by up to this share of the interval.
    /// </summary>
    [Range(0.0, 0.9)]
    public double Spread { get; set; }

    /// <summary>
    /// Quotes per batch. Between two batches the ingest waits for the next step of <see cref="Spread"/>,
    /// or without a spread yields the thread pool, so work queued meanwhile (HTTP requests) runs
    /// before the next batch rather than after the whole poll.
    /// </summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 50;

    /// <summary>First wait after a failed poll; doubles per consecutive failure up to <see cref="MaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
