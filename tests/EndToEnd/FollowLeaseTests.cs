using System.Collections.Concurrent;
using Orleans.Streams;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Grains;
using OrleansPrices.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>
/// StockGrains publish only while followed: the gateway renews the lease of every stock it follows,
/// so its clients see every seq long past the grains' longest lease, while a stock nobody follows
/// goes quiet on its stream (its seq still advancing) until someone follows it. Real gateway with its
/// embedded silo and simulated market; the unfollowed streams are read by this test's own Orleans
/// subscriptions, which do not follow.
/// </summary>
public sealed class FollowLeaseTests(ITestOutputHelper output)
{
    private const string Subscribed = "600519.SH";

    [Fact]
    public async Task The_gateway_keeps_what_it_follows_publishing_and_a_stock_nobody_follows_goes_quiet()
    {
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Grid:Stocks:MaxFollowLease"] = "00:00:01.500",
            ["Gateway:Subscriptions:FollowLease"] = "00:00:01.200",
            ["Gateway:Subscriptions:CheckInterval"] = "00:00:00.200",
            ["Market:Simulator:UniverseSize"] = "60",
            ["Market:Simulator:TradeEveryPoll"] = "true",
        });
        var subscriptions = host.Get<PriceSubscriptions>();
        var client = host.Get<IClusterClient>();
        var streams = client.GetStreamProvider(StreamNames.Provider);

        await using var ws = await TestSocket.ConnectAsync(host.WebSocket);
        await ws.Next("connected");
        await ws.SendText($"{{\"type\":\"subscribe\",\"codes\":[\"{Subscribed}\"]}}");
        await ws.Next("subscribed");
        await ws.Next("snapshot");

        // Stocks nobody follows: their activations' grace (the longest lease) runs out first.
        var unfollowed = host.Get<StockDirectory>().Codes.Where(c => !subscriptions.IsSubscribed(c)).Take(8).ToList();
        var received = new ConcurrentDictionary<string, int>();
        foreach (var tsCode in unfollowed)
        {
            await streams.GetStream<PriceDelta>(StreamNames.Prices(tsCode)).SubscribeAsync((PriceDelta _, StreamSequenceToken? _) =>
            {
                received.AddOrUpdate(tsCode, 1, (_, n) => n + 1);
                return Task.CompletedTask;
            });
        }
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        ws.Drain();
        received.Clear();
        var before = await Task.WhenAll(unfollowed.Select(c => client.GetGrain<IStockGrain>(c).GetHead()));
        var repaired = subscriptions.Repaired;

        // Four seconds: more than two leases of the subscribed stock, all renewed by the gateway.
        var seqs = new List<long>();
        var until = DateTime.UtcNow.AddSeconds(4);
        while (DateTime.UtcNow < until)
        {
            await Task.Delay(100);
            foreach (var m in ws.Drain())
            {
                if (m.GetProperty("type").GetString() is not ("update" or "price_update")) continue;
                foreach (var row in m.GetProperty("data").EnumerateArray())
                {
                    if (row.GetProperty("ts_code").GetString() == Subscribed) seqs.Add(row.GetProperty("seq").GetInt64());
                }
            }
        }
        var after = await Task.WhenAll(unfollowed.Select(c => client.GetGrain<IStockGrain>(c).GetHead()));
        output.WriteLine($"{Subscribed}: {seqs.Count} updates, seq {seqs.FirstOrDefault()}..{seqs.LastOrDefault()}; repairs {subscriptions.Repaired - repaired}; " +
                         $"unfollowed: {string.Join(", ", unfollowed.Select((c, i) => $"{c} seq {before[i].Seq}->{after[i].Seq} received {received.GetValueOrDefault(c)}"))}");

        Assert.True(seqs.Count >= 15, $"{seqs.Count} updates of {Subscribed} in 4 s");
        Assert.Equal(Enumerable.Range(0, seqs.Count).Select(i => seqs[0] + i), seqs);
        Assert.Equal(repaired, subscriptions.Repaired);

        // Still nobody's (a signal list may have taken one meanwhile): they traded and published nothing.
        var quiet = unfollowed.Select((c, i) => (Code: c, Moved: after[i].Seq - before[i].Seq)).Where(s => !subscriptions.IsSubscribed(s.Code)).ToList();
        Assert.True(quiet.Count >= 4, $"only {quiet.Count} stocks stayed unfollowed");
        Assert.All(quiet, s => Assert.True(s.Moved >= 10, $"{s.Code} moved {s.Moved} seqs"));
        Assert.All(quiet, s => Assert.Equal(0, received.GetValueOrDefault(s.Code)));

        // Following one starts its deltas again.
        var code = quiet[0].Code;
        await client.GetGrain<IStockGrain>(code).Follow(TimeSpan.FromSeconds(1));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (received.GetValueOrDefault(code) < 3 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(received.GetValueOrDefault(code) >= 3, $"{code}: {received.GetValueOrDefault(code)} deltas after a follow");
    }
}
