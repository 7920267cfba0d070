namespace OrleansPrices.Market.Rules;

/// <summary>The limit-up and limit-down prices of one stock for one trading day, in CNY on the 0.01 grid.</summary>
/// <param name="Up">Limit-up price: a trade at exactly this price is "at limit up".</param>
/// <param name="Down">Limit-down price: a trade at exactly this price is "at limit down".</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.LimitPrices")]
public readonly record struct LimitPrices(
    [property: Id(0)] decimal Up,
    [property: Id(1)] decimal Down);
