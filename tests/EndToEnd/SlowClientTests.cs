using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using OrleansPrices.Gateway.Connections;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using OrleansPrices.Tests.Protocol;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>
/// One client stops reading while another keeps going: the reader gets every broadcast in order
/// with no gap, the stalled one's server-side queue stays within its bound (later frames are
/// conflated, not queued) and, after the slow-consumer timeout, it is closed with 4008 if it reads
/// again in time, aborted if it never does.
/// </summary>
public sealed class SlowClientTests
{
    private static readonly Dictionary<string, string?> FastStall = new()
    {
        // Many breakouts: a long signal list makes big frames, so the stalled socket fills in seconds.
        ["Market:Simulator:UniverseSize"] = "600",
        ["Market:Simulator:BreakoutFraction"] = "0.5",
        ["Gateway:MaxQueuedFrames"] = "4",
        // Long enough that a reading client on a busy 2-core machine is never taken for a slow one.
        ["Gateway:SlowConsumerTimeout"] = "00:00:03",
    };

    /// <summary>
    /// The gateway's accepted sockets inherit the listening socket's send buffer. Left to the
    /// kernel it grows up to tcp_wmem's 4 MiB, and filling that took 30-40 s on an idle machine and
    /// over 60 s on a loaded one (the stall was never seen); a fixed 16 KiB fills within a few
    /// frames. A reading client is unaffected: what it has not read yet waits in its own receive buffer.
    /// </summary>
    private static void SmallSendBuffers(IServiceCollection services) =>
        services.Configure<SocketTransportOptions>(o => o.CreateBoundListenSocket = endpoint =>
        {
            var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            socket.SendBufferSize = 16 * 1024;
            return socket;
        });

    [Fact]
    public async Task A_stalled_client_that_reads_again_gets_4008_after_what_was_queued_ahead()
    {
        await using var host = await GatewayHost.StartAsync(FastStall, SmallSendBuffers);
        var registry = host.Get<ConnectionRegistry>();
        await using var other = await TestSocket.ConnectAsync(host.WebSocket);
        await other.Next("connected");
        using var slow = await RawWebSocket.ConnectAsync(host.Http, receiveBuffer: 4096);

        // It reads nothing until the server has given up on it and queued the close behind the stuck send.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!registry.Connections.Any(c => c.SlowClosing) && DateTime.UtcNow < deadline) await Task.Delay(50);
        var victim = Assert.Single(registry.Connections, c => c.SlowClosing);

        // Reading again drains what was ahead of the close, then the close: 4008, reconnect.
        Assert.Equal(CloseCodes.SlowConsumer, await slow.NextClose(TimeSpan.FromSeconds(30)));
        Assert.True(CloseCodes.ShouldReconnect(CloseCodes.SlowConsumer));
        deadline = DateTime.UtcNow.AddSeconds(15);
        while (registry.Connections.Any(c => c.Id == victim.Id) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.DoesNotContain(registry.Connections, c => c.Id == victim.Id);

        // The other client was not affected.
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, other.State);
        await other.SendText("{\"type\":\"ping\"}");
        await other.Next("pong");
    }

    [Fact]
    public async Task A_client_that_stops_reading_neither_delays_others_nor_grows_memory()
    {
        await using var host = await GatewayHost.StartAsync(FastStall, SmallSendBuffers);
        var registry = host.Get<ConnectionRegistry>();
        var broadcaster = host.Get<Broadcaster>();

        await using var reader = await TestSocket.ConnectAsync(host.WebSocket);
        await reader.Next("connected");
        using var stalled = await StalledClient.ConnectAsync(host.Http);

        // Wait until the stalled connection's socket buffers are full and it is skipping frames.
        ClientConnection? victim = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            victim = registry.Connections.SingleOrDefault(c => c.SkippedFrames > 0);
            if (victim is not null) break;
            Assert.All(registry.Connections, c => Assert.InRange(c.QueuedFrames, 0, 4));
            await Task.Delay(50);
        }
        Assert.NotNull(victim);
        Assert.InRange(victim.QueuedFrames, 0, 4);
        Assert.True(victim.Lagging);

