using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Unicode;

namespace OrleansPrices.Gateway.Protocol;

/// <summary>What <see cref="WebSocketFrameReader"/> yields.</summary>
public enum WebSocketMessageKind
{
    Text,
    Binary,
    Ping,
    Pong,
    Close,
    /// <summary>The peer broke the protocol: close with <see cref="WebSocketMessage.CloseCode"/> and stop reading.</summary>
    Failed,
}

/// <summary>
/// One complete client message. <see cref="Payload"/> is unmasked and valid only until the next
/// call to <see cref="WebSocketFrameReader.TryRead"/>. For <see cref="WebSocketMessageKind.Close"/>
/// the code is the peer's (1005 when it sent none); for <see cref="WebSocketMessageKind.Failed"/> it is
/// the code to close with (1002, 1007 or 1009) and <see cref="Reason"/> says why.
/// </summary>
public readonly record struct WebSocketMessage(WebSocketMessageKind Kind, ReadOnlyMemory<byte> Payload, int CloseCode = 0, string? Reason = null);

/// <summary>WebSocket close codes from RFC 6455 §7.4.1 that the frame layer reports.</summary>
public static class WebSocketCloseCodes
{
    public const int Normal = 1000;
    public const int ProtocolError = 1002;
    public const int NoStatusReceived = 1005;
    public const int InvalidPayload = 1007;
    public const int MessageTooBig = 1009;

    /// <summary>Codes a peer may put in a close frame (§7.4: not 1004–1006, 1015, nor unassigned ranges).</summary>
    public static bool IsValidOnTheWire(int code) => code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);
}

/// <summary>
/// Reads client frames (RFC 6455 §5) as bytes arrive, in any split: feed it what the transport has
/// and it consumes what it can, yielding complete messages. Client frames must be masked. RSV1
/// marks a compressed message when permessage-deflate was negotiated (an <c>inflater</c> is given);
/// any other reserved bit is an error. A data message is checked against <c>maxMessageBytes</c>
/// from the declared frame lengths, before its payload is buffered, and a compressed one again as
/// it inflates (never more than the limit is inflated). Payload buffers come from the array pool
/// and go back as soon as the message is handed over, so a reader between messages holds no buffer.
/// </summary>
public sealed class WebSocketFrameReader(int maxMessageBytes, MessageInflater? inflater = null) : IDisposable
{
    private const int MaxHeaderLength = 14;

    // The frame being read.
    private bool _inPayload;
    private byte _opcode;
    private bool _fin;
    private uint _mask;
    private int _maskIndex;
    private long _remaining;

    // The message being assembled (data) and the current control frame's payload.
    private byte _messageOpcode;
    private bool _messageCompressed;
    private byte[]? _message;
    private byte[]? _inflated;
    private int _messageLength;
    private byte[]? _control;
    private int _controlLength;

    private bool _releaseMessage;
    private bool _releaseControl;
    private bool _failed;

    /// <summary>True once a protocol error was reported: the reader yields nothing more.</summary>
    public bool Failed => _failed;

    /// <summary>
    /// Consumes bytes from the front of <paramref name="buffer"/> (it is sliced past what was used)
    /// and returns true with the next complete message, or false when more bytes are needed.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out WebSocketMessage message)
    {
        ReleaseDelivered();
        message = default;
        if (_failed) return false;

        while (true)
        {
            if (!_inPayload)
            {
                var error = TryReadHeader(ref buffer, out var complete);
                if (error is not null)
                {
                    message = error.Value;
                    return true;
                }
                if (!complete) return false;
            }

            if (_remaining > 0)
            {
                if (buffer.IsEmpty) return false;
                CopyPayload(ref buffer);
                if (_remaining > 0) return false;
            }

            _inPayload = false;
            if (WebSocketOpcode.IsControl(_opcode))
            {
                message = CompleteControl();
                return true;
            }
            if (_fin)
            {
                message = CompleteData();
                return true;
            }
        }
    }

