using System.Buffers.Binary;
using System.Text;
using CsCheck;
using OrleansPrices.Gateway.Protocol;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class WebSocketFramesTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65535, 4)]
    [InlineData(65536, 10)]
    public void Text_frame_header_uses_the_shortest_length_form(int length, int header)
    {
        var frame = WebSocketFrames.Text(new byte[length]);
        Assert.Equal(header, WebSocketFrames.HeaderLength(length));
        Assert.Equal(header + length, frame.Length);
        Assert.Equal(0x81, frame[0]); // FIN + text
        Assert.Equal(0, frame[1] & 0x80); // server frames are not masked
        var declared = header switch
        {
            2 => frame[1],
            4 => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)),
            _ => (long)BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(2)),
        };
        Assert.Equal(length, declared);
    }

    [Fact]
    public void Text_frame_carries_the_payload_after_the_header()
    {
        Gen.Byte.Array[0, 70_000].Sample(payload =>
        {
            var frame = WebSocketFrames.Text(payload);
            Assert.Equal(payload, frame.AsSpan(WebSocketFrames.HeaderLength(payload.Length)).ToArray());
        }, iter: 50);
    }

    [Fact]
    public void Close_frame_has_code_then_reason()
    {
        var frame = WebSocketFrames.Close(1009, "message exceeds 65536 bytes");
        Assert.Equal(0x88, frame[0]);
        Assert.Equal(frame.Length - 2, frame[1]);
        Assert.Equal(1009, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)));
        Assert.Equal("message exceeds 65536 bytes", Encoding.UTF8.GetString(frame.AsSpan(4)));
    }

    [Fact]
    public void Close_reason_is_cut_to_fit_a_control_frame_on_a_character_boundary()
    {
        var frame = WebSocketFrames.Close(1008, new string('茅', 100));
        Assert.True(frame.Length - 2 <= WebSocketFrames.MaxControlPayload);
        var reason = frame.AsSpan(4);
        Assert.True(System.Text.Unicode.Utf8.IsValid(reason));
        Assert.Equal(41, Encoding.UTF8.GetString(reason).Length);
    }

    [Fact]
    public void Ping_and_pong_are_final_control_frames()
    {
        Assert.Equal([0x89, 0x00], WebSocketFrames.Ping([]));
        Assert.Equal([0x8A, 0x02, 0x68, 0x69], WebSocketFrames.Pong("hi"u8));
        Assert.Throws<ArgumentException>(() => WebSocketFrames.Ping(new byte[126]));
    }
}
