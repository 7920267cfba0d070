using OrleansPrices.Market.Codes;

namespace OrleansPrices.Market.Rules;

/// <summary>
/// One row of the dated price-limit table: from <paramref name="EffectiveFrom"/> on (until a later
/// row for the same board and flag), stocks of <paramref name="Board"/> with this risk-warning flag
/// may move at most <paramref name="Percent"/> percent from the previous close.
/// </summary>
/// <param name="Board">The board the row applies to.</param>
/// <param name="RiskWarning">True for ST / *ST stocks.</param>
/// <param name="EffectiveFrom">First trading date the row applies to.</param>
/// <param name="Percent">The limit in percent (10m for 10%), or null for no limit.</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.PriceLimitRule")]
public sealed record PriceLimitRule(
    [property: Id(0)] Board Board,
    [property: Id(1)] bool RiskWarning,
    [property: Id(2)] DateOnly EffectiveFrom,
    [property: Id(3)] decimal? Percent);

/// <summary>
/// One row of the dated table of no-limit days after an IPO: from <paramref name="EffectiveFrom"/>
/// on, a stock of <paramref name="Board"/> trades without a price limit on its first
/// <paramref name="TradingDays"/> trading days (the listing day counts as the first).
/// </summary>
/// <param name="Board">The board the row applies to.</param>
/// <param name="EffectiveFrom">First trading date the row applies to.</param>
/// <param name="TradingDays">Number of trading days without a limit, from the listing day; 0 for none.</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.ListingNoLimitRule")]
public sealed record ListingNoLimitRule(
    [property: Id(0)] Board Board,
    [property: Id(1)] DateOnly EffectiveFrom,
    [property: Id(2)] int TradingDays);
