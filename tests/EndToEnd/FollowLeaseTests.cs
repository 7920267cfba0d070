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
/// so the stock's Orleans stream carries every seq long past the grains' longest lease, while a
/// stock nobody follows goes quiet on its stream (its seq still advancing) until someone follows
/// it. Real gateway with its embedded silo and simulated market; the streams are read by this
/// test's own Orleans subscriptions, which do not follow (the gateway's clients would not show a
/// lapse: the subscription hub fills gaps from the grain's history).
/// </summary>
public sealed class FollowLeaseTests(ITestOutputHelper output)
{
    private const string Subscribed = "600519.SH";

    [Fact]
    public async Task The_gateway_keeps_what_it_follows_publishing_and_a_stock_nobody_follows_goes_quiet()
    {
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            // Leases of 2 s, renewed from 0.47 s on at 0.2 s rounds: a renewal may be 1.5 s late
            // (a loaded CI machine) before the stream shows a gap.
            ["Grid:Stocks:MaxFollowLease"] = "00:00:02.500",
            ["Gateway:Subscriptions:FollowLease"] = "00:00:02",
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

        // What the subscribed stock's stream carries, and whether stocks nobody followed at the
        // start get followed later (a signal list may take one): those are left out.
        var seqs = new ConcurrentQueue<long>();
        await streams.GetStream<PriceDelta>(StreamNames.Prices(Subscribed)).SubscribeAsync((PriceDelta d, StreamSequenceToken? _) =>
        {
            seqs.Enqueue(d.Seq);
            return Task.CompletedTask;
        });
        var unfollowed = host.Get<StockDirectory>().Codes.Where(c => !subscriptions.IsSubscribed(c)).Take(8).ToList();
        var everFollowed = new ConcurrentDictionary<string, bool>();
        var received = new ConcurrentDictionary<string, int>();
        foreach (var tsCode in unfollowed)
        {
            await streams.GetStream<PriceDelta>(StreamNames.Prices(tsCode)).SubscribeAsync((PriceDelta _, StreamSequenceToken? _) =>
            {
                received.AddOrUpdate(tsCode, 1, (_, n) => n + 1);
                return Task.CompletedTask;
            });
        }
        async Task Watch(TimeSpan span)
        {
            var until = DateTime.UtcNow + span;
            while (DateTime.UtcNow < until)
            {
                foreach (var c in unfollowed.Where(subscriptions.IsSubscribed)) everFollowed[c] = true;
                await Task.Delay(50);
            }
        }

        // The unfollowed stocks' activations publish for the longest lease first.
        await Watch(TimeSpan.FromSeconds(3));
        received.Clear();
        var before = await Task.WhenAll(unfollowed.Select(c => client.GetGrain<IStockGrain>(c).GetHead()));
        seqs.Clear();
        var firstSeq = (await client.GetGrain<IStockGrain>(Subscribed).GetHead()).Seq + 1;

        // Five seconds: two and a half leases of the subscribed stock, each renewed by the gateway.
        await Watch(TimeSpan.FromSeconds(5));
        var after = await Task.WhenAll(unfollowed.Select(c => client.GetGrain<IStockGrain>(c).GetHead()));
        var lastSeq = (await client.GetGrain<IStockGrain>(Subscribed).GetHead()).Seq;
        await Task.Delay(500); // deltas still on their way
        var got = seqs.ToList();
        output.WriteLine($"{Subscribed}: grain seq {firstSeq}..{lastSeq}, {got.Count} deltas on its stream, seq {got.FirstOrDefault()}..{got.LastOrDefault()}; " +
                         $"unfollowed: {string.Join(", ", unfollowed.Select((c, i) => $"{c} seq {before[i].Seq}->{after[i].Seq} received {received.GetValueOrDefault(c)}{(everFollowed.ContainsKey(c) ? " (followed meanwhile)" : "")}"))}");

        // Every change the grain made in those 5 s went out on its stream, in order.
        Assert.True(lastSeq - firstSeq >= 15, $"{Subscribed} moved from seq {firstSeq} to {lastSeq} in 5 s");
        var window = got.Where(q => q >= firstSeq && q <= lastSeq).ToList();
        Assert.Equal(Enumerable.Range(0, (int)(lastSeq - firstSeq + 1)).Select(i => firstSeq + i), window);

        // They traded and published nothing.
        var quiet = unfollowed.Select((c, i) => (Code: c, Moved: after[i].Seq - before[i].Seq)).Where(s => !everFollowed.ContainsKey(s.Code)).ToList();
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
