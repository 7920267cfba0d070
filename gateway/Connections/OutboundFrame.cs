using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Connections;

/// <summary>
/// A whole WebSocket frame, header included, ready for the wire and shared by every connection it
/// is offered to: server frames are unmasked, so a broadcast is framed once and the very same bytes
/// are written to each socket. <see cref="Batch"/> is the broadcast seq for price frames and 0 otherwise.
/// </summary>
public sealed class OutboundFrame
{
    private OutboundFrame(byte[] bytes, long batch, int closeCode)
    {
        Bytes = bytes;
        Batch = batch;
        CloseCode = closeCode;
    }

    /// <summary>The framed bytes (header + payload).</summary>
    public byte[] Bytes { get; }
    public long Batch { get; }
    public int CloseCode { get; }
    public bool IsClose => CloseCode != 0;

    /// <summary>An empty ping, shared by every heartbeat.</summary>
    public static OutboundFrame Ping { get; } = new(WebSocketFrames.Ping([]), 0, 0);

    /// <summary>A broadcast <c>price_update</c>: <paramref name="json"/> is framed here, once for all receivers.</summary>
    public static OutboundFrame Prices(ReadOnlySpan<byte> json, long batch) => new(WebSocketFrames.Text(json), batch, 0);

    /// <summary>A text reply to one client (connected, pong, error).</summary>
    public static OutboundFrame Reply(ReadOnlySpan<byte> json) => new(WebSocketFrames.Text(json), 0, 0);

    /// <summary>The answer to a client's WebSocket ping: a pong echoing its payload.</summary>
    public static OutboundFrame Pong(ReadOnlySpan<byte> payload) => new(WebSocketFrames.Pong(payload), 0, 0);

    public static OutboundFrame Close(int code, string reason) => new(WebSocketFrames.Close(code, reason), 0, code);
}
