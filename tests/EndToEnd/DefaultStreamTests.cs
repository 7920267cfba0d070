using OrleansPrices.Gateway.Prices;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>What a connection that never subscribes receives, by <c>Gateway:DefaultStream</c>.</summary>
public sealed class DefaultStreamTests
{
    [Fact]
    public async Task All_stocks_pushes_the_whole_universe_not_only_the_signal_lists()
    {
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:DefaultStream"] = "AllStocks",
            ["Market:Simulator:UniverseSize"] = "60",
            ["Market:Simulator:TradeEveryPoll"] = "true",
        });
        var directory = host.Get<StockDirectory>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (directory.Count < 60 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(60, directory.Count);
        var listed = host.Get<SignalLists>().All.SelectMany(l => l.Entries).Select(e => e.TsCode).ToHashSet();

        await using var ws = await TestSocket.ConnectAsync(host.WebSocket);
        await ws.Next("connected");
        var seen = new HashSet<string>();
        while (seen.Count < 55 && DateTime.UtcNow < deadline)
        {
            var update = await ws.Next("price_update");
            foreach (var row in update.GetProperty("data").EnumerateArray()) seen.Add(row.GetProperty("ts_code").GetString()!);
        }
        // Every stock trades on every poll (a suspended one or two stay still): far beyond the lists.
        Assert.InRange(seen.Count, 55, 60);
        Assert.True(seen.Count(c => !listed.Contains(c)) > 40, $"{seen.Count} stocks pushed, {listed.Count} listed");
    }
}
