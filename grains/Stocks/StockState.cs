using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Grains.Stocks;

/// <summary>What a StockGrain keeps in grain storage.</summary>
[GenerateSerializer, Alias("OrleansPrices.StockState")]
public sealed class StockState
{
    [Id(0)] public Quote? Quote { get; set; }
    [Id(1)] public DailyBar? Today { get; set; }
    [Id(2)] public List<DailyBar> History { get; set; } = [];
    [Id(3)] public long Epoch { get; set; }
    [Id(4)] public long Seq { get; set; }
    [Id(5)] public HashSet<string> ActiveSignals { get; set; } = [];

    /// <summary>True only when written on a clean deactivation: then seq continues in the same epoch.</summary>
    [Id(6)] public bool Clean { get; set; }
}
