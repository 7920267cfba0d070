namespace OrleansPrices.Market.Codes;

/// <summary>What the grid knows of a listed stock besides its prices.</summary>
/// <param name="Code">The stock's code.</param>
/// <param name="Name">Its short name, e.g. 浦发银行.</param>
/// <param name="RiskWarning">ST / *ST: the risk-warning price limit applies.</param>
/// <param name="ListDate">Listing date, for the no-limit days after an IPO; null when unknown.</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.StockInfo")]
public sealed record StockInfo(
    [property: Id(0)] TsCode Code,
    [property: Id(1)] string Name,
    [property: Id(2)] bool RiskWarning = false,
    [property: Id(3)] DateOnly? ListDate = null)
{
    public string TsCode => Code.Value;
}
