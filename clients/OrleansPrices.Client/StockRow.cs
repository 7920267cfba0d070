namespace OrleansPrices.Client;

/// <summary>A stream position: the StockGrain's epoch and the delta number within it.</summary>
public readonly record struct StreamPosition(long Epoch, long Seq) : IComparable<StreamPosition>
{
    /// <summary>Positions order by epoch, then seq: a new epoch (history lost) starts later than every old one.</summary>
    public int CompareTo(StreamPosition other) =>
        Epoch != other.Epoch ? Epoch.CompareTo(other.Epoch) : Seq.CompareTo(other.Seq);

    public static bool operator <(StreamPosition a, StreamPosition b) => a.CompareTo(b) < 0;
    public static bool operator >(StreamPosition a, StreamPosition b) => a.CompareTo(b) > 0;
    public static bool operator <=(StreamPosition a, StreamPosition b) => a.CompareTo(b) <= 0;
    public static bool operator >=(StreamPosition a, StreamPosition b) => a.CompareTo(b) >= 0;
}

/// <summary>
/// One stock's values. In a <c>snapshot</c> row every field is set; in an <c>update</c> row only the
/// fields that changed are (the others are null); a brief <c>price_update</c> row carries code,
/// ts_code, name, price, change_percent and volume. In <see cref="PriceTable"/> a row holds the
/// newest value of every field received so far.
/// </summary>
public sealed record StockRow
{
    /// <summary>Tushare code with exchange, e.g. <c>600000.SH</c>; the table's key.</summary>
    public required string TsCode { get; init; }
    /// <summary>Six-digit code, e.g. <c>600000</c>.</summary>
    public string? Code { get; init; }
    public string? Name { get; init; }
    public decimal? Price { get; init; }
    public decimal? ChangePercent { get; init; }
    /// <summary>Cumulative shares today.</summary>
    public long? Volume { get; init; }
    /// <summary>Cumulative turnover today, CNY.</summary>
    public decimal? Amount { get; init; }
    public decimal? Open { get; init; }
    public decimal? High { get; init; }
    public decimal? Low { get; init; }
    public decimal? PreClose { get; init; }
    public decimal? Bid { get; init; }
    public decimal? Ask { get; init; }
    public bool? Suspended { get; init; }
    /// <summary>The quote's exchange time.</summary>
    public DateTimeOffset? Time { get; init; }
    /// <summary>The (epoch, seq) of the newest snapshot or update applied; null for rows known only from the brief's default stream.</summary>
    public StreamPosition? Position { get; init; }
}

/// <summary>A row of a signal list, as in the REST list and <c>signal_update.added</c>.</summary>
public sealed record SignalRow
{
    public required string TsCode { get; init; }
    public string? Code { get; init; }
    public string? Name { get; init; }
    public string? Market { get; init; }
    public string? Signal { get; init; }
    public string? SignalReason { get; init; }
    public string? Strategy { get; init; }
    public decimal? VolumeRatio { get; init; }
    public string? Details { get; init; }
    public DateTimeOffset? Since { get; init; }
    public decimal? Price { get; init; }
    public decimal? ChangePercent { get; init; }
    public long? Volume { get; init; }
}
