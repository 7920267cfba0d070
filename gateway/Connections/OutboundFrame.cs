namespace OrleansPrices.Gateway.Connections;

/// <summary>
/// An encoded server message, shared by every connection it is offered to. <see cref="Batch"/> is
/// the broadcast seq for price frames and 0 for replies to one client.
/// </summary>
public sealed class OutboundFrame
{
    private OutboundFrame(byte[] bytes, long batch, int closeCode, string? closeReason)
    {
        Bytes = bytes;
        Batch = batch;
        CloseCode = closeCode;
        CloseReason = closeReason;
    }

    public byte[] Bytes { get; }
    public long Batch { get; }
    public int CloseCode { get; }
    public string? CloseReason { get; }
    public bool IsClose => CloseCode != 0;

    public static OutboundFrame Prices(byte[] bytes, long batch) => new(bytes, batch, 0, null);

    public static OutboundFrame Reply(byte[] bytes) => new(bytes, 0, 0, null);

    public static OutboundFrame Close(int code, string reason) => new([], 0, code, reason);
}
