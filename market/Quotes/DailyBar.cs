namespace OrleansPrices.Market.Quotes;

/// <summary>One day's K-line bar. Volume in shares, amount in CNY.</summary>
[GenerateSerializer, Immutable, Alias("OrleansPrices.DailyBar")]
public sealed record DailyBar(
    [property: Id(0)] DateOnly TradeDate,
    [property: Id(1)] decimal Open,
    [property: Id(2)] decimal High,
    [property: Id(3)] decimal Low,
    [property: Id(4)] decimal Close,
    [property: Id(5)] decimal PreClose,
    [property: Id(6)] long Volume,
    [property: Id(7)] decimal Amount);
