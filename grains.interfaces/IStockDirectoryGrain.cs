using System.Collections.Immutable;
using Orleans.Concurrency;
using OrleansPrices.Market.Codes;

namespace OrleansPrices.Grains;

/// <summary>
/// The universe the grid serves (key <see cref="Key"/>): written once per feed start by the ingest,
/// read by gateways at start and on a slow refresh to tell unknown codes from known ones.
/// </summary>
[Alias("OrleansPrices.IStockDirectoryGrain")]
public interface IStockDirectoryGrain : IGrainWithStringKey
{
    const string Key = "universe";

    [Alias("SetUniverse")]
    Task SetUniverse(ImmutableArray<StockInfo> stocks);

    [ReadOnly, AlwaysInterleave, Alias("GetUniverse")]
    Task<ImmutableArray<StockInfo>> GetUniverse();
}
