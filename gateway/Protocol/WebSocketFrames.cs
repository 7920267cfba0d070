using System.Buffers.Binary;
using System.Text;

namespace OrleansPrices.Gateway.Protocol;

/// <summary>RFC 6455 opcodes.</summary>
public static class WebSocketOpcode
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    public static bool IsControl(byte opcode) => (opcode & 0x8) != 0;
}

/// <summary>
/// Writes server frames (RFC 6455 §5.2). Server frames are never masked, so a frame built once can
/// be written, byte for byte, to every client: the broadcaster frames a <c>price_update</c> once.
/// </summary>
public static class WebSocketFrames
{
    /// <summary>Largest control frame payload (§5.5).</summary>
    public const int MaxControlPayload = 125;

    /// <summary>Bytes of an unmasked header for a payload of this length: 2, 4 or 10.</summary>
    public static int HeaderLength(long payloadLength) => payloadLength switch
    {
        <= 125 => 2,
        <= ushort.MaxValue => 4,
        _ => 10,
    };

    /// <summary>RSV1: set on the (first) frame of a message compressed with permessage-deflate (RFC 7692 §6).</summary>
    public const byte Rsv1 = 0x40;

    /// <summary>Writes a final (FIN) unmasked frame header; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, byte opcode, long payloadLength, bool compressed = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        destination[0] = (byte)(0x80 | (compressed ? Rsv1 : 0) | opcode);
        switch (payloadLength)
        {
            case <= 125:
                destination[1] = (byte)payloadLength;
                return 2;
            case <= ushort.MaxValue:
                destination[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
                return 4;
            default:
                destination[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
                return 10;
        }
    }

    /// <summary>A whole final frame: header then payload, in one array.</summary>
    public static byte[] Frame(byte opcode, ReadOnlySpan<byte> payload, bool compressed = false)
    {
        var header = HeaderLength(payload.Length);
        var frame = new byte[header + payload.Length];
        WriteHeader(frame, opcode, payload.Length, compressed);
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }

    /// <summary>A text frame carrying one whole message (UTF-8 JSON).</summary>
    public static byte[] Text(ReadOnlySpan<byte> utf8) => Frame(WebSocketOpcode.Text, utf8);

    /// <summary>A text frame whose payload is a permessage-deflate compressed message (RSV1 set).</summary>
    public static byte[] CompressedText(ReadOnlySpan<byte> deflated) => Frame(WebSocketOpcode.Text, deflated, compressed: true);

    public static byte[] Ping(ReadOnlySpan<byte> payload) => Frame(WebSocketOpcode.Ping, CheckControl(payload));

    public static byte[] Pong(ReadOnlySpan<byte> payload) => Frame(WebSocketOpcode.Pong, CheckControl(payload));

    /// <summary>A close frame with a status code and a reason cut to fit 123 bytes of UTF-8 (on a character boundary).</summary>
    public static byte[] Close(int code, string? reason)
    {
        Span<byte> payload = stackalloc byte[MaxControlPayload];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        var length = 2;
        if (!string.IsNullOrEmpty(reason))
        {
            var chars = reason.AsSpan();
            while (Encoding.UTF8.GetByteCount(chars) > MaxControlPayload - 2)
            {
                chars = chars[..^(char.IsLowSurrogate(chars[^1]) && chars.Length > 1 ? 2 : 1)];
            }
            length += Encoding.UTF8.GetBytes(chars, payload[2..]);
        }
        return Frame(WebSocketOpcode.Close, payload[..length]);
    }

    private static ReadOnlySpan<byte> CheckControl(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxControlPayload) throw new ArgumentException("a control frame payload is at most 125 bytes", nameof(payload));
        return payload;
    }
}
