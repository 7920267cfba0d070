using System.Net.WebSockets;
using System.Text;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using OrleansPrices.Tests.Protocol;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>The gateway's own RFC 6455 implementation against real peers: framing errors, fragments, closes.</summary>
public sealed class WebSocketProtocolTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task Connected_announces_the_default_heartbeat_interval_of_30_s()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        var connected = await ws.Next("connected");
        Assert.Equal("WebSocket connected", connected.GetProperty("message").GetString());
        Assert.Equal(30, connected.GetProperty("heartbeat_interval").GetInt32());
    }

    [Fact]
    public async Task An_unmasked_client_frame_closes_with_1002()
    {
        using var raw = await RawWebSocket.ConnectAsync(Host.Http);
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, "{\"type\":\"ping\"}"u8, masked: false));
        Assert.Equal(WebSocketCloseCodes.ProtocolError, await raw.NextClose(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Invalid_utf8_text_closes_with_1007()
    {
        using var raw = await RawWebSocket.ConnectAsync(Host.Http);
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, [0x7B, 0xC3, 0x28, 0x7D]));
        Assert.Equal(WebSocketCloseCodes.InvalidPayload, await raw.NextClose(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Reserved_bits_close_with_1002()
    {
        using var raw = await RawWebSocket.ConnectAsync(Host.Http);
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, "{}"u8, rsv: 4));
        Assert.Equal(WebSocketCloseCodes.ProtocolError, await raw.NextClose(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task With_deflate_off_an_offer_is_ignored_and_rsv1_closes_with_1002()
    {
        using var raw = await RawWebSocket.ConnectAsync(Host.Http, "permessage-deflate; client_max_window_bits");
        Assert.DoesNotContain("Sec-WebSocket-Extensions", raw.Head, StringComparison.OrdinalIgnoreCase);
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, "{}"u8, rsv: 4));
        Assert.Equal(WebSocketCloseCodes.ProtocolError, await raw.NextClose(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_ping_frame_gets_a_pong_with_its_payload()
    {
        using var raw = await RawWebSocket.ConnectAsync(Host.Http);
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Ping, "hello"u8));
        while (true)
        {
            var frame = await raw.NextFrame(TimeSpan.FromSeconds(10));
            Assert.NotNull(frame);
            if (frame.Value.Opcode != WebSocketOpcode.Pong) continue;
            Assert.Equal("hello"u8.ToArray(), frame.Value.Payload);
            break;
        }
    }

    [Fact]
    public async Task A_fragmented_message_is_reassembled()
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(Host.WebSocket, CancellationToken.None);
        var parts = new[] { "{\"ty", "pe\":\"pi", "ng\"}" };
        for (var i = 0; i < parts.Length; i++)
        {
            await ws.SendAsync(Encoding.UTF8.GetBytes(parts[i]), WebSocketMessageType.Text, endOfMessage: i == parts.Length - 1, CancellationToken.None);
        }
        var buffer = new byte[1 << 16];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, cts.Token);
            Assert.True(r.EndOfMessage);
            if (Encoding.UTF8.GetString(buffer, 0, r.Count).Contains("\"type\":\"pong\"", StringComparison.Ordinal)) break;
        }
    }

    [Fact]
    public async Task A_client_close_is_answered_with_a_close()
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(Host.WebSocket, CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketState.Closed, ws.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
    }

    [Fact]
    public async Task A_plain_http_request_gets_426()
    {
        using var http = new HttpClient { BaseAddress = Host.Http };
        var response = await http.GetAsync(new Uri("/ws/stock/prices", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Contains("WebSocket", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

/// <summary>The heartbeat runs from the registry's sweep: pings to silent peers, dead peers closed.</summary>
public sealed class HeartbeatTests
{
    [Fact]
    public async Task Silent_peers_are_pinged_and_closed_after_the_timeout_while_answering_peers_stay()
    {
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            // The answering peer has every ping of 9 s to answer in: with a 3 s timeout it had 1-2 s,
            // and on a loaded machine it was once taken for dead.
            ["Gateway:HeartbeatInterval"] = "00:00:01",
            ["Gateway:HeartbeatTimeout"] = "00:00:10",
        });
        await using var alive = await TestSocket.ConnectAsync(host.WebSocket); // ClientWebSocket answers pings itself
        Assert.Equal(1, (await alive.Next("connected")).GetProperty("heartbeat_interval").GetInt32());
        using var silent = await RawWebSocket.ConnectAsync(host.Http);

        // The silent peer is pinged...
        var pinged = false;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!pinged && DateTime.UtcNow < deadline)
        {
            var frame = await silent.NextFrame(deadline - DateTime.UtcNow);
            Assert.NotNull(frame);
            pinged = frame.Value.Opcode == WebSocketOpcode.Ping;
        }
        Assert.True(pinged, "a ping within the heartbeat interval");

        // ...never answers, and is dropped once the timeout has passed.
        Assert.True(await silent.EndsWithin(TimeSpan.FromSeconds(30)), "the silent peer is closed after the heartbeat timeout");

        // The peer that answers pings is still connected well past the timeout.
        await alive.SendText("{\"type\":\"ping\"}");
        await alive.Next("pong");
        Assert.Equal(WebSocketState.Open, alive.State);
    }
}
