extern alias PriceClientLib;

using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PriceClientLib::OrleansPrices.Client;
using OrleansPrices.Gateway.Connections;
using OrleansPrices.Tests.EndToEnd;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.Clients;

/// <summary>The client against the real gateway (in-process, market held open, 300 stocks, 100 ms ticks).</summary>
public sealed class PriceClientEndToEndTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private PriceClient Client(Uri uri, TimeSpan? heartbeat = null) => new(new PriceClientOptions
    {
        Uri = uri,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(800),
        HeartbeatInterval = heartbeat,
        Random = new ReconnectPolicyTests.FixedRandom(0.999),
    });

    [Fact]
    public async Task The_table_fills_from_the_default_stream_and_the_heartbeat_gets_pongs()
    {
        await using var client = Client(fixture.Host.WebSocket, heartbeat: TimeSpan.FromMilliseconds(300));
        await using var log = new EventLog(client);
        await client.ConnectAsync().WaitAsync(Long);
        Assert.Equal(ConnectionPhase.Live, client.State.Phase);

        await EventLog.Until(() => log.Of<PriceUpdateEvent>().Count >= 5 && log.Of<PongEvent>().Count >= 2, "5 price_updates and 2 pongs");
        var connected = Assert.Single(log.Of<ConnectedEvent>());
        Assert.Equal(30, connected.HeartbeatIntervalSeconds);
        Assert.True(client.Statistics.PingsSent >= 2);
        Assert.Empty(log.Of<ErrorEvent>());

        // Every stock of the stream is in the table, with the values of its latest row (or newer).
        var updates = log.Of<PriceUpdateEvent>();
        var streamed = updates.SelectMany(u => u.Rows).Select(r => r.TsCode).ToHashSet();
        Assert.All(streamed, code => Assert.True(client.Table.ContainsKey(code), $"{code} missing from the table"));
        Assert.All(client.Table.Values, r =>
        {
            Assert.NotNull(r.Name);
            Assert.True(r.Price > 0);
            Assert.NotNull(r.Volume);
            Assert.Null(r.Position); // the brief stream has no (epoch, seq)
        });
        Assert.Equal(client.Statistics.Count("price_update"), client.Statistics.MessagesByType["price_update"]);
    }

    [Fact]
    public async Task A_connection_aborted_by_the_gateway_is_reconnected_with_backoff_and_the_stream_resumes()
    {
        await using var client = Client(fixture.Host.WebSocket);
        await using var log = new EventLog(client);
        await client.ConnectAsync().WaitAsync(Long);
        await EventLog.Until(() => client.Table.Count > 0, "the first rows");

        var registry = fixture.Host.Get<ConnectionRegistry>();
        foreach (var connection in registry.Connections) connection.Abort();

        // The log reads the client's events behind its state: wait for the log to hold the second connected.
        await EventLog.Until(() => log.Of<ConnectedEvent>().Count == 2 && client.State.Phase == ConnectionPhase.Live, "the reconnect");
        var reconnecting = Assert.Single(log.States, s => s.Phase == ConnectionPhase.Reconnecting);
        Assert.Equal(CloseCodes.Abnormal, reconnecting.LastCloseCode);
        Assert.True(reconnecting.WillReconnect);
        Assert.Equal(99.9, reconnecting.ReconnectIn!.Value.TotalMilliseconds, 0.01); // attempt 1: 0.999 × 100 ms
        Assert.Equal(2, log.Of<ConnectedEvent>().Count);

        // Prices flow again on the new connection.
        var before = client.Statistics.Count("price_update");
        await EventLog.Until(() => client.Statistics.Count("price_update") > before + 3, "price_updates after the reconnect");
        Assert.Equal([ConnectionPhase.Connecting, ConnectionPhase.Live, ConnectionPhase.Reconnecting, ConnectionPhase.Connecting, ConnectionPhase.Live], log.States.Select(s => s.Phase));
    }

    [Fact]
    public async Task After_a_1008_for_flooding_the_client_closes_for_good()
    {
        await using var client = Client(fixture.Host.WebSocket);
        await using var log = new EventLog(client);
        await client.ConnectAsync().WaitAsync(Long);
        // Far over the gateway's 10 messages/s (burst 20, 20 violations allowed): it closes with 1008.
        for (var i = 0; i < 80 && client.State.Phase == ConnectionPhase.Live; i++)
        {
            await client.SubscribeAsync(["600000.SH"]);
        }
        await EventLog.Until(() => client.State.Phase == ConnectionPhase.Closed, "the close", Long);
        Assert.Equal(new ConnectionState(ConnectionPhase.Closed, CloseCodes.PolicyViolation, "too many messages", WillReconnect: false), client.State with { At = default });
        Assert.Equal(1, client.Statistics.Connections);
        Assert.DoesNotContain(log.States, s => s.Phase == ConnectionPhase.Reconnecting);
        Assert.Contains(log.Of<ErrorEvent>(), e => e.Code == "rate_limited");
    }

    [Fact]
    public async Task A_client_started_before_the_gateway_backs_off_until_it_appears()
    {
        var port = GatewayHost.FreePort();
        var uri = new Uri($"ws://127.0.0.1:{port}/ws/stock/prices");
        await using var client = Client(uri);
        await using var log = new EventLog(client);
        var connect = client.ConnectAsync();

        await EventLog.Until(() => log.States.Count(s => s.Phase == ConnectionPhase.Reconnecting) >= 5, "five failed attempts");
        Assert.False(connect.IsCompleted);

        // The gateway starts on that port (as well as its own).
        await using var host = await GatewayHost.StartAsync(services: s => s.PostConfigure<KestrelServerOptions>(o =>
        {
            var own = new Uri(o.ApplicationServices.GetRequiredService<IConfiguration>()["urls"]!.Split(';')[0]);
            o.Listen(IPAddress.Loopback, own.Port);
            o.Listen(IPAddress.Loopback, port);
        }));
        await connect.WaitAsync(Long);
        await EventLog.Until(() => client.Table.Count > 0, "rows from the gateway that appeared");

        // Backoff: the bound doubles from 100 ms to the 800 ms cap, the draw (0.999) takes ~all of it,
        // and each attempt started no sooner than its delay after the previous failure.
        var all = log.All;
        var failures = all.Where(e => e.Event is ConnectionStateChanged { State.Phase: ConnectionPhase.Reconnecting }).ToList();
        var delays = failures.Select(f => ((ConnectionStateChanged)f.Event).State.ReconnectIn!.Value.TotalMilliseconds).ToList();
        var expected = new[] { 99.9, 199.8, 399.6, 799.2 }.Concat(Enumerable.Repeat(799.2, delays.Count)).Take(delays.Count).ToList();
        Assert.All(delays.Zip(expected), p => Assert.Equal(p.Second, p.First, 0.01));
        Assert.All(failures.Select(f => ((ConnectionStateChanged)f.Event).State), s =>
        {
            Assert.Equal(CloseCodes.Abnormal, s.LastCloseCode);
            Assert.StartsWith("connect failed", s.LastCloseReason, StringComparison.Ordinal);
        });
        var states = log.States;
        foreach (var (failed, next) in states.Zip(states.Skip(1)).Where(p => p.First.Phase == ConnectionPhase.Reconnecting))
        {
            Assert.Equal(ConnectionPhase.Connecting, next.Phase);
            // Stamped when the log's reader took each event, not when the client emitted it: a
            // reader late by a few ms for the failure shortens the gap it measures (393.9 ms of 399.6
            // in a fresh-clone run under load). An attempt without its delay would be ~0 ms apart.
            var waited = next.At - failed.At;
            Assert.True(waited >= failed.ReconnectIn!.Value - TimeSpan.FromMilliseconds(25), $"waited {waited.TotalMilliseconds} ms of {failed.ReconnectIn.Value.TotalMilliseconds}");
        }
        Assert.Equal(ConnectionPhase.Live, client.State.Phase);
    }
}

