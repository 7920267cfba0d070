using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using OrleansPrices.Tests.Protocol;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>A gateway with <c>Gateway:PerMessageDeflate</c> on.</summary>
public sealed class DeflateGatewayFixture : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await GatewayHost.StartAsync(new Dictionary<string, string?>
    {
        ["Gateway:PerMessageDeflate"] = "true",
        // A snapshot of one row is compressed too (it gets smaller), so the reply test does not depend on how many rows it has.
        ["Gateway:DeflateMinBytes"] = "64",
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// permessage-deflate end to end: one broadcast compressed once and sent compressed to clients
/// that negotiated it and plain to the others; compressed client messages inflated; compressed
/// replies; corrupt data and decompression bombs closing the connection.
/// </summary>
public sealed class CompressionTests(DeflateGatewayFixture fixture) : IClassFixture<DeflateGatewayFixture>
{
    private const string Offer = "permessage-deflate; client_max_window_bits";
    private const string Accepted = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task One_broadcast_reaches_deflate_clients_compressed_and_the_others_plain()
    {
        using var deflating = await RawWebSocket.ConnectAsync(Host.Http, Offer);
        using var plain = await RawWebSocket.ConnectAsync(Host.Http);
        await using var dotnet = await TestSocket.ConnectAsync(Host.WebSocket, o =>
        {
            o.DangerousDeflateOptions = new WebSocketDeflateOptions();
            o.CollectHttpResponseDetails = true;
        });
        Assert.Contains(Accepted, deflating.Head, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", plain.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("permessage-deflate; server_no_context_takeover", Assert.Single(dotnet.ResponseHeaders!["Sec-WebSocket-Extensions"]));

        // The .NET client connected last: from its first broadcast on, all three get every broadcast.
        var first = (await dotnet.Next("price_update", Wait)).GetProperty("seq").GetInt64();

        // A later compressed price_update, inflated here with a standard raw inflater.
        string? json = null;
        while (json is null)
        {
            var frame = await deflating.NextFrame(Wait) ?? throw new InvalidOperationException("closed");
            if (!deflating.LastCompressed) continue;
            var text = Inflate(frame.Payload);
            if (Type(text) == "price_update" && Seq(text) > first) json = text;
        }
        var seq = JsonDocument.Parse(json).RootElement.GetProperty("seq").GetInt64();

        // The plain client got the very same message, uncompressed.
        while (true)
        {
            var frame = await plain.NextFrame(Wait) ?? throw new InvalidOperationException("closed");
            Assert.False(plain.LastCompressed);
            var text = Encoding.UTF8.GetString(frame.Payload);
            if (Type(text) != "price_update" || Seq(text) < seq) continue;
            Assert.Equal(seq, Seq(text));
            Assert.Equal(json, text);
            break;
        }

        // ClientWebSocket checked RSV1 and inflated the same broadcast.
        while (true)
        {
            var m = await dotnet.Next("price_update", Wait);
            if (m.GetProperty("seq").GetInt64() < seq) continue;
            Assert.Equal(seq, m.GetProperty("seq").GetInt64());
            Assert.Equal(JsonDocument.Parse(json).RootElement.GetProperty("data").GetRawText(), m.GetProperty("data").GetRawText());
            break;
        }
    }

    [Fact]
    public async Task A_compressed_subscribe_is_inflated_and_the_snapshot_comes_back_compressed()
    {
        var codes = new[] { "600519.SH", "000001.SZ", "300750.SZ", "600000.SH", "601318.SH", "000858.SZ" };
        var subscribe = JsonSerializer.SerializeToUtf8Bytes(new { type = "subscribe", id = "z1", codes });

        // ClientWebSocket compresses what it sends and inflates what it receives.
        await using (var dotnet = await TestSocket.ConnectAsync(Host.WebSocket, o => o.DangerousDeflateOptions = new WebSocketDeflateOptions()))
        {
            await dotnet.Next("connected");
            await dotnet.SendText(Encoding.UTF8.GetString(subscribe));
            Assert.Equal(codes.Length, (await dotnet.Next("subscribed")).GetProperty("codes").GetArrayLength());
            Assert.All((await dotnet.Next("snapshot")).GetProperty("data").EnumerateArray(), r => Assert.Contains(r.GetProperty("ts_code").GetString(), codes));
        }

        // The same on the wire: a masked RSV1 frame in, an RSV1 snapshot out.
        using var raw = await RawWebSocket.ConnectAsync(Host.Http, Offer);
        var compressed = new MessageCompressor(CompressionLevel.Optimal, 0).TryCompress(subscribe)!;
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, compressed, rsv: 4));
        while (true)
        {
            var frame = await raw.NextFrame(Wait) ?? throw new InvalidOperationException("closed");
            var text = raw.LastCompressed ? Inflate(frame.Payload) : Encoding.UTF8.GetString(frame.Payload);
            if (Type(text) != "snapshot") continue;
            Assert.True(raw.LastCompressed);
            Assert.All(JsonDocument.Parse(text).RootElement.GetProperty("data").EnumerateArray(), r => Assert.Contains(r.GetProperty("ts_code").GetString(), codes));
            break;
        }
    }

    [Fact]
    public async Task A_decompression_bomb_closes_with_1009()
    {
        using var raw = await RawWebSocket.ConnectAsync(Host.Http, Offer);
        // 16 MiB of spaces in about 16 KiB: under the 64 KiB limit on the wire, far over it inflated.
        var bomb = new MessageCompressor(CompressionLevel.SmallestSize, 0).TryCompress(Enumerable.Repeat((byte)' ', 16 << 20).ToArray())!;
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, bomb, rsv: 4));
        Assert.Equal(WebSocketCloseCodes.MessageTooBig, await raw.NextClose(Wait));
    }

    [Fact]
    public async Task Corrupt_deflate_data_closes_with_1007()
    {
        using var raw = await RawWebSocket.ConnectAsync(Host.Http, Offer);
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, [0xFF, 0xFF, 0xFF, 0x12, 0x34], rsv: 4));
        Assert.Equal(WebSocketCloseCodes.InvalidPayload, await raw.NextClose(Wait));
    }

    private static string Inflate(byte[] payload)
    {
        using var input = new MemoryStream([.. payload, 0, 0, 0xFF, 0xFF]);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static string? Type(string json) => JsonDocument.Parse(json).RootElement.GetProperty("type").GetString();

    private static long Seq(string json) => JsonDocument.Parse(json).RootElement.GetProperty("seq").GetInt64();
}
