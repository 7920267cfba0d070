using System.Collections.Immutable;
using OrleansPrices.Market.Codes;

namespace OrleansPrices.Grains.Signals;

[GenerateSerializer, Alias("OrleansPrices.StockDirectoryState")]
public sealed class StockDirectoryState
{
    [Id(0)] public ImmutableArray<StockInfo> Stocks { get; set; } = [];
}

/// <summary>The universe the ingest serves, for gateways to validate codes and name stocks.</summary>
public sealed class StockDirectoryGrain(
    [PersistentState("directory", StreamNames.GridStore)] IPersistentState<StockDirectoryState> state) : Grain, IStockDirectoryGrain
{
    public async Task SetUniverse(ImmutableArray<StockInfo> stocks)
    {
        state.State.Stocks = stocks;
        await state.WriteStateAsync();
    }

    public Task<ImmutableArray<StockInfo>> GetUniverse() => Task.FromResult(state.State.Stocks);
}
