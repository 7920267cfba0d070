using System.Buffers;
using System.Buffers.Binary;
using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Tests.Protocol;

/// <summary>Builds client frames (masked, unless told otherwise) and feeds bytes to a reader in pieces.</summary>
internal static class WebSocketTestFrames
{
    public static byte[] Client(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, uint mask = 0x12345678, bool masked = true, byte rsv = 0, int lengthForm = 0)
    {
        var length = payload.Length;
        var form = lengthForm != 0 ? lengthForm : length <= 125 ? 7 : length <= ushort.MaxValue ? 16 : 64;
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        var maskBit = masked ? 0x80 : 0;
        switch (form)
        {
            case 7:
                header.Add((byte)(maskBit | length));
                break;
            case 16:
                header.Add((byte)(maskBit | 126));
                header.Add((byte)(length >> 8));
                header.Add((byte)length);
                break;
            default:
                header.Add((byte)(maskBit | 127));
                var l = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(l, (ulong)length);
                header.AddRange(l);
                break;
        }
        var key = BitConverter.GetBytes(mask);
        if (masked) header.AddRange(key);
        var frame = new byte[header.Count + length];
        header.CopyTo(frame);
        for (var i = 0; i < length; i++) frame[header.Count + i] = masked ? (byte)(payload[i] ^ key[i & 3]) : payload[i];
        return frame;
    }

    public static byte[] ClientClose(int code, string reason = "", uint mask = 0xA1B2C3D4)
    {
        var payload = new byte[2 + System.Text.Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        System.Text.Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        return Client(WebSocketOpcode.Close, payload, mask: mask);
    }

    /// <summary>Everything the reader yields for these bytes, fed in one piece; stops after a failure.</summary>
    public static List<(WebSocketMessageKind Kind, byte[] Payload, int Code, string? Reason)> ReadAll(WebSocketFrameReader reader, params byte[][] frames) =>
        Feed(reader, frames.SelectMany(f => f).ToArray(), []);

    /// <summary>
    /// Feeds <paramref name="wire"/> cut at <paramref name="cuts"/>, as a pipe would: each read sees
    /// what is left unconsumed plus the new piece, in two segments.
    /// </summary>
    public static List<(WebSocketMessageKind Kind, byte[] Payload, int Code, string? Reason)> Feed(WebSocketFrameReader reader, byte[] wire, IEnumerable<int> cuts)
    {
        var results = new List<(WebSocketMessageKind, byte[], int, string?)>();
        var points = cuts.Where(c => c > 0 && c < wire.Length).Distinct().Order().Append(wire.Length).ToList();
        var pending = Array.Empty<byte>();
        var start = 0;
        foreach (var end in points)
        {
            var piece = wire[start..end];
            start = end;
            var buffer = Segments(pending, piece);
            while (reader.TryRead(ref buffer, out var m))
            {
                results.Add((m.Kind, m.Payload.ToArray(), m.CloseCode, m.Reason));
                if (m.Kind == WebSocketMessageKind.Failed) return results;
            }
            pending = buffer.ToArray();
        }
        return results;
    }

    private static ReadOnlySequence<byte> Segments(byte[] first, byte[] second)
    {
        if (first.Length == 0) return new ReadOnlySequence<byte>(second);
        if (second.Length == 0) return new ReadOnlySequence<byte>(first);
        var a = new Segment(first, 0);
        var b = a.Append(second);
        return new ReadOnlySequence<byte>(a, 0, b, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