/// <summary>Client behaviours against a scripted server: a silent peer, a going-away close.</summary>
public sealed class PriceClientHeartbeatTests
{
    [Fact]
    public async Task A_peer_silent_for_twice_the_heartbeat_is_dropped_and_reconnected()
    {
        await using var server = new FakeGateway(async (socket, n, ct) =>
        {
            await FakeGateway.SendText(socket, FakeGateway.Connected, ct);
            await Task.Delay(Timeout.Infinite, ct); // then silence: no pong, no data
        });
        await using var client = new PriceClient(new PriceClientOptions
        {
            Uri = server.Uri,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
        });
        await using var log = new EventLog(client);
        await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await EventLog.Until(() => log.States.Any(s => s.Phase == ConnectionPhase.Reconnecting), "the heartbeat timeout", TimeSpan.FromSeconds(10));
        var live = log.States.First(s => s.Phase == ConnectionPhase.Live);
        var state = log.States.First(s => s.Phase == ConnectionPhase.Reconnecting);
        Assert.InRange((state.At - live.At).TotalMilliseconds, 390, 2000); // 2 × 200 ms, checked on a 50 ms tick
        Assert.Equal(CloseCodes.Abnormal, state.LastCloseCode);
        Assert.StartsWith("heartbeat timeout", state.LastCloseReason, StringComparison.Ordinal);
        Assert.True(client.Statistics.PingsSent >= 1);
        await EventLog.Until(() => server.Accepted >= 2 && client.Statistics.Connections >= 2, "the reconnect");
    }

