namespace OrleansPrices.Gateway.Protocol;

/// <summary>
/// The <c>code</c> of an <c>{"type": "error"}</c> message. The connection stays open after every
/// one of these; see docs/protocol.md.
/// </summary>
public static class ErrorCodes
{
    /// <summary>The text frame is not valid UTF-8 JSON.</summary>
    public const string InvalidJson = "invalid_json";
    /// <summary>Valid JSON, but not an object with a string <c>type</c>.</summary>
    public const string InvalidMessage = "invalid_message";
    /// <summary>The <c>type</c> is not one the server knows.</summary>
    public const string UnknownType = "unknown_type";
    /// <summary>Binary frames are not part of the protocol.</summary>
    public const string BinaryNotSupported = "binary_not_supported";
    /// <summary>Codes in a subscribe that are not A-share codes of the universe; listed in <c>codes</c>. The valid ones still subscribe.</summary>
    public const string UnknownCodes = "unknown_codes";
    /// <summary>Codes beyond the per-connection limit; listed in <c>codes</c>, not subscribed.</summary>
    public const string TooManyCodes = "too_many_codes";
    /// <summary>A subscription request failed inside the server (e.g. the cluster was unreachable); retry it.</summary>
    public const string Unavailable = "unavailable";
    /// <summary>A list subscription named a strategy the server does not know.</summary>
    public const string UnknownStrategy = "unknown_strategy";
    /// <summary>Too many messages: this one was dropped. Keep sending this fast and the server closes with 1008.</summary>
    public const string RateLimited = "rate_limited";
}

/// <summary>
/// WebSocket close codes the gateway uses, and whether a client should reconnect after each.
/// </summary>
public static class CloseCodes
{
    /// <summary>1001: the gateway is shutting down. Reconnect (to another gateway) with backoff.</summary>
    public const int GoingAway = 1001;
    /// <summary>1008: the client kept flooding after rate_limited errors. Do not reconnect without fixing the client.</summary>
    public const int PolicyViolation = 1008;
    /// <summary>1009: a message over the frame limit (64 KiB). Do not resend it.</summary>
    public const int MessageTooBig = 1009;
    /// <summary>1011: an unexpected server error. Reconnect with backoff.</summary>
    public const int InternalError = 1011;
    /// <summary>4008: the client read too slowly and fell too far behind. Reconnect; you get fresh values.</summary>
    public const int SlowConsumer = 4008;

    /// <summary>True when a client should reconnect after this close code.</summary>
    public static bool ShouldReconnect(int code) => code is GoingAway or InternalError or SlowConsumer or 1000 or 1006;
}

/// <summary>
/// The <c>reason</c> of a <c>status</c> message whose <c>stale</c> is true: why the data may be out
/// of date. Clients keep their connection in every case; the server sends a new <c>status</c> when
/// it changes.
/// </summary>
public static class StaleReasons
{
    /// <summary>The market is open but the gateway has had no price change for <c>Gateway:StaleAfter</c> (or none yet).</summary>
    public const string NoRecentPrices = "no_recent_prices";
    /// <summary>Cluster mode: Redis (membership and grain storage) does not answer. Prices still flow from what the silos hold.</summary>
    public const string StorageUnavailable = "storage_unavailable";
    /// <summary>Cluster mode: the gateway is connected to no silo; no prices can arrive.</summary>
    public const string ClusterUnavailable = "cluster_unavailable";
}
