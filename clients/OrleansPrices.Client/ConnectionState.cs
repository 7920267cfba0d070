namespace OrleansPrices.Client;

public enum ConnectionPhase
{
    /// <summary>The first connection attempt is under way.</summary>
    Connecting,
    /// <summary>Connected: the server's <c>connected</c> message has arrived.</summary>
    Live,
    /// <summary>The connection was lost; the next attempt starts after <see cref="ConnectionState.ReconnectIn"/>.</summary>
    Reconnecting,
    /// <summary>Closed for good: disposed, or the server closed with a code that means "don't reconnect".</summary>
    Closed,
}

/// <summary>
/// The client's connection: its phase, the close code and reason of the last connection (null
/// before the first one ended; 1006 when it dropped without a close frame), whether the client will
/// reconnect, and after which delay.
/// </summary>
public sealed record ConnectionState(
    ConnectionPhase Phase,
    int? LastCloseCode = null,
    string? LastCloseReason = null,
    bool WillReconnect = true,
    TimeSpan? ReconnectIn = null,
    int Attempt = 0)
{
    public static ConnectionState Initial { get; } = new(ConnectionPhase.Connecting);

    /// <summary>When the client entered this state (its <see cref="PriceClientOptions.TimeProvider"/>).</summary>
    public DateTimeOffset At { get; init; }

    public override string ToString() => Phase switch
    {
        ConnectionPhase.Reconnecting => $"Reconnecting in {ReconnectIn?.TotalSeconds:0.0} s (attempt {Attempt}, last close {LastCloseCode})",
        ConnectionPhase.Closed => $"Closed ({LastCloseCode} {LastCloseReason})".TrimEnd(),
        _ => Phase.ToString(),
    };
}

/// <summary>
/// WebSocket close codes the gateway uses (docs/protocol.md, gateway/Protocol/ProtocolCodes.cs)
/// and whether the client reconnects after each.
/// </summary>
public static class CloseCodes
{
    /// <summary>1000: normal closure (the server answers a close the client started).</summary>
    public const int Normal = 1000;
    /// <summary>1001: the gateway is shutting down. Reconnect with backoff.</summary>
    public const int GoingAway = 1001;
    /// <summary>1006: no close frame, the connection dropped (heartbeat timeout, stalled consumer, network). Reconnect.</summary>
    public const int Abnormal = 1006;
    /// <summary>1008: the client kept sending over the rate limit. Don't reconnect: the client needs fixing.</summary>
    public const int PolicyViolation = 1008;
    /// <summary>1009: a client message over the frame limit. Don't reconnect: it would be resent.</summary>
    public const int MessageTooBig = 1009;
    /// <summary>1011: unexpected server error. Reconnect with backoff.</summary>
    public const int InternalError = 1011;
    /// <summary>4008: slow consumer. Reconnect; resume brings the missed values.</summary>
    public const int SlowConsumer = 4008;

    /// <summary>False for 1008 and 1009, which a reconnect would only repeat; true for every other code.</summary>
    public static bool ShouldReconnect(int code) => code is not (PolicyViolation or MessageTooBig);
}
