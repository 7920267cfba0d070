using System.Text;
using CsCheck;
using OrleansPrices.Gateway.Protocol;
using Xunit;
using static OrleansPrices.Tests.Protocol.WebSocketTestFrames;

namespace OrleansPrices.Tests.Protocol;

public sealed class WebSocketFrameReaderTests
{
    private const int Max = 64 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    public void A_masked_text_frame_is_unmasked(int length)
    {
        var text = new string('a', length);
        using var reader = new WebSocketFrameReader(Max);
        var m = Assert.Single(ReadAll(reader, Client(WebSocketOpcode.Text, Encoding.UTF8.GetBytes(text))));
        Assert.Equal(WebSocketMessageKind.Text, m.Kind);
        Assert.Equal(text, Encoding.UTF8.GetString(m.Payload));
    }

    [Fact]
    public void A_64_bit_length_is_read()
    {
        var payload = Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray();
        using var reader = new WebSocketFrameReader(100_000);
        var m = Assert.Single(ReadAll(reader, Client(WebSocketOpcode.Binary, payload)));
        Assert.Equal(WebSocketMessageKind.Binary, m.Kind);
        Assert.Equal(payload, m.Payload);
    }

    [Fact]
    public void A_non_minimal_length_form_is_accepted()
    {
        using var reader = new WebSocketFrameReader(Max);
        var m = Assert.Single(ReadAll(reader, Client(WebSocketOpcode.Text, "hi"u8, lengthForm: 64)));
        Assert.Equal("hi"u8.ToArray(), m.Payload);
    }

    [Fact]
    public void Fragments_are_reassembled_with_control_frames_in_between()
    {
        using var reader = new WebSocketFrameReader(Max);
        var got = ReadAll(reader,
            Client(WebSocketOpcode.Text, "{\"type\""u8, fin: false),
            Client(WebSocketOpcode.Ping, "p1"u8),
            Client(WebSocketOpcode.Continuation, ":\"pi"u8, fin: false, mask: 0xDEADBEEF),
            Client(WebSocketOpcode.Pong, ""u8),
            Client(WebSocketOpcode.Continuation, "ng\"}"u8, mask: 7));
        Assert.Equal([WebSocketMessageKind.Ping, WebSocketMessageKind.Pong, WebSocketMessageKind.Text], got.Select(m => m.Kind));
        Assert.Equal("p1"u8.ToArray(), got[0].Payload);
        Assert.Equal("{\"type\":\"ping\"}", Encoding.UTF8.GetString(got[2].Payload));
    }

    [Fact]
    public void A_utf8_character_split_across_fragments_is_valid()
    {
        var bytes = Encoding.UTF8.GetBytes("贵州茅台");
        using var reader = new WebSocketFrameReader(Max);
        var got = ReadAll(reader, Client(WebSocketOpcode.Text, bytes.AsSpan(0, 4), fin: false), Client(WebSocketOpcode.Continuation, bytes.AsSpan(4)));
        Assert.Equal("贵州茅台", Encoding.UTF8.GetString(Assert.Single(got).Payload));
    }

    [Fact]
    public void Close_carries_code_and_reason()
    {
        using var reader = new WebSocketFrameReader(Max);
        var m = Assert.Single(ReadAll(reader, ClientClose(1001, "going")));
        Assert.Equal(WebSocketMessageKind.Close, m.Kind);
        Assert.Equal(1001, m.Code);
        Assert.Equal("going", m.Reason);
    }

    [Fact]
    public void Close_without_a_code_reports_1005()
    {
        using var reader = new WebSocketFrameReader(Max);
        var m = Assert.Single(ReadAll(reader, Client(WebSocketOpcode.Close, ""u8)));
        Assert.Equal((WebSocketMessageKind.Close, WebSocketCloseCodes.NoStatusReceived), (m.Kind, m.Code));
    }