    [Fact]
    public async Task After_1001_going_away_the_client_reconnects_and_sends_its_subscriptions_again()
    {
        var received = new System.Collections.Concurrent.ConcurrentQueue<(int Connection, string Text)>();
        await using var server = new FakeGateway(async (socket, n, ct) =>
        {
            await FakeGateway.SendText(socket, FakeGateway.Connected, ct);
            if (n == 1)
            {
                await FakeGateway.SendText(socket, """{"type":"snapshot","recovered":false,"data":[{"ts_code":"600000.SH","code":"600000","name":"浦发银行","price":13.82,"change_percent":2.22,"volume":100,"epoch":7,"seq":4}]}""", ct);
                await FakeGateway.SendText(socket, """{"type":"update","data":[{"ts_code":"600000.SH","code":"600000","epoch":7,"seq":5,"price":13.83}],"ts":1}""", ct);
            }
            var reading = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                while (true)
                {
                    var r = await socket.ReceiveAsync(buffer, ct);
                    if (r.MessageType == System.Net.WebSockets.WebSocketMessageType.Close) return;
                    received.Enqueue((n, System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count)));
                }
            }, ct);
            if (n == 1)
            {
                await Task.Delay(300, ct);
                await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "gateway shutting down", ct);
            }
            await reading;
        });
        await using var client = new PriceClient(new PriceClientOptions { Uri = server.Uri, ReconnectInitialDelay = TimeSpan.FromMilliseconds(50) });
        await using var log = new EventLog(client);
        await client.SubscribeAsync(["600000.SH", "000001"]);
        await client.SubscribeListAsync("volume_ratio");
        await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await EventLog.Until(() => received.Count(m => m.Connection == 2) >= 2, "the subscriptions on the second connection", TimeSpan.FromSeconds(10));

        var first = log.States.First(s => s.Phase == ConnectionPhase.Reconnecting);
        Assert.Equal((1001, "gateway shutting down", true), (first.LastCloseCode!.Value, first.LastCloseReason!, first.WillReconnect));
        Assert.Equal(
            [
                """{"type":"subscribe","id":"1","codes":["600000.SH","000001"]}""",
                """{"type":"subscribe","id":"2","list":"buy","strategy":"volume_ratio"}""",
            ],
            received.Where(m => m.Connection == 1).Select(m => m.Text));
        // The second connection resumes the stock it holds a position for, from (7, 5).
        Assert.Equal(
            [
                """{"type":"resume","id":"3","positions":{"600000.SH":{"epoch":7,"seq":5}},"lists":["volume_ratio"]}""",
                """{"type":"subscribe","id":"4","codes":["000001"]}""",
            ],
            received.Where(m => m.Connection == 2).Select(m => m.Text));
        Assert.Equal(13.83m, client.Table["600000.SH"].Price);
    }
}