        // The reader has had every broadcast so far, in order, without a gap.
        var seqs = new List<long>();
        var until = broadcaster.CurrentBatch + 5;
        while (seqs.Count == 0 || seqs[^1] < until)
        {
            var m = await reader.Next("price_update");
            seqs.Add(m.GetProperty("seq").GetInt64());
        }
        Assert.Equal(Enumerable.Range((int)seqs[0], seqs.Count).Select(i => (long)i), seqs);

        // Past the slow-consumer timeout a 4008 close is queued behind the stuck send; the client
        // never reads, so it never goes out, and once the wait for it ends the connection is aborted.
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (registry.Connections.Any(c => c.Id == victim.Id) && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.DoesNotContain(registry.Connections, c => c.Id == victim.Id);
        Assert.True(victim.SlowClosing);
        Assert.Single(registry.Connections);
        await reader.SendText("{\"type\":\"ping\"}");
        await reader.Next("pong");
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_gets_the_latest_values_conflated_and_is_not_disconnected()
    {
        // The slow-consumer timeout out of the way: this is the conflation that comes before any disconnect.
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?>(FastStall) { ["Gateway:SlowConsumerTimeout"] = "00:01:00" }, SmallSendBuffers);
        var registry = host.Get<ConnectionRegistry>();
        using var ws = await RawWebSocket.ConnectAsync(host.Http, receiveBuffer: 4096);
        await ws.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, "{\"type\":\"subscribe\",\"list\":\"buy\"}"u8));

        // Per stock, never a value older than one already read, never one twice; jumps counted.
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        var (jumps, rows, updates, lists) = (0, 0, 0, 0);
        async Task Read()
        {
            var frame = await ws.NextFrame(TimeSpan.FromSeconds(10));
            Assert.NotNull(frame);
            Assert.Equal(WebSocketOpcode.Text, frame.Value.Opcode);
            using var message = System.Text.Json.JsonDocument.Parse(frame.Value.Payload);
            var type = message.RootElement.GetProperty("type").GetString();
            if (type == "signal_update") lists++;
            if (type is not ("snapshot" or "update")) return;
            if (type == "update") updates++;
            foreach (var row in message.RootElement.GetProperty("data").EnumerateArray())
            {
                var code = row.GetProperty("ts_code").GetString()!;
                var seq = row.GetProperty("seq").GetInt64();
                if (last.TryGetValue(code, out var before))
                {
                    Assert.True(seq > before, $"{code}: seq {seq} after {before}");
                    if (seq > before + 1) jumps++;
                }
                last[code] = seq;
                rows++;
            }
        }

        // Reading: the lists, their prices, a few increments.
        while (lists < 2 || updates < 3) await Read();
        var jumpsBefore = jumps;
        var victim = Assert.Single(registry.Connections);
        var skipped = victim.SkippedFrames;

        // Then nothing, until its queue is full and messages to it are being skipped.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (victim.SkippedFrames == skipped && DateTime.UtcNow < deadline)
        {
            Assert.InRange(victim.QueuedFrames, 0, 4);
            await Task.Delay(50);
        }
        Assert.True(victim.SkippedFrames > skipped, "the connection never fell behind");
        // Behind for a while: about ten ticks, so stocks move several times while it is.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(victim.Lagging);
        Assert.InRange(victim.QueuedFrames, 0, 4);

        // Reading again: what was queued, then one catch-up with the latest values (seq jumps), then
        // every delta again.
        deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline) await Read();
        Assert.True(jumps > jumpsBefore, $"no conflated row among {rows} rows after the client fell behind");
        Assert.Contains(registry.Connections, c => c.Id == victim.Id);
        Assert.False(victim.SlowClosing);
    }

    /// <summary>A WebSocket client that completes the upgrade and then never reads again.</summary>
    private sealed class StalledClient : IDisposable
    {
        private readonly Socket _socket;

        private StalledClient(Socket socket) => _socket = socket;

        public static async Task<StalledClient> ConnectAsync(Uri http)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await socket.ConnectAsync(http.Host, http.Port);
            var request = $"GET /ws/stock/prices HTTP/1.1\r\nHost: {http.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request));
            var buffer = new byte[1024];
            var n = await socket.ReceiveAsync(buffer);
            Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
            return new StalledClient(socket);
        }

        public void Dispose() => _socket.Dispose();
    }
}