    public static TheoryData<string, byte[], int> Violations => new()
    {
        { "unmasked", Client(WebSocketOpcode.Text, "{}"u8, masked: false), 1002 },
        { "rsv1", Client(WebSocketOpcode.Text, "{}"u8, rsv: 4), 1002 },
        { "rsv3", Client(WebSocketOpcode.Text, "{}"u8, rsv: 1), 1002 },
        { "opcode 3", Client(3, "{}"u8), 1002 },
        { "opcode 11", Client(11, ""u8), 1002 },
        { "ping of 126", Client(WebSocketOpcode.Ping, new byte[126]), 1002 },
        { "fragmented ping", Client(WebSocketOpcode.Ping, "x"u8, fin: false), 1002 },
        { "continuation first", Client(WebSocketOpcode.Continuation, "x"u8), 1002 },
        { "text inside a fragmented text", [.. Client(WebSocketOpcode.Text, "x"u8, fin: false), .. Client(WebSocketOpcode.Text, "y"u8)], 1002 },
        { "close of 1 byte", Client(WebSocketOpcode.Close, [3]), 1002 },
        { "close code 1005", ClientClose(1005), 1002 },
        { "close code 999", ClientClose(999), 1002 },
        { "close code 2000", ClientClose(2000), 1002 },
        { "invalid utf-8 text", Client(WebSocketOpcode.Text, [0x7B, 0xC3, 0x28, 0x7D]), 1007 },
        { "overlong utf-8", Client(WebSocketOpcode.Text, [0xC0, 0xAF]), 1007 },
        { "surrogate in utf-8", Client(WebSocketOpcode.Text, [0xED, 0xA0, 0x80]), 1007 },
        { "truncated utf-8 at the end", [.. Client(WebSocketOpcode.Text, [0xE8, 0xB4], fin: false), .. Client(WebSocketOpcode.Continuation, ""u8)], 1007 },
        { "invalid utf-8 close reason", Client(WebSocketOpcode.Close, [0x03, 0xE8, 0xFF]), 1007 },
        { "one frame over the limit", Client(WebSocketOpcode.Text, new byte[Max + 1]), 1009 },
        { "fragments over the limit", [.. Client(WebSocketOpcode.Binary, new byte[Max], fin: false), .. Client(WebSocketOpcode.Continuation, new byte[1])], 1009 },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Protocol_violations_fail_with_the_right_close_code(string name, byte[] wire, int code)
    {
        using var reader = new WebSocketFrameReader(Max);
        var got = ReadAll(reader, wire);
        var last = got[^1];
        Assert.True(last.Kind == WebSocketMessageKind.Failed, name);
        Assert.Equal(code, last.Code);
        Assert.False(string.IsNullOrEmpty(last.Reason));
        Assert.True(reader.Failed);
        var rest = new System.Buffers.ReadOnlySequence<byte>(Client(WebSocketOpcode.Text, "{}"u8));
        Assert.False(reader.TryRead(ref rest, out _));
    }

    [Fact]
    public void Too_big_is_reported_from_the_header_alone()
    {
        // Only the 10-byte header of a 1 MiB frame has arrived: no payload is buffered or needed.
        var header = Client(WebSocketOpcode.Text, new byte[1 << 20])[..14];
        using var reader = new WebSocketFrameReader(Max);
        var m = Assert.Single(ReadAll(reader, header));
        Assert.Equal((WebSocketMessageKind.Failed, WebSocketCloseCodes.MessageTooBig), (m.Kind, m.Code));
    }

    [Fact]
    public void A_message_of_exactly_the_limit_is_accepted()
    {
        using var reader = new WebSocketFrameReader(Max);
        var m = Assert.Single(ReadAll(reader, Client(WebSocketOpcode.Binary, new byte[Max])));
        Assert.Equal(Max, m.Payload.Length);
    }

    [Fact]
    public void An_unmasked_frame_fails_on_its_first_two_bytes()
    {
        using var reader = new WebSocketFrameReader(Max);
        var m = Assert.Single(ReadAll(reader, Client(WebSocketOpcode.Text, new byte[300], masked: false)[..2]));
        Assert.Equal(1002, m.Code);
    }

    [Fact]
    public void Bytes_arriving_one_at_a_time_give_the_same_messages()
    {
        var wire = Client(WebSocketOpcode.Text, Encoding.UTF8.GetBytes(new string('z', 300)), fin: false)
            .Concat(Client(WebSocketOpcode.Ping, "abc"u8))
            .Concat(Client(WebSocketOpcode.Continuation, "!"u8))
            .ToArray();
        using var reader = new WebSocketFrameReader(Max);
        var got = Feed(reader, wire, Enumerable.Range(1, wire.Length));
        Assert.Equal([WebSocketMessageKind.Ping, WebSocketMessageKind.Text], got.Select(m => m.Kind));
        Assert.Equal(new string('z', 300) + "!", Encoding.UTF8.GetString(got[1].Payload));
    }

    private sealed record Sent(WebSocketMessageKind Kind, byte[] Payload);

    private static readonly Gen<Sent> GenSent = Gen.Int[0, 9].SelectMany(kind => kind switch
    {
        <= 3 => Gen.Char.Array[0, 300].Select(c => new Sent(WebSocketMessageKind.Text, Encoding.UTF8.GetBytes(c))),
        <= 5 => Gen.Byte.Array[0, 300].Select(b => new Sent(WebSocketMessageKind.Binary, b)),
        6 => Gen.Int[60_000, 70_000].Select(n => new Sent(WebSocketMessageKind.Binary, Enumerable.Range(0, n).Select(i => (byte)(i * 7)).ToArray())),
        7 => Gen.Byte.Array[0, 125].Select(b => new Sent(WebSocketMessageKind.Ping, b)),
        _ => Gen.Byte.Array[0, 125].Select(b => new Sent(WebSocketMessageKind.Pong, b)),
    });

    /// <summary>Frames the messages (data split into fragments with control frames between them), random masks.</summary>
    private static byte[] Wire(IReadOnlyList<Sent> messages, int seed)
    {
        var random = new Random(seed);
        var wire = new List<byte>();
        var pendingControl = new Queue<Sent>();
        foreach (var m in messages)
        {
            var mask = (uint)random.Next() ^ ((uint)random.Next() << 16);
            if (m.Kind is WebSocketMessageKind.Ping or WebSocketMessageKind.Pong)
            {
                wire.AddRange(Client(m.Kind == WebSocketMessageKind.Ping ? WebSocketOpcode.Ping : WebSocketOpcode.Pong, m.Payload, mask: mask));
                continue;
            }
            var opcode = m.Kind == WebSocketMessageKind.Text ? WebSocketOpcode.Text : WebSocketOpcode.Binary;
            var pieces = random.Next(1, 5);
            var cuts = Enumerable.Range(0, pieces - 1).Select(_ => random.Next(0, m.Payload.Length + 1)).Order().Append(m.Payload.Length).ToList();
            var start = 0;
            for (var i = 0; i < cuts.Count; i++)
            {
                var fin = i == cuts.Count - 1;
                wire.AddRange(Client(i == 0 ? opcode : WebSocketOpcode.Continuation, m.Payload.AsSpan(start, cuts[i] - start), fin, mask: mask + (uint)i));
                start = cuts[i];
            }
        }
        return [.. wire];
    }

    [Fact]
    public void Any_messages_framed_with_random_masks_and_split_anywhere_come_out_as_sent()
    {
        Gen.Select(GenSent.List[1, 8], Gen.Int, Gen.Int[0, 40].SelectMany(n => Gen.Int[0, 200_000].Array[n]))
            .Sample((messages, seed, cuts) =>
            {
                var wire = Wire(messages, seed);
                using var reader = new WebSocketFrameReader(100_000);
                var got = Feed(reader, wire, cuts.Select(c => c % (wire.Length + 1)));
                Assert.Equal(messages.Count, got.Count);
                for (var i = 0; i < messages.Count; i++)
                {
                    Assert.Equal(messages[i].Kind, got[i].Kind);
                    Assert.Equal(messages[i].Payload, got[i].Payload);
                }
            }, iter: 300);
    }

    [Fact]
    public void Control_frames_interleaved_in_a_fragmented_message_keep_their_order()
    {
        Gen.Select(Gen.Byte.Array[1, 500], Gen.Byte.Array[0, 125].List[0, 4], Gen.Int)
            .Sample((payload, controls, seed) =>
            {
                var random = new Random(seed);
                var wire = new List<byte>();
                var half = payload.Length / 2;
                wire.AddRange(Client(WebSocketOpcode.Binary, payload.AsSpan(0, half), fin: false, mask: (uint)random.Next()));
                foreach (var c in controls) wire.AddRange(Client(WebSocketOpcode.Ping, c, mask: (uint)random.Next()));
                wire.AddRange(Client(WebSocketOpcode.Continuation, payload.AsSpan(half), mask: (uint)random.Next()));
                using var reader = new WebSocketFrameReader(Max);
                var got = Feed(reader, [.. wire], Enumerable.Range(0, 5).Select(_ => random.Next(wire.Count)));
                Assert.Equal(controls.Count + 1, got.Count);
                for (var i = 0; i < controls.Count; i++) Assert.Equal(controls[i], got[i].Payload);
                Assert.Equal(payload, got[^1].Payload);
            }, iter: 200);
    }

    [Fact]
    public void Unmask_matches_a_byte_by_byte_xor_from_any_offset()
    {
        Gen.Select(Gen.Byte.Array[0, 100], Gen.UInt, Gen.Int[0, 3]).Sample((data, mask, index) =>
        {
            var key = BitConverter.GetBytes(mask);
            var expected = data.Select((b, i) => (byte)(b ^ key[(index + i) & 3])).ToArray();
            var actual = new byte[data.Length];
            var at = index;
            WebSocketFrameReader.Unmask(data, actual, mask, ref at);
            Assert.Equal(expected, actual);
            Assert.Equal((index + data.Length) & 3, at);
        });
    }

    private static byte[] Deflated(string text) =>
        MessageCompressionTests.CompressWithContext([Encoding.UTF8.GetBytes(text)])[0];

    [Fact]
    public void A_compressed_message_is_inflated_when_deflate_was_negotiated()
    {
        const string text = "{\"type\":\"subscribe\",\"codes\":[\"600000.SH\",\"600000.SH\",\"600000.SH\"]}";
        var compressed = Deflated(text);
        using var reader = new WebSocketFrameReader(Max, new MessageInflater(contextTakeover: true));
        var wire = Concat(
            Client(WebSocketOpcode.Text, compressed, rsv: 4),
            Client(WebSocketOpcode.Text, "{}"u8),
            // A fragmented compressed message: RSV1 on its first frame only.
            Client(WebSocketOpcode.Text, compressed.AsSpan(0, 5), fin: false, rsv: 4),
            Client(WebSocketOpcode.Ping, "p"u8),
            Client(WebSocketOpcode.Continuation, compressed.AsSpan(5)));
        var got = Feed(reader, wire, [3, 17, 40]);
        Assert.Equal([WebSocketMessageKind.Text, WebSocketMessageKind.Text, WebSocketMessageKind.Ping, WebSocketMessageKind.Text], got.Select(m => m.Kind));
        Assert.Equal(text, Encoding.UTF8.GetString(got[0].Payload));
        Assert.Equal("{}", Encoding.UTF8.GetString(got[1].Payload));
        Assert.Equal(text, Encoding.UTF8.GetString(got[3].Payload));
    }

    public static TheoryData<string, byte[], int> DeflateViolations => new()
    {
        { "rsv1 on a continuation", [.. Client(WebSocketOpcode.Text, "x"u8, fin: false), .. Client(WebSocketOpcode.Continuation, "y"u8, rsv: 4)], 1002 },
        { "rsv1 on a ping", Client(WebSocketOpcode.Ping, "p"u8, rsv: 4), 1002 },
        { "rsv2", Client(WebSocketOpcode.Text, "{}"u8, rsv: 2), 1002 },
        { "corrupt deflate data", Client(WebSocketOpcode.Text, [0xFF, 0xFF, 0xFF, 0x12, 0x34], rsv: 4), 1007 },
        { "inflates past the limit", Client(WebSocketOpcode.Binary, new MessageCompressor(System.IO.Compression.CompressionLevel.Optimal, 0).TryCompress(new byte[Max + 1])!, rsv: 4), 1009 },
        { "inflates to invalid utf-8", Client(WebSocketOpcode.Text, MessageCompressionTests.CompressWithContext([[0xC0, 0xAF, 0xC0, 0xAF]])[0], rsv: 4), 1007 },
    };

    [Theory]
    [MemberData(nameof(DeflateViolations))]
    public void Deflate_violations_fail_with_the_right_close_code(string name, byte[] wire, int code)
    {
        using var reader = new WebSocketFrameReader(Max, new MessageInflater(contextTakeover: true));
        var last = ReadAll(reader, wire)[^1];
        Assert.True(last.Kind == WebSocketMessageKind.Failed, name);
        Assert.Equal(code, last.Code);
        Assert.False(string.IsNullOrEmpty(last.Reason));
    }

    private static byte[] Concat(params byte[][] frames) => frames.SelectMany(f => f).ToArray();
}