/// <summary>
/// Subscriptions and resume against the real gateway (gateway/Subscriptions, docs/asyncapi.json):
/// snapshot before updates, status after the first subscribed, and a resume that replays the
/// missed deltas (update rows) rather than a recovered:false snapshot.
/// </summary>
public sealed class PriceClientSubscriptionTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    /// <summary>
    /// n stocks that are moving: seen in at least two price_updates of the default stream. (The
    /// volume_ratio buy list is too short this early in a fixture's life to pick them from.)
    /// </summary>
    private async Task<List<string>> MovingCodes(int n)
    {
        await using var probe = new PriceClient(new PriceClientOptions { Uri = fixture.Host.WebSocket });
        await using var log = new EventLog(probe);
        await probe.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));
        List<string> Moving() => [.. log.Of<PriceUpdateEvent>().SelectMany(u => u.Rows.Select(r => r.TsCode).Distinct())
            .GroupBy(c => c).Where(g => g.Count() >= 2).Select(g => g.Key).Order(StringComparer.Ordinal).Take(n)];
        await EventLog.Until(() => Moving().Count == n, $"{n} moving stocks on the default stream");
        return Moving();
    }

    [Fact]
    public async Task Two_codes_and_a_list_get_a_snapshot_then_updates()
    {
        var codes = await MovingCodes(2);
        await using var client = new PriceClient(new PriceClientOptions { Uri = fixture.Host.WebSocket });
        await using var log = new EventLog(client);
        await client.SubscribeAsync(codes);
        await client.SubscribeListAsync("volume_ratio");
        await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // The codes and the list are two requests: the codes' updates may flow before the list's
        // answer (subscribed, then its signal_update snapshot) has been read.
        await EventLog.Until(() => log.Of<UpdateEvent>().Any(u => u.Rows.Any(r => codes.Contains(r.TsCode))), $"an update of {string.Join(" or ", codes)}");
        await EventLog.Until(() => log.Of<SignalUpdateEvent>().Any(s => s is { Strategy: "volume_ratio", IsSnapshot: true }), "the volume_ratio list's signal_update snapshot");
        Assert.Contains(log.Of<SubscribedEvent>(), s => codes.All(s.Codes.Contains) && s.Lists.Contains("volume_ratio"));
        var events = log.All.Select(e => e.Event).ToList();
        foreach (var code in codes)
        {
            var snapshot = events.FindIndex(e => e is SnapshotEvent s && s.Rows.Any(r => r.TsCode == code));
            var update = events.FindIndex(e => e is UpdateEvent u && u.Rows.Any(r => r.TsCode == code));
            Assert.True(snapshot >= 0, $"no snapshot of {code}");
            Assert.True(update < 0 || snapshot < update, $"{code}: update before its snapshot");
            Assert.NotNull(client.Table[code].Position);
        }
        // A subscribed connection leaves the default stream: price_updates already in flight before
        // the gateway handled the subscribe may arrive, none after its subscribed.
        var subscribed = events.FindIndex(e => e is SubscribedEvent);
        Assert.DoesNotContain(events.Skip(subscribed + 1), e => e is PriceUpdateEvent);
        Assert.Empty(log.Of<ErrorEvent>());

        // The market status follows the first subscribed (sent with it, or within the pump's second).
        await EventLog.Until(() => log.Of<StatusEvent>().Count > 0, "a status message");
        events = [.. log.All.Select(e => e.Event)];
        var firstStatus = events.FindIndex(e => e is StatusEvent);
        Assert.True(events.FindIndex(e => e is SubscribedEvent) < firstStatus, "status before the first subscribed");
        var status = (StatusEvent)events[firstStatus];
        Assert.Contains(status.Phase, new[] { "closed", "pre_open", "opening_auction", "continuous", "lunch_break", "closing_auction" });
        Assert.NotNull(status.TradingDay);
    }

    [Fact]
    public async Task An_aborted_connection_resumes_with_no_gap_in_any_stocks_seq()
    {
        var codes = await MovingCodes(5);
        await using var client = new PriceClient(new PriceClientOptions { Uri = fixture.Host.WebSocket, ReconnectInitialDelay = TimeSpan.FromMilliseconds(100) });
        await using var log = new EventLog(client);
        await client.SubscribeAsync(codes);
        await client.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await EventLog.Until(() => log.Of<UpdateEvent>().Count >= 10, "updates before the abort");

        foreach (var c in fixture.Host.Get<ConnectionRegistry>().Connections) c.Abort();
        await EventLog.Until(() => client.Statistics.Connections == 2, "the reconnect");
        var resumedAt = log.All.Count;
        await EventLog.Until(() => log.All.Skip(resumedAt).Count(e => e.Event is UpdateEvent) >= 10, "updates after the resume");

        Assert.DoesNotContain(log.Of<SnapshotEvent>().Skip(1), s => !s.Recovered);
        Assert.Empty(log.Of<ErrorEvent>());
        // The resume was answered on the new connection (a second subscribed naming every code).
        Assert.True(log.Of<SubscribedEvent>().Count >= 2, "no subscribed for the resume");
        Assert.True(codes.All(log.Of<SubscribedEvent>()[^1].Codes.Contains), "the resume's subscribed lacks codes");
        var perStock = new Dictionary<string, List<StreamPosition>>();
        foreach (var e in log.All.Select(e => e.Event))
        {
            IEnumerable<StockRow> rows = e switch { SnapshotEvent s => s.Rows, UpdateEvent u => u.Rows, _ => [] };
            foreach (var r in rows.Where(r => r.Position is not null))
            {
                if (!perStock.TryGetValue(r.TsCode, out var seen)) perStock[r.TsCode] = seen = [];
                seen.Add(r.Position!.Value);
            }
        }
        foreach (var (code, seen) in perStock)
        {
            // Snapshot then increments: each position is the previous one + 1 (a replayed duplicate is equal, and ignored by the table).
            var distinct = seen.Distinct().ToList();
            Assert.All(distinct.Zip(distinct.Skip(1)), p => Assert.Equal(new StreamPosition(p.First.Epoch, p.First.Seq + 1), p.Second));
        }
    }
}
