using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Connections;

/// <summary>
/// A whole WebSocket frame, header included, ready for the wire and shared by every connection it
/// is offered to: server frames are unmasked, so a broadcast is framed once and the very same bytes
/// are written to each socket. A text message may also carry its permessage-deflate form
/// (<see cref="Deflated"/>, compressed once with no context, RSV1 set): connections that negotiated
/// the extension write those bytes, the others the plain ones. <see cref="Batch"/> is the broadcast
/// seq for price frames and 0 otherwise.
/// </summary>
public sealed class OutboundFrame
{
    private OutboundFrame(byte[] bytes, long batch, int closeCode, byte[]? deflated = null, int messageLength = 0)
    {
        Bytes = bytes;
        Batch = batch;
        CloseCode = closeCode;
        Deflated = deflated;
        MessageLength = messageLength;
    }

    /// <summary>The framed bytes (header + payload).</summary>
    public byte[] Bytes { get; }

    /// <summary>The same message compressed (RSV1 frame), or null when it is not worth compressing.</summary>
    public byte[]? Deflated { get; }

    /// <summary>Length of the uncompressed message.</summary>
    public int MessageLength { get; }

    public long Batch { get; }
    public int CloseCode { get; }
    public bool IsClose => CloseCode != 0;

    /// <summary>The bytes for a connection: compressed when it negotiated permessage-deflate and can inflate this message.</summary>
    public byte[] BytesFor(DeflateParameters? deflate) =>
        deflate is not null && Deflated is not null && MessageLength <= deflate.MaxCompressedMessage ? Deflated : Bytes;

    /// <summary>An empty ping, shared by every heartbeat.</summary>
    public static OutboundFrame Ping { get; } = new(WebSocketFrames.Ping([]), 0, 0);

    /// <summary>
    /// A broadcast <c>price_update</c>: <paramref name="json"/> is framed here, once for all receivers,
    /// and compressed once when a <paramref name="compressor"/> is given.
    /// </summary>
    public static OutboundFrame Prices(ReadOnlySpan<byte> json, long batch, MessageCompressor? compressor = null) => Text(json, batch, compressor);

    /// <summary>A text message to one client (connected, pong, error, subscription messages), compressed when a <paramref name="compressor"/> is given.</summary>
    public static OutboundFrame Reply(ReadOnlySpan<byte> json, MessageCompressor? compressor = null) => Text(json, 0, compressor);

    /// <summary>The answer to a client's WebSocket ping: a pong echoing its payload.</summary>
    public static OutboundFrame Pong(ReadOnlySpan<byte> payload) => new(WebSocketFrames.Pong(payload), 0, 0);

    public static OutboundFrame Close(int code, string reason) => new(WebSocketFrames.Close(code, reason), 0, code);

    private static OutboundFrame Text(ReadOnlySpan<byte> json, long batch, MessageCompressor? compressor)
    {
        var deflated = compressor?.TryCompress(json);
        return new(WebSocketFrames.Text(json), batch, 0, deflated is null ? null : WebSocketFrames.CompressedText(deflated), json.Length);
    }
}
