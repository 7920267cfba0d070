using System.Security.Cryptography;
using System.Text;

namespace OrleansPrices.Gateway.Protocol;

/// <summary>
/// The outcome of checking an HTTP upgrade request (RFC 6455 §4.2.1): either the
/// <c>Sec-WebSocket-Accept</c> value for the 101 answer, or the HTTP status and reason to refuse with.
/// </summary>
public readonly record struct HandshakeResult(int Status, string? Accept, string? Reason)
{
    public bool Ok => Accept is not null;
}

/// <summary>
/// The server side of the WebSocket opening handshake, without I/O: takes the request's method and
/// headers, returns what to answer. No extension and no subprotocol is negotiated, so a client's
/// <c>permessage-deflate</c> offer is ignored (RFC 7692 §5: the client then sends uncompressed).
/// </summary>
public static class WebSocketHandshake
{
    /// <summary>The GUID RFC 6455 appends to the key before hashing.</summary>
    public const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The only protocol version there is; also the value of the 426 answer's <c>Sec-WebSocket-Version</c>.</summary>
    public const string Version = "13";

    public static HandshakeResult Validate(string method, string? upgrade, string? connection, string? version, string? key)
    {
        if (!string.Equals(method, "GET", StringComparison.Ordinal))
        {
            return Refuse(400, $"a WebSocket upgrade must be a GET, not {method}");
        }
        if (upgrade is null || !ContainsToken(upgrade, "websocket"))
        {
            return Refuse(426, "WebSocket only: connect with ws://host/ws/stock/prices (Upgrade: websocket)");
        }
        if (connection is null || !ContainsToken(connection, "upgrade"))
        {
            return Refuse(400, "the Connection header must contain Upgrade");
        }
        if (!string.Equals(version?.Trim(), Version, StringComparison.Ordinal))
        {
            return Refuse(426, $"Sec-WebSocket-Version must be {Version}");
        }
        if (!IsValidKey(key))
        {
            return Refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64");
        }
        return new HandshakeResult(101, ComputeAccept(key!.Trim()), null);
    }

    /// <summary>base64(SHA-1(key + GUID)).</summary>
    public static string ComputeAccept(string key)
    {
        Span<byte> input = stackalloc byte[128];
        var n = Encoding.ASCII.GetBytes(key + AcceptGuid, input);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // RFC 6455 §4.2.2 fixes SHA-1 for the accept value; it is not used for security here.
        SHA1.HashData(input[..n], hash);
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    private static bool IsValidKey(string? key)
    {
        if (key is null) return false;
        var trimmed = key.AsSpan().Trim();
        if (trimmed.Length != 24) return false;
        Span<byte> decoded = stackalloc byte[18];
        return Convert.TryFromBase64Chars(trimmed, decoded, out var written) && written == 16;
    }

    /// <summary>True when a comma-separated header value lists <paramref name="token"/> (case-insensitive).</summary>
    private static bool ContainsToken(string value, string token)
    {
        foreach (var range in value.AsSpan().Split(','))
        {
            if (value.AsSpan()[range].Trim().Equals(token, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private static HandshakeResult Refuse(int status, string reason) => new(status, null, reason);
}
