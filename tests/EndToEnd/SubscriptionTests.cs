using System.Text.Json;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>The subscription protocol against the real gateway: snapshot then increments, lists, rates, resume.</summary>
public sealed class SubscriptionTests(GatewayFixture fixture, ITestOutputHelper output) : IClassFixture<GatewayFixture>
{
    private static readonly string[] Liquid = ["600519.SH", "000001.SZ", "300750.SZ"];

    private GatewayHost Host => fixture.Host;

    private static string Subscribe(IEnumerable<string> codes, string? id = null, double? maxRate = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["type"] = "subscribe",
            ["id"] = id,
            ["codes"] = codes.ToArray(),
            ["max_rate"] = maxRate,
        });

    [Fact]
    public async Task Subscribing_gives_the_set_then_a_snapshot_then_increments_in_seq_order()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText(Subscribe(["600519.SH", "000001"], "s1"));

        var subscribed = await ws.Next("subscribed");
        Assert.Equal("s1", subscribed.GetProperty("id").GetString());
        Assert.Equal(["000001.SZ", "600519.SH"], subscribed.GetProperty("codes").EnumerateArray().Select(e => e.GetString()));

        var snapshot = await ws.Next("snapshot");
        var held = new Dictionary<string, (long Epoch, long Seq)>();
        foreach (var row in snapshot.GetProperty("data").EnumerateArray())
        {
            held[row.GetProperty("ts_code").GetString()!] = (row.GetProperty("epoch").GetInt64(), row.GetProperty("seq").GetInt64());
            Assert.True(row.GetProperty("price").GetDecimal() > 0);
        }
        Assert.Equal(["000001.SZ", "600519.SH"], held.Keys.Order());

        // Increments: only changed fields, each stock's seq exactly one more than the last.
        var increments = 0;
        while (increments < 10)
        {
            var update = await ws.Next("update");
            foreach (var row in update.GetProperty("data").EnumerateArray())
            {
                var code = row.GetProperty("ts_code").GetString()!;
                var (epoch, seq) = held[code];
                Assert.Equal(epoch, row.GetProperty("epoch").GetInt64());
                Assert.Equal(seq + 1, row.GetProperty("seq").GetInt64());
                held[code] = (epoch, seq + 1);
                Assert.False(row.TryGetProperty("time", out _));
                increments++;
            }
        }
        // A subscriber no longer gets the brief's default stream.
        Assert.DoesNotContain(ws.Drain(), m => m.GetProperty("type").GetString() == "price_update");
    }

    [Fact]
    public async Task Unknown_codes_are_named_and_the_valid_ones_still_subscribe()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText(Subscribe(["600519.SH", "999999", "12AB56"], "s2"));
        var error = await ws.Next("error");
        Assert.Equal(ErrorCodes.UnknownCodes, error.GetProperty("code").GetString());
        Assert.Equal("s2", error.GetProperty("id").GetString());
        Assert.Equal(["999999", "12AB56"], error.GetProperty("codes").EnumerateArray().Select(e => e.GetString()));
        var subscribed = await ws.Next("subscribed");
        Assert.Equal(["600519.SH"], subscribed.GetProperty("codes").EnumerateArray().Select(e => e.GetString()));
        await ws.Next("snapshot");
    }

    [Fact]
    public async Task Unsubscribe_confirms_the_remaining_set()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText(Subscribe(Liquid));
        await ws.Next("subscribed");
        await ws.SendText("{\"type\":\"unsubscribe\",\"codes\":[\"000001.SZ\"]}");
        var after = await ws.Next("subscribed");
        Assert.Equal(["300750.SZ", "600519.SH"], after.GetProperty("codes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_list_subscription_gets_the_list_then_its_changes_and_its_prices()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText("{\"type\":\"subscribe\",\"list\":\"buy\",\"strategy\":\"volume_ratio\"}");
        var subscribed = await ws.Next("subscribed");
        Assert.Equal(["volume_ratio"], subscribed.GetProperty("lists").EnumerateArray().Select(e => e.GetString()));
        var list = await ws.Next("signal_update");
        Assert.True(list.GetProperty("snapshot").GetBoolean());
        Assert.Equal("volume_ratio", list.GetProperty("strategy").GetString());
        var members = list.GetProperty("added").EnumerateArray().Select(r => r.GetProperty("ts_code").GetString()!).ToHashSet();
        Assert.NotEmpty(members);

        // Prices of the list's stocks flow as increments.
        var update = await ws.Next("update", TimeSpan.FromSeconds(15));
        Assert.All(update.GetProperty("data").EnumerateArray(), r => Assert.True(r.TryGetProperty("seq", out _)));
    }

    [Fact]
    public async Task A_rate_limit_conflates_to_at_most_one_update_per_interval()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText(Subscribe(["600519.SH"], maxRate: 1));
        await ws.Next("subscribed");
        await ws.Next("snapshot");
        ws.Drain();

        // Ticks every 100 ms move the stock ~10 times a second; the client asked for one a second.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var rows = ws.Drain().Where(m => m.GetProperty("type").GetString() == "update")
            .SelectMany(m => m.GetProperty("data").EnumerateArray()).ToList();
        output.WriteLine($"updates in 3.5 s at max_rate 1: {rows.Count}");
        Assert.InRange(rows.Count, 2, 5);
        // Conflated: seq jumps over the values it skipped; the latest wins.
        var seqs = rows.Select(r => r.GetProperty("seq").GetInt64()).ToList();
        Assert.Contains(seqs.Zip(seqs.Skip(1)), p => p.Second - p.First > 1);
    }

    [Fact]
    public async Task Resume_after_a_forced_disconnect_loses_and_duplicates_nothing()
    {
        var positions = new Dictionary<string, (long Epoch, long Seq)>();
        var seen = Liquid.ToDictionary(c => c, _ => new List<long>());
        await using (var first = await TestSocket.ConnectAsync(Host.WebSocket))
        {
            await first.Next("connected");
            await first.SendText(Subscribe(Liquid));
            await first.Next("subscribed");
            foreach (var row in (await first.Next("snapshot")).GetProperty("data").EnumerateArray())
            {
                positions[row.GetProperty("ts_code").GetString()!] = (row.GetProperty("epoch").GetInt64(), row.GetProperty("seq").GetInt64());
            }
            for (var i = 0; i < 5; i++) Record(await first.Next("update"), positions, seen);
        }

        // Disconnected for a while: the busy stream moves on.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        await using var second = await TestSocket.ConnectAsync(Host.WebSocket);
        await second.Next("connected");
        var resume = JsonSerializer.Serialize(new
        {
            type = "resume",
            positions = positions.ToDictionary(p => p.Key, p => new { epoch = p.Value.Epoch, seq = p.Value.Seq }),
        });
        var before = positions.ToDictionary(p => p.Key, p => p.Value.Seq);
        await second.SendText(resume);
        await second.Next("subscribed");
        var replayed = 0;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var m = await second.Next("update");
            replayed += Record(m, positions, seen);
            if (positions.All(p => p.Value.Seq >= before[p.Key] + 20)) break;
        }
        // A gap of seconds is within the grains' history: replayed, never a fresh snapshot.
        Assert.DoesNotContain(second.Drain(), m => m.GetProperty("type").GetString() == "snapshot");

        var published = 0;
        foreach (var (code, seqs) in seen)
        {
            // Every seq once, in order, with no hole across the disconnect.
            Assert.Equal(Enumerable.Range((int)seqs[0], seqs.Count).Select(i => (long)i), seqs);
            published += seqs.Count;
        }
        output.WriteLine($"resume: updates published {published}, received after resume {replayed}, lost 0, duplicated 0");
    }

    private static int Record(JsonElement update, Dictionary<string, (long Epoch, long Seq)> positions, Dictionary<string, List<long>> seen)
    {
        var n = 0;
        foreach (var row in update.GetProperty("data").EnumerateArray())
        {
            var code = row.GetProperty("ts_code").GetString()!;
            var seq = row.GetProperty("seq").GetInt64();
            Assert.Equal(positions[code].Seq + 1, seq);
            positions[code] = (row.GetProperty("epoch").GetInt64(), seq);
            seen[code].Add(seq);
            n++;
        }
        return n;
    }

    [Fact]
    public async Task A_brief_client_keeps_its_default_stream_beside_subscribers()
    {
        await using var subscriber = await TestSocket.ConnectAsync(Host.WebSocket);
        await subscriber.Next("connected");
        await subscriber.SendText(Subscribe(Liquid));
        await using var brief = await TestSocket.ConnectAsync(Host.WebSocket);
        await brief.Next("connected");
        var update = await brief.Next("price_update", TimeSpan.FromSeconds(15));
        Assert.NotEmpty(update.GetProperty("data").EnumerateArray());
        Assert.DoesNotContain(brief.Drain(), m => m.GetProperty("type").GetString() is "subscribed" or "snapshot" or "update");
    }
}
