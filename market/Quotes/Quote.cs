namespace OrleansPrices.Market.Quotes;

/// <summary>
/// A Level-1 snapshot of one stock, as a quote source reports it. Prices in CNY on the 0.01 grid,
/// <see cref="Volume"/> in shares and <see cref="Amount"/> in CNY (adapters convert lots and
/// ten-thousands at their boundary).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansPrices.Quote")]
public sealed record Quote
{
    [Id(0)] public required string TsCode { get; init; }
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public decimal Price { get; init; }
    [Id(3)] public decimal PreClose { get; init; }
    [Id(4)] public decimal Open { get; init; }
    [Id(5)] public decimal High { get; init; }
    [Id(6)] public decimal Low { get; init; }
    /// <summary>Cumulative volume today, in shares.</summary>
    [Id(7)] public long Volume { get; init; }
    /// <summary>Cumulative turnover today, in CNY.</summary>
    [Id(8)] public decimal Amount { get; init; }
    [Id(9)] public decimal Bid { get; init; }
    [Id(10)] public decimal Ask { get; init; }
    [Id(11)] public bool Suspended { get; init; }
    /// <summary>Exchange time of the snapshot.</summary>
    [Id(12)] public DateTimeOffset Time { get; init; }

    /// <summary>Change against the previous close, in percent, rounded half-up to two decimals.</summary>
    public decimal ChangePercent =>
        PreClose > 0 && Price > 0
            ? Math.Round((Price - PreClose) / PreClose * 100m, 2, MidpointRounding.AwayFromZero)
            : 0m;
}
