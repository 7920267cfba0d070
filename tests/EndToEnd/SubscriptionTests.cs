using System.Text.Json;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Simulation;
using OrleansPrices.Market.Strategies;
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
    public async Task A_list_subscription_gets_the_list_then_its_prices()
    {
        await Host.WaitForListMembers("volume_ratio");
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
    public async Task A_list_subscription_sees_a_stock_enter_with_its_prices_and_leave_with_no_more_rows()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText("{\"type\":\"subscribe\",\"list\":\"buy\",\"strategy\":\"volume_ratio\"}");
        await ws.Next("subscribed");
        var list = await ws.Next("signal_update");
        var members = list.GetProperty("added").EnumerateArray().Select(r => r.GetProperty("ts_code").GetString()!).ToHashSet();
        var version = list.GetProperty("version").GetInt64();

        // A liquid stock enters the list and leaves it again, through the list's own grain: what a
        // StockGrain calls when the strategy's signal starts and ends (the test market's lists
        // change too rarely to wait for).
        var code = StockUniverse.Curated.Select(s => s.Code.ToString()).First(c => !members.Contains(c) && !Liquid.Contains(c));
        var grain = Host.Get<IClusterClient>().GetGrain<ISignalListGrain>("volume_ratio");
        var signal = new Signal("volume_ratio", Signal.Buy, "test", 3.5m, "test", DateTimeOffset.UtcNow);
        try
        {
            await grain.Upsert(new SignalEntry(code, "test", code[^2..], signal));
            (var entered, version) = await NextListChange(ws, version, code);
            var row = Assert.Single(entered.GetProperty("added").EnumerateArray());
            Assert.Equal(code, row.GetProperty("ts_code").GetString());
            Assert.Equal("volume_ratio", row.GetProperty("strategy").GetString());
            Assert.Empty(entered.GetProperty("removed").EnumerateArray());

            // Its prices follow: a full row first (snapshot), then increments.
            var rows = await RowsOf(ws, code, until: r => r.Count >= 2, TimeSpan.FromSeconds(15));
            Assert.Equal("snapshot", rows[0].Kind);
            Assert.True(rows[0].Row.TryGetProperty("time", out _));
            Assert.Equal("update", rows[1].Kind);
            Assert.Equal(rows[0].Row.GetProperty("seq").GetInt64() + 1, rows[1].Row.GetProperty("seq").GetInt64());

            await grain.Remove(code);
            var (left, _) = await NextListChange(ws, version, code);
            Assert.Equal([code], left.GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
            Assert.Empty(left.GetProperty("added").EnumerateArray());
            // Nothing of it after the message that removed it (the stock keeps ticking).
            Assert.Empty(await RowsOf(ws, code, until: _ => false, TimeSpan.FromSeconds(2)));
        }
        finally
        {
            await grain.Remove(code);
        }
    }

    /// <summary>
    /// The next signal_update naming <paramref name="code"/>, after <paramref name="version"/>:
    /// every list message on the way is a change (not a snapshot) one version above the last.
    /// </summary>
    private static async Task<(JsonElement Message, long Version)> NextListChange(TestSocket ws, long version, string code)
    {
        while (true)
        {
            var m = await ws.Next("signal_update", TimeSpan.FromSeconds(15));
            Assert.False(m.GetProperty("snapshot").GetBoolean(), "a list snapshot instead of a change");
            Assert.Equal(++version, m.GetProperty("version").GetInt64());
            var added = m.GetProperty("added").EnumerateArray().Select(r => r.GetProperty("ts_code").GetString());
            var removed = m.GetProperty("removed").EnumerateArray().Select(e => e.GetString());
            if (added.Concat(removed).Contains(code)) return (m, version);
        }
    }

    /// <summary>Rows of <paramref name="code"/> (snapshot or update) until <paramref name="until"/> holds or the time is up.</summary>
    private static async Task<List<(string Kind, JsonElement Row)>> RowsOf(TestSocket ws, string code, Func<List<(string Kind, JsonElement Row)>, bool> until, TimeSpan time)
    {
        var rows = new List<(string, JsonElement)>();
        var deadline = DateTime.UtcNow + time;
        while (!until(rows) && DateTime.UtcNow < deadline)
        {
            JsonElement m;
            try
            {
                m = await ws.Next(type: null, deadline - DateTime.UtcNow);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var kind = m.GetProperty("type").GetString()!;
            if (kind is not ("snapshot" or "update")) continue;
            rows.AddRange(m.GetProperty("data").EnumerateArray().Where(r => r.GetProperty("ts_code").GetString() == code).Select(r => (kind, r)));
        }
        return rows;
    }

    [Fact]
    public async Task The_gateways_stream_subscription_follows_the_union_of_its_clients_interests()
    {
        var streams = Host.Get<PriceSubscriptions>();
        var lists = Host.Get<SignalLists>();
        bool Listed(string code) => lists.All.Any(l => l.Entries.Any(e => e.TsCode == code));
        // A stock nobody follows yet: no client, and on no signal list (the default stream follows those).
        var code = StockUniverse.Curated.Skip(10).Select(s => s.Code.ToString()).First(c => !streams.IsSubscribed(c) && !Listed(c) && !Liquid.Contains(c));
        var subscribe = $"{{\"type\":\"subscribe\",\"codes\":[\"{code}\"]}}";

        await using var a = await TestSocket.ConnectAsync(Host.WebSocket);
        await a.Next("connected");
        await a.SendText(subscribe);
        await a.Next("subscribed");
        Assert.True(streams.IsSubscribed(code), "the first interest did not subscribe the stock's stream");

        await using (var b = await TestSocket.ConnectAsync(Host.WebSocket))
        {
            await b.Next("connected");
            await b.SendText(subscribe);
            await b.Next("subscribed");
            await a.SendText($"{{\"type\":\"unsubscribe\",\"codes\":[\"{code}\"]}}");
            Assert.Empty((await a.Next("subscribed")).GetProperty("codes").EnumerateArray());
            Assert.True(streams.IsSubscribed(code), "unsubscribed while another client still follows the stock");
        } // b disconnects: the last interest goes

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (streams.IsSubscribed(code) && !Listed(code) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(!streams.IsSubscribed(code) || Listed(code), "the stream stayed subscribed after the last interest went");
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

    /// <param name="away">Seconds disconnected: 1.5 s is within the gateway's recent deltas (64 per stock);
    /// 9 s is more than that for a stock moving about 10 times a second, so its gap is replayed from the StockGrain's history.</param>
    [Theory]
    [InlineData(1.5)]
    [InlineData(9)]
    public async Task Resume_after_a_forced_disconnect_loses_and_duplicates_nothing(double away)
    {
        var positions = new Dictionary<string, (long Epoch, long Seq)>();
        var seen = Liquid.ToDictionary(c => c, _ => new List<JsonElement>());
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
        } // disposed without a close handshake: a forced disconnect

        // Disconnected for a while: the busy stream moves on.
        await Task.Delay(TimeSpan.FromSeconds(away));
        var grains = Host.Get<IClusterClient>();
        var before = positions.ToDictionary(p => p.Key, p => p.Value.Seq);
        var headAtResume = new Dictionary<string, long>();
        foreach (var code in Liquid) headAtResume[code] = (await grains.GetGrain<IStockGrain>(code).GetHead()).Seq;
        // Away long enough means past the gateway's recent deltas for some stock. On a loaded machine
        // the market ticks slower (a full-suite run missed at most 49 in 9 s, against 80 alone), so
        // the wait goes on, up to 20 s more, until one stock is past them.
        var longGap = DateTime.UtcNow.AddSeconds(20);
        while (away > 5 && Liquid.Max(c => headAtResume[c] - before[c]) <= PriceBook.RecentDeltas && DateTime.UtcNow < longGap)
        {
            await Task.Delay(200);
            foreach (var code in Liquid) headAtResume[code] = (await grains.GetGrain<IStockGrain>(code).GetHead()).Seq;
        }

        await using var second = await TestSocket.ConnectAsync(Host.WebSocket);
        await second.Next("connected");
        var resume = JsonSerializer.Serialize(new
        {
            type = "resume",
            positions = positions.ToDictionary(p => p.Key, p => new { epoch = p.Value.Epoch, seq = p.Value.Seq }),
        });
        await second.SendText(resume);
        await second.Next("subscribed");
        var afterResume = 0;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!positions.All(p => p.Value.Seq >= headAtResume[p.Key] + 10))
        {
            Assert.True(DateTime.UtcNow < deadline, "the resumed stream did not get 10 deltas past the grains' heads at resume within 10 s");
            afterResume += Record(await second.Next("update"), positions, seen);
        }
        // A gap of seconds is within the history: replayed, never a fresh snapshot.
        Assert.DoesNotContain(second.Drain(), m => m.GetProperty("type").GetString() == "snapshot");

        // Against what the grains published, from the first delta received to the last, per stock.
        int published = 0, missed = 0, maxMissed = 0, replayed = 0, lost = 0, duplicated = 0;
        foreach (var (code, rows) in seen)
        {
            var seqs = rows.Select(r => r.GetProperty("seq").GetInt64()).ToList();
            var epoch = positions[code].Epoch;
            var history = await grains.GetGrain<IStockGrain>(code).GetSince(epoch, seqs[0] - 1);
            Assert.True(history.Recovered, $"{code}: the grain's history no longer reaches back to seq {seqs[0]}");
            var deltas = history.Deltas.Where(d => d.Seq <= seqs[^1]).ToList();
            published += deltas.Count;
            missed += (int)(headAtResume[code] - before[code]);
            maxMissed = Math.Max(maxMissed, (int)(headAtResume[code] - before[code]));
            replayed += seqs.Count(q => q > before[code] && q <= headAtResume[code]);
            lost += deltas.Count(d => !seqs.Contains(d.Seq));
            duplicated += seqs.Count - seqs.Distinct().Count();
            Assert.Equal(deltas.Select(d => d.Seq), seqs);
            // And the values are the grain's: every price and volume a row carries.
            foreach (var (row, delta) in rows.Zip(deltas))
            {
                if (row.TryGetProperty("price", out var price)) Assert.Equal(Money.TwoDecimals(delta.Quote.Price), price.GetDecimal());
                if (row.TryGetProperty("volume", out var volume)) Assert.Equal(delta.Quote.Volume, volume.GetInt64());
            }
        }
        output.WriteLine($"resume after {away} s away: updates published {published} (3 stocks, first to last received), missed while disconnected {missed}, " +
                         $"replayed {replayed}, received after the resume {afterResume}, lost {lost}, duplicated {duplicated}");
        Assert.Equal(missed, replayed);
        // Away long enough, some stock missed more than the gateway keeps: that gap came from its grain.
        if (away > 5) Assert.True(maxMissed > PriceBook.RecentDeltas, $"no stock missed more than {PriceBook.RecentDeltas} deltas (most: {maxMissed})");
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
    }

    [Fact]
    public async Task The_rest_lists_positions_join_the_stream_with_no_gap_or_duplicate()
    {
        // A client loads the list over REST, then opens the socket and resumes from the rows' epoch/seq.
        using var http = new HttpClient { BaseAddress = Host.Http };
        using var list = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/stocks/signal/buy", UriKind.Relative)));
        var positions = new Dictionary<string, (long Epoch, long Seq)>(StringComparer.Ordinal);
        foreach (var row in list.RootElement.GetProperty("data").GetProperty("signals").EnumerateArray())
        {
            if (row.GetProperty("seq").ValueKind != JsonValueKind.Number) continue;
            positions.TryAdd(row.GetProperty("ts_code").GetString()!, (row.GetProperty("epoch").GetInt64(), row.GetProperty("seq").GetInt64()));
            if (positions.Count == 20) break;
        }
        Assert.NotEmpty(positions);

        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText(JsonSerializer.Serialize(new
        {
            type = "resume",
            positions = positions.ToDictionary(p => p.Key, p => new { epoch = p.Value.Epoch, seq = p.Value.Seq }),
        }));
        await ws.Next("subscribed");
        var rows = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            JsonElement m;
            try
            {
                m = await ws.Next(type: null, TimeSpan.FromSeconds(1));
            }
            catch (OperationCanceledException)
            {
                continue;
            }
            var type = m.GetProperty("type").GetString();
            Assert.NotEqual("snapshot", type); // seconds-old positions are replayed, never replaced
            if (type != "update") continue;
            foreach (var row in m.GetProperty("data").EnumerateArray())
            {
                // Each stock continues exactly after the position the list showed: no gap, no duplicate.
                var code = row.GetProperty("ts_code").GetString()!;
                var (epoch, seq) = positions[code];
                Assert.Equal((epoch, seq + 1), (row.GetProperty("epoch").GetInt64(), row.GetProperty("seq").GetInt64()));
                positions[code] = (epoch, seq + 1);
                rows++;
            }
        }
        Assert.True(rows > 0, "no row followed the list's positions within 3 s");
        output.WriteLine($"{positions.Count} listed stocks joined from their REST positions; {rows} rows in 3 s, each the next seq");
    }

    [Fact]
    public async Task Status_comes_with_the_first_answer_and_again_on_every_change_of_phase()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText(Subscribe(["600519.SH"]));
        await ws.Next("subscribed");
        var first = await ws.Next("status");
        Assert.Equal("continuous", first.GetProperty("phase").GetString()); // the test market is held open
        Assert.Equal(JsonValueKind.Null, first.GetProperty("next_open").ValueKind);
        Assert.False(first.GetProperty("stale").GetBoolean());

        // A phase change, as the pump hands the hub the market clock's status: every subscriber is told.
        var day = DateOnly.Parse(first.GetProperty("trading_day").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var reopen = new DateTimeOffset(day.ToDateTime(new TimeOnly(13, 0)), TimeSpan.FromHours(8));
        Host.Get<Gateway.Subscriptions.SubscriptionHub>().RefreshStatus(new OrleansPrices.Market.Time.MarketStatus(OrleansPrices.Market.Time.MarketPhase.LunchBreak, day, reopen, 120, AlwaysOpen: false));
        var lunch = await ws.Next("status");
        Assert.Equal("lunch_break", lunch.GetProperty("phase").GetString());
        Assert.Equal(reopen, DateTimeOffset.Parse(lunch.GetProperty("next_open").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        // And back: the pump's next look at the (held open) clock is a change again.
        Assert.Equal("continuous", (await ws.Next("status", TimeSpan.FromSeconds(5))).GetProperty("phase").GetString());
    }

    private static int Record(JsonElement update, Dictionary<string, (long Epoch, long Seq)> positions, Dictionary<string, List<JsonElement>> seen)
    {
        var n = 0;
        foreach (var row in update.GetProperty("data").EnumerateArray())
        {
            var code = row.GetProperty("ts_code").GetString()!;
            var seq = row.GetProperty("seq").GetInt64();
            Assert.Equal(positions[code].Seq + 1, seq);
            positions[code] = (row.GetProperty("epoch").GetInt64(), seq);
            seen[code].Add(row);
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