    /// <summary>Reads and validates a frame header; null unless the peer broke the protocol.</summary>
    private WebSocketMessage? TryReadHeader(ref ReadOnlySequence<byte> buffer, out bool complete)
    {
        complete = false;
        if (buffer.Length < 2) return null;
        Span<byte> header = stackalloc byte[MaxHeaderLength];
        var available = (int)Math.Min(MaxHeaderLength, buffer.Length);
        buffer.Slice(0, available).CopyTo(header);

        var b0 = header[0];
        var b1 = header[1];
        var fin = (b0 & 0x80) != 0;
        var opcode = (byte)(b0 & 0x0F);
        var rsv1 = (b0 & WebSocketFrames.Rsv1) != 0;
        if ((b0 & 0x30) != 0) return Fail(WebSocketCloseCodes.ProtocolError, "RSV2/RSV3 set: no extension defines them");
        if (rsv1 && inflater is null) return Fail(WebSocketCloseCodes.ProtocolError, "RSV1 set: permessage-deflate was not negotiated");
        if (opcode is not (WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong))
        {
            return Fail(WebSocketCloseCodes.ProtocolError, $"unknown opcode {opcode}");
        }
        if ((b1 & 0x80) == 0) return Fail(WebSocketCloseCodes.ProtocolError, "client frames must be masked");

        var length7 = b1 & 0x7F;
        var control = WebSocketOpcode.IsControl(opcode);
        if (control)
        {
            if (!fin) return Fail(WebSocketCloseCodes.ProtocolError, "fragmented control frame");
            if (length7 > WebSocketFrames.MaxControlPayload) return Fail(WebSocketCloseCodes.ProtocolError, "control frame over 125 bytes");
            if (rsv1) return Fail(WebSocketCloseCodes.ProtocolError, "RSV1 set on a control frame");
        }
        else if (opcode == WebSocketOpcode.Continuation)
        {
            if (_messageOpcode == 0) return Fail(WebSocketCloseCodes.ProtocolError, "continuation frame without a message to continue");
            if (rsv1) return Fail(WebSocketCloseCodes.ProtocolError, "RSV1 set on a continuation frame");
        }
        else if (_messageOpcode != 0)
        {
            return Fail(WebSocketCloseCodes.ProtocolError, "new data frame before the fragmented message ended");
        }

        var extra = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        var headerLength = 2 + extra + 4;
        if (available < headerLength) return null;

        long length = length7;
        if (extra == 2)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        }
        else if (extra == 8)
        {
            var raw = BinaryPrimitives.ReadUInt64BigEndian(header[2..]);
            if (raw > long.MaxValue) return Fail(WebSocketCloseCodes.ProtocolError, "64-bit length with the high bit set");
            length = (long)raw;
        }

        if (!control && _messageLength + length > maxMessageBytes)
        {
            return Fail(WebSocketCloseCodes.MessageTooBig, $"message exceeds {maxMessageBytes} bytes");
        }

        _mask = MemoryMarshal.Read<uint>(header.Slice(2 + extra, 4));
        _maskIndex = 0;
        _fin = fin;
        _opcode = opcode;
        _remaining = length;
        _inPayload = true;
        buffer = buffer.Slice(headerLength);

