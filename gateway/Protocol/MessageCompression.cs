using System.Buffers;
using System.IO.Compression;

namespace OrleansPrices.Gateway.Protocol;

/// <summary>
/// Compresses one server message for permessage-deflate (RFC 7692 §7.2.1) with no context kept
/// between messages: DEFLATE, a sync flush, and the flush's trailing <c>00 00 ff ff</c> removed.
/// Thread-safe: each call has its own deflater, so a broadcast is compressed once and shared.
/// </summary>
public sealed class MessageCompressor(CompressionLevel level, int minBytes)
{
    /// <summary>The tail a sync flush ends with; the sender removes it and the receiver appends it back.</summary>
    internal static ReadOnlySpan<byte> FlushTail => [0x00, 0x00, 0xFF, 0xFF];

    /// <summary>
    /// The compressed payload, or null when the message is shorter than the minimum (RSV1 clear is always legal) or would
    /// not get smaller (it is then sent as it is).
    /// </summary>
    public byte[]? TryCompress(ReadOnlySpan<byte> message)
    {
        if (message.Length < minBytes) return null;
        using var output = new MemoryStream(message.Length / 3 + 64);
        using (var deflate = new DeflateStream(output, level, leaveOpen: true))
        {
            deflate.Write(message);
            deflate.Flush(); // Z_SYNC_FLUSH: ends with an empty stored block, 00 00 ff ff
            var length = (int)output.Length - FlushTail.Length;
            var written = output.GetBuffer().AsSpan(0, (int)output.Length);
            if (length <= 0 || !written[length..].SequenceEqual(FlushTail)) return null;
            return length < message.Length ? written[..length].ToArray() : null;
        }
    }
}

/// <summary>The outcome of inflating one client message.</summary>
public enum InflateOutcome
{
    Ok,
    /// <summary>The message inflates to more than the limit; inflation stopped there.</summary>
    TooBig,
    /// <summary>Not valid DEFLATE data.</summary>
    Corrupt,
}

/// <summary>
/// Inflates a connection's compressed client messages (RFC 7692 §7.2.2): the payload plus
/// <c>00 00 ff ff</c>, through one DEFLATE context kept across messages (the client's context
/// takeover) or a fresh one per message (<c>client_no_context_takeover</c>, and then nothing is
/// held between messages). Output is bounded: inflation stops one byte past the limit, so a
/// decompression bomb costs at most the limit in memory.
/// </summary>
public sealed class MessageInflater(bool contextTakeover) : IDisposable
{
    private const int FirstChunk = 4096;
    private readonly MessageInput _input = new();
    private DeflateStream? _deflate;

    /// <summary>True while a DEFLATE context is held (the client keeps its context and has sent a compressed message).</summary>
    public bool HoldsContext => _deflate is not null;

    /// <summary>
    /// Inflates <paramref name="compressed"/> into a buffer from the array pool (the caller returns
    /// it); <paramref name="length"/> bytes of it are the message.
    /// </summary>
    public InflateOutcome Inflate(ReadOnlyMemory<byte> compressed, int maxBytes, out byte[]? output, out int length)
    {
        output = null;
        length = 0;
        var outcome = InflateOnce(compressed, maxBytes, ref output, ref length);
        if (outcome == InflateOutcome.Ok && _input.Untouched && _deflate is not null)
        {
            // The previous message ended its DEFLATE stream (a final block, allowed by RFC 7692 §7.2.3.4):
            // the context read nothing of this one. Start a new context for it.
            _deflate.Dispose();
            _deflate = null;
            outcome = InflateOnce(compressed, maxBytes, ref output, ref length);
        }
        if (!contextTakeover || outcome != InflateOutcome.Ok) Reset();
        if (outcome != InflateOutcome.Ok && output is not null)
        {
            ArrayPool<byte>.Shared.Return(output);
            output = null;
            length = 0;
        }
        return outcome;
    }

    private InflateOutcome InflateOnce(ReadOnlyMemory<byte> compressed, int maxBytes, ref byte[]? output, ref int length)
    {
        _input.Set(compressed);
        _deflate ??= new DeflateStream(_input, CompressionMode.Decompress, leaveOpen: true);
        length = 0;
        output ??= ArrayPool<byte>.Shared.Rent(Math.Min(FirstChunk, maxBytes + 1));
        try
        {
            while (true)
            {
                if (length == output.Length)
                {
                    if (length > maxBytes) return InflateOutcome.TooBig;
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(output.Length * 2, maxBytes + 1));
                    output.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(output);
                    output = bigger;
                }
                var n = _deflate.Read(output, length, Math.Min(output.Length, maxBytes + 1) - length);
                if (n == 0) return InflateOutcome.Ok;
                length += n;
                if (length > maxBytes) return InflateOutcome.TooBig;
            }
        }
        catch (InvalidDataException)
        {
            return InflateOutcome.Corrupt;
        }
    }

    private void Reset()
    {
        _deflate?.Dispose();
        _deflate = null;
    }

    public void Dispose() => Reset();

    /// <summary>Feeds one message and then the sync-flush tail to the DEFLATE stream, then reports end of input.</summary>
    private sealed class MessageInput : Stream
    {
        private ReadOnlyMemory<byte> _message;
        private int _position;

        /// <summary>The inflater read nothing of the current message.</summary>
        public bool Untouched => _position == 0;

        public void Set(ReadOnlyMemory<byte> message)
        {
            _message = message;
            _position = 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var written = 0;
            if (_position < _message.Length)
            {
                var n = Math.Min(buffer.Length, _message.Length - _position);
                _message.Span.Slice(_position, n).CopyTo(buffer);
                _position += n;
                written = n;
            }
            var tailStart = _position - _message.Length;
            if (tailStart >= 0 && written < buffer.Length)
            {
                var tail = MessageCompressor.FlushTail[tailStart..];
                var n = Math.Min(buffer.Length - written, tail.Length);
                tail[..n].CopyTo(buffer[written..]);
                _position += n;
                written += n;
            }
            return written;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
