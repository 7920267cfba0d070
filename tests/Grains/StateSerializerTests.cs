using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using OrleansPrices.Grains;
using OrleansPrices.Grains.Stocks;
using OrleansPrices.Market.Quotes;
using Xunit;

namespace OrleansPrices.Tests.Grains;

/// <summary>The grid's grain storage writes the Orleans binary format and still reads records written as JSON.</summary>
public sealed class StateSerializerTests(GridCluster grid) : IClassFixture<GridCluster>
{
    private static StockState Sample() => new()
    {
        Quote = new Quote { TsCode = "600000.SH", Name = "浦发银行", Price = 10.05m, PreClose = 10.00m, Volume = 1_000, Time = GridCluster.TenAm },
        History = [new DailyBar(new DateOnly(2026, 11, 25), 9.9m, 10.1m, 9.8m, 10.0m, 9.9m, 5_000, 50_000m)],
        Epoch = 42,
        Seq = 7,
        ActiveSignals = ["volume_ratio"],
    };

    private IServiceProvider Silo => grid.Cluster.Silos[0].ServiceProvider;

    private IGrainStorageSerializer GridStoreSerializer =>
        Silo.GetRequiredService<IOptionsMonitor<MemoryGrainStorageOptions>>().Get(StreamNames.GridStore).GrainStorageSerializer
        ?? throw new InvalidOperationException("GridStore has no serializer");

    [Fact]
    public void State_is_written_in_the_binary_format_and_reads_back()
    {
        var serializer = GridStoreSerializer;
        var bytes = serializer.Serialize(Sample());
        Assert.NotEqual((byte)'{', bytes.ToMemory().Span[0]);

        var back = Assert.IsType<StockState>(serializer.Deserialize<StockState>(bytes));
        Assert.Equal(10.05m, back.Quote!.Price);
        Assert.Equal("浦发银行", back.Quote.Name);
        Assert.Equal((42L, 7L), (back.Epoch, back.Seq));
        Assert.Equal(10.0m, Assert.Single(back.History).Close);
        Assert.Contains("volume_ratio", back.ActiveSignals);
    }

    [Fact]
    public void A_record_written_as_json_by_the_default_serializer_still_loads()
    {
        var json = Silo.GetRequiredService<IGrainStorageSerializer>().Serialize(Sample());
        Assert.Equal((byte)'{', json.ToMemory().Span[0]);

        var back = Assert.IsType<StockState>(GridStoreSerializer.Deserialize<StockState>(json));
        Assert.Equal((42L, 7L), (back.Epoch, back.Seq));
        Assert.Equal("浦发银行", back.Quote!.Name);
    }
}