        if (control)
        {
            _control ??= ArrayPool<byte>.Shared.Rent(WebSocketFrames.MaxControlPayload);
            _controlLength = 0;
        }
        else
        {
            if (opcode != WebSocketOpcode.Continuation)
            {
                _messageOpcode = opcode;
                _messageCompressed = rsv1;
            }
            EnsureMessageCapacity(_messageLength + (int)length);
        }
        complete = true;
        return null;
    }

    private void CopyPayload(ref ReadOnlySequence<byte> buffer)
    {
        var take = (int)Math.Min(_remaining, buffer.Length);
        var control = WebSocketOpcode.IsControl(_opcode);
        var destination = control ? _control.AsSpan(_controlLength, take) : _message.AsSpan(_messageLength, take);
        var written = 0;
        foreach (var segment in buffer.Slice(0, take))
        {
            Unmask(segment.Span, destination[written..], _mask, ref _maskIndex);
            written += segment.Length;
        }
        if (control) _controlLength += take;
        else _messageLength += take;
        _remaining -= take;
        buffer = buffer.Slice(take);
    }

    private WebSocketMessage CompleteControl()
    {
        _releaseControl = true;
        var payload = new ReadOnlyMemory<byte>(_control, 0, _controlLength);
        switch (_opcode)
        {
            case WebSocketOpcode.Ping:
                return new WebSocketMessage(WebSocketMessageKind.Ping, payload);
            case WebSocketOpcode.Pong:
                return new WebSocketMessage(WebSocketMessageKind.Pong, payload);
            default:
                if (_controlLength == 0) return new WebSocketMessage(WebSocketMessageKind.Close, payload, WebSocketCloseCodes.NoStatusReceived);
                if (_controlLength == 1) return Fail(WebSocketCloseCodes.ProtocolError, "close frame with a 1-byte payload");
                var code = BinaryPrimitives.ReadUInt16BigEndian(payload.Span);
                if (!WebSocketCloseCodes.IsValidOnTheWire(code)) return Fail(WebSocketCloseCodes.ProtocolError, $"invalid close code {code}");
                var reason = payload.Span[2..];
                if (!Utf8.IsValid(reason)) return Fail(WebSocketCloseCodes.InvalidPayload, "close reason is not valid UTF-8");
                return new WebSocketMessage(WebSocketMessageKind.Close, payload, code, System.Text.Encoding.UTF8.GetString(reason));
        }
    }

    private WebSocketMessage CompleteData()
    {
        var opcode = _messageOpcode;
        var payload = new ReadOnlyMemory<byte>(_message ?? [], 0, _messageLength);
        var compressed = _messageCompressed;
        _messageOpcode = 0;
        _messageCompressed = false;
        _messageLength = 0;
        _releaseMessage = true;
        if (compressed)
        {
            switch (inflater!.Inflate(payload, maxMessageBytes, out _inflated, out var length))
            {
                case InflateOutcome.TooBig:
                    return Fail(WebSocketCloseCodes.MessageTooBig, $"message exceeds {maxMessageBytes} bytes once inflated");
                case InflateOutcome.Corrupt:
                    return Fail(WebSocketCloseCodes.InvalidPayload, "invalid permessage-deflate data");
            }
            payload = new ReadOnlyMemory<byte>(_inflated, 0, length);
        }
        if (opcode == WebSocketOpcode.Text)
        {
            return Utf8.IsValid(payload.Span)
                ? new WebSocketMessage(WebSocketMessageKind.Text, payload)
                : Fail(WebSocketCloseCodes.InvalidPayload, "text message is not valid UTF-8");
        }
        return new WebSocketMessage(WebSocketMessageKind.Binary, payload);
    }

    private void EnsureMessageCapacity(int needed)
    {
        if (needed == 0 || (_message is not null && _message.Length >= needed)) return;
        var bigger = ArrayPool<byte>.Shared.Rent(needed);
        if (_message is not null)
        {
            _message.AsSpan(0, _messageLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_message);
        }
        _message = bigger;
    }

    private WebSocketMessage Fail(int code, string reason)
    {
        _failed = true;
        return new WebSocketMessage(WebSocketMessageKind.Failed, ReadOnlyMemory<byte>.Empty, code, reason);
    }

    /// <summary>Returns the buffers of the message handed over by the previous call.</summary>
    private void ReleaseDelivered()
    {
        if (_releaseMessage)
        {
            _releaseMessage = false;
            if (_inflated is not null)
            {
                ArrayPool<byte>.Shared.Return(_inflated);
                _inflated = null;
            }
            if (_message is not null && _messageOpcode == 0)
            {
                ArrayPool<byte>.Shared.Return(_message);
                _message = null;
            }
        }
        if (_releaseControl)
        {
            _releaseControl = false;
            if (_control is not null && !(_inPayload && WebSocketOpcode.IsControl(_opcode)))
            {
                ArrayPool<byte>.Shared.Return(_control);
                _control = null;
            }
        }
    }

    /// <summary>XORs <paramref name="source"/> with the 4-byte mask starting at <paramref name="index"/>, 8 bytes at a time.</summary>
    internal static void Unmask(ReadOnlySpan<byte> source, Span<byte> destination, uint mask, ref int index)
    {
        Span<byte> key = stackalloc byte[8];
        Span<byte> maskBytes = stackalloc byte[4];
        MemoryMarshal.Write(maskBytes, in mask);
        for (var k = 0; k < 8; k++) key[k] = maskBytes[(index + k) & 3];
        var wide = MemoryMarshal.Read<ulong>(key);
        var i = 0;
        for (; i + 8 <= source.Length; i += 8)
        {
            MemoryMarshal.Write(destination[i..], MemoryMarshal.Read<ulong>(source[i..]) ^ wide);
        }
        for (; i < source.Length; i++) destination[i] = (byte)(source[i] ^ key[i & 7]);
        index = (index + source.Length) & 3;
    }

    public void Dispose()
    {
        if (_message is not null) ArrayPool<byte>.Shared.Return(_message);
        if (_control is not null) ArrayPool<byte>.Shared.Return(_control);
        if (_inflated is not null) ArrayPool<byte>.Shared.Return(_inflated);
        _inflated = null;
        inflater?.Dispose();
        _message = null;
        _control = null;
    }
}
