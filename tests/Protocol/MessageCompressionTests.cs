using System.Buffers;
using System.IO.Compression;
using System.Text;
using OrleansPrices.Gateway.Protocol;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class MessageCompressionTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(
        "{\"type\":\"price_update\",\"data\":[" + string.Join(",", Enumerable.Range(0, 40).Select(i => $"{{\"ts_code\":\"6000{i:00}.SH\",\"price\":{10 + i * 0.01:0.00},\"pct_chg\":1.25}}")) + "]}");

    [Fact]
    public void A_compressed_message_has_no_flush_tail_and_inflates_with_a_standard_raw_inflater()
    {
        var compressed = new MessageCompressor(CompressionLevel.Fastest, 16).TryCompress(Json);
        Assert.NotNull(compressed);
        Assert.True(compressed.Length < Json.Length / 2);
        Assert.False(compressed.AsSpan()[^4..].SequenceEqual(new byte[] { 0, 0, 0xFF, 0xFF }));

        // RFC 7692 §7.2.2: the receiver appends 00 00 ff ff and inflates.
        using var input = new MemoryStream([.. compressed, 0, 0, 0xFF, 0xFF]);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        Assert.Equal(Json, output.ToArray());
    }

    [Fact]
    public void Short_or_incompressible_messages_are_left_alone()
    {
        var compressor = new MessageCompressor(CompressionLevel.Fastest, 256);
        Assert.Null(compressor.TryCompress("{\"type\":\"pong\"}"u8));
        var random = new byte[1000];
        new Random(7).NextBytes(random);
        Assert.Null(compressor.TryCompress(random));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_inflater_reads_a_series_of_messages(bool contextTakeover)
    {
        var messages = Enumerable.Range(0, 5).Select(i => Encoding.UTF8.GetBytes($"{{\"type\":\"subscribe\",\"codes\":[\"60000{i}.SH\",\"000001.SZ\"],\"id\":{i}}}")).ToList();
        // A client keeping its context compresses message n with messages 0..n-1 as its window.
        var compressed = contextTakeover ? CompressWithContext(messages) : messages.Select(m => CompressWithContext([m])[0]).ToList();
        using var inflater = new MessageInflater(contextTakeover);
        for (var i = 0; i < messages.Count; i++)
        {
            Assert.Equal(InflateOutcome.Ok, inflater.Inflate(compressed[i], 1000, out var output, out var length));
            Assert.Equal(messages[i], output.AsSpan(0, length).ToArray());
            ArrayPool<byte>.Shared.Return(output!);
            Assert.Equal(contextTakeover, inflater.HoldsContext);
        }
    }

    [Fact]
    public void A_message_ending_its_deflate_stream_does_not_break_the_next_one()
    {
        // A final block (BFINAL) ends the stream; the next message starts a new one.
        using var inflater = new MessageInflater(contextTakeover: true);
        foreach (var text in new[] { "first message", "second message" })
        {
            using var buffer = new MemoryStream();
            using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) deflate.Write(Encoding.UTF8.GetBytes(text));
            Assert.Equal(InflateOutcome.Ok, inflater.Inflate(buffer.ToArray(), 1000, out var output, out var length));
            Assert.Equal(text, Encoding.UTF8.GetString(output!, 0, length));
            ArrayPool<byte>.Shared.Return(output!);
        }
    }

    [Fact]
    public void A_decompression_bomb_stops_at_the_limit()
    {
        // 16 MiB of zeros compress to about 16 KiB; the limit is 64 KiB.
        var bomb = new MessageCompressor(CompressionLevel.SmallestSize, 0).TryCompress(new byte[16 * 1024 * 1024])!;
        Assert.True(bomb.Length < 64 * 1024);
        using var inflater = new MessageInflater(contextTakeover: true);
        Assert.Equal(InflateOutcome.TooBig, inflater.Inflate(bomb, 64 * 1024, out var output, out var length));
        Assert.Null(output);
        Assert.Equal(0, length);
    }

    [Fact]
    public void Corrupt_deflate_data_is_reported()
    {
        using var inflater = new MessageInflater(contextTakeover: true);
        Assert.Equal(InflateOutcome.Corrupt, inflater.Inflate(new byte[] { 0xFF, 0xFF, 0xFF, 0x12, 0x34 }, 1000, out var output, out _));
        Assert.Null(output);
    }

    /// <summary>As a client keeping its context does: one DEFLATE stream, a sync flush after each message, its 00 00 ff ff removed.</summary>
    internal static List<byte[]> CompressWithContext(List<byte[]> messages)
    {
        var result = new List<byte[]>();
        using var buffer = new MemoryStream();
        using var deflate = new DeflateStream(buffer, CompressionLevel.Optimal);
        foreach (var m in messages)
        {
            var start = (int)buffer.Length;
            deflate.Write(m);
            deflate.Flush();
            result.Add(buffer.ToArray()[start..^4]);
        }
        return result;
    }
}
