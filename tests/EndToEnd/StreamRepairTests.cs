using System.Text.Json;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Grains;
using OrleansPrices.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>
/// A subscriber of a stock whose price stream the gateway lost: the watchdog repairs the book from
/// the grain (with a jump in seq) and resubscribes; the subscriber must never see that jump as a
/// silent gap. The stream is lost for real: the gateway's Orleans subscription is cancelled through
/// Orleans' own API, as when a silo failure drops a consumer.
/// </summary>
public sealed class StreamRepairTests(ITestOutputHelper output)
{
    private const string Code = "600519.SH";

    private static readonly Dictionary<string, string?> FastWatchdog = new()
    {
        ["Gateway:Subscriptions:CheckInterval"] = "00:00:00.200",
        ["Gateway:Subscriptions:StaleAfter"] = "00:00:00.600",
        ["Gateway:Subscriptions:ResubscribeBackoff"] = "00:00:02",
    };

    [Fact]
    public async Task Deltas_missed_by_the_gateways_stream_are_replayed_from_the_grain_in_order()
    {
        await using var host = await GatewayHost.StartAsync(FastWatchdog);
        var rows = await FollowThroughARepair(host);

        // Each seq exactly once, in order, across the repair: no jump, no replacement snapshot.
        var seqs = rows.Select(r => r.Seq).ToList();
        Assert.Equal(Enumerable.Range((int)seqs[0], seqs.Count).Select(i => (long)i), seqs);
        Assert.DoesNotContain(rows, r => r.Kind == "snapshot" && !r.Recovered);
    }

    [Fact]
    public async Task A_gap_older_than_the_grains_history_comes_as_a_snapshot_marked_not_recovered()
    {
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?>(FastWatchdog) { ["Grid:Stocks:ResumeHistory"] = "1" });
        var rows = await FollowThroughARepair(host);

        // Every jump in seq is announced: it is a snapshot row with recovered: false.
        for (var i = 1; i < rows.Count; i++)
        {
            if (rows[i].Seq == rows[i - 1].Seq + 1) continue;
            Assert.True(rows[i] is { Kind: "snapshot", Recovered: false }, $"seq {rows[i - 1].Seq} -> {rows[i].Seq} in a {rows[i].Kind} (recovered {rows[i].Recovered})");
            Assert.True(rows[i].Full, "a replacement row has every field");
        }
        Assert.Contains(rows, r => r is { Kind: "snapshot", Recovered: false });
    }

    private sealed record Row(string Kind, bool Recovered, long Epoch, long Seq, bool Full);

    /// <summary>Subscribes <see cref="Code"/>, cuts the gateway's stream of it, and collects its rows until the watchdog has repaired it and the stream is back.</summary>
    private async Task<List<Row>> FollowThroughARepair(GatewayHost host)
    {
        var subscriptions = host.Get<PriceSubscriptions>();
        var rows = new List<Row>();
        await using var ws = await TestSocket.ConnectAsync(host.WebSocket);
        await ws.Next("connected");
        await ws.SendText($"{{\"type\":\"subscribe\",\"codes\":[\"{Code}\"]}}");
        await ws.Next("subscribed");
        Collect(await ws.Next("snapshot"), rows);
        for (var i = 0; i < 3; i++) Collect(await ws.Next("update"), rows);

        var stream = host.Get<IClusterClient>().GetStreamProvider(StreamNames.Provider).GetStream<PriceDelta>(StreamNames.Prices(Code));
        var handles = await stream.GetAllSubscriptionHandles();
        Assert.NotEmpty(handles);
        foreach (var h in handles) await h.UnsubscribeAsync();
        var (repaired, resubscribed) = (subscriptions.Repaired, subscriptions.Resubscribed);
        var cutAt = rows[^1].Seq;

        // Until the watchdog has repaired the book from the grain and resubscribed, and rows flow again after that.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && (subscriptions.Repaired == repaired || subscriptions.Resubscribed == resubscribed || rows[^1].Seq < cutAt + 60))
        {
            await Task.Delay(100);
            foreach (var m in ws.Drain()) Collect(m, rows);
        }
        output.WriteLine($"{Code}: cut at seq {cutAt}; watchdog {subscriptions.Repaired - repaired} repairs, {subscriptions.Resubscribed - resubscribed} resubscriptions; " +
                         $"{rows.Count} rows up to seq {rows[^1].Seq}; {rows.Count(r => r.Kind == "snapshot" && !r.Recovered)} recovered:false snapshots");
        Assert.True(subscriptions.Repaired > repaired, "the watchdog never repaired the stock from its grain");
        Assert.True(subscriptions.Resubscribed > resubscribed, "the watchdog never resubscribed the stock");
        Assert.True(rows[^1].Seq >= cutAt + 60, $"rows stopped at seq {rows[^1].Seq} (cut at {cutAt})");
        Assert.All(rows, r => Assert.Equal(rows[0].Epoch, r.Epoch));
        return rows;
    }

    private static void Collect(JsonElement message, List<Row> rows)
    {
        var kind = message.GetProperty("type").GetString()!;
        if (kind is not ("snapshot" or "update")) return;
        var recovered = kind == "snapshot" && message.GetProperty("recovered").GetBoolean();
        foreach (var row in message.GetProperty("data").EnumerateArray())
        {
            if (row.GetProperty("ts_code").GetString() != Code) continue;
            rows.Add(new Row(kind, recovered, row.GetProperty("epoch").GetInt64(), row.GetProperty("seq").GetInt64(), row.TryGetProperty("time", out _)));
        }
    }
}
