using System.ComponentModel.DataAnnotations;

namespace OrleansPrices.Grains.Ingest;

/// <summary>The silo's quote ingest, bound from <c>Grid:Ingest</c>.</summary>
public sealed class IngestOptions
{
    public const string Section = "Grid:Ingest";

    /// <summary>StockGrain calls in flight at once while a poll's quotes are handed out.</summary>
    [Range(1, 4096)]
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>First wait after a failed poll; doubles per consecutive failure up to <see cref="MaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
