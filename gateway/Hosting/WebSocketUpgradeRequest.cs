using System.Buffers;
using System.Text;
using OrleansPrices.Gateway.Api;

namespace OrleansPrices.Gateway.Hosting;

/// <summary>Kestrel's request head limits (<c>KestrelServerLimits</c>): request line bytes, header bytes, header count.</summary>
public readonly record struct HeadLimits(int MaxRequestLine, int MaxHeadersTotal, int MaxHeaders);

/// <summary>What the first bytes of a connection are, as far as <see cref="WebSocketUpgradeRequest.TryParse"/> can tell.</summary>
public enum UpgradeRequestStatus
{
    /// <summary>So far the bytes are the start of <c>GET /ws/stock/prices</c>: read more.</summary>
    NeedMore,
    /// <summary>Anything else: another request, another version, a body, a header this parser does not take. Kestrel's HTTP layer answers it.</summary>
    NotOurs,
    /// <summary>A complete, well-formed <c>GET /ws/stock/prices</c> request head.</summary>
    Parsed,
}

/// <summary>
/// The head of an HTTP/1.1 <c>GET /ws/stock/prices</c> request read straight off a connection, without
/// I/O: the request line and the headers the WebSocket handshake needs. Deliberately strict: what it
/// does not recognise as a plain upgrade request (another path or method, HTTP/1.0, a body, folded or
/// non-ASCII headers, a missing or repeated Host, a head over the size limit) is
/// <see cref="UpgradeRequestStatus.NotOurs"/> and goes to Kestrel untouched, so every refusal and
/// every limit answer (400, 426, 431, 503) comes from one place, the HTTP endpoint or Kestrel itself.
/// </summary>
public sealed record WebSocketUpgradeRequest(
    string? Upgrade,
    string? Connection,
    string? Version,
    string? Key,
    string? Extensions)
{
    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes("GET " + PriceSocketEndpoint.Path);
    private static ReadOnlySpan<byte> Version11 => " HTTP/1.1"u8;
    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>
    /// Looks at what has arrived. <paramref name="headLength"/> is the length of the request head
    /// (request line, headers and the empty line) when <see cref="UpgradeRequestStatus.Parsed"/>:
    /// bytes after it are already the client's first frames.
    /// </summary>
    /// <param name="limits">
    /// Kestrel's: a head past them is Kestrel's to refuse (414, 431), so this parser never takes
    /// what the HTTP layer would not.
    /// </param>
    public static UpgradeRequestStatus TryParse(in ReadOnlySequence<byte> buffer, HeadLimits limits,
        out WebSocketUpgradeRequest? request, out int headLength)
    {
        request = null;
        headLength = 0;
        var maxHeadBytes = limits.MaxRequestLine + limits.MaxHeadersTotal;
        var length = (int)Math.Min(buffer.Length, maxHeadBytes);
        byte[]? rented = null;
        var bytes = buffer.FirstSpan.Length >= length
            ? buffer.FirstSpan[..length]
            : Linearize(buffer, length, out rented);
        try
        {
            return Parse(bytes, length == maxHeadBytes, limits, out request, out headLength);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static ReadOnlySpan<byte> Linearize(in ReadOnlySequence<byte> buffer, int length, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent(length);
        buffer.Slice(0, length).CopyTo(rented);
        return rented.AsSpan(0, length);
    }

    private static UpgradeRequestStatus Parse(ReadOnlySpan<byte> bytes, bool atLimit, HeadLimits limits,
        out WebSocketUpgradeRequest? request, out int headLength)
    {
        request = null;
        headLength = 0;
        var prefix = Math.Min(bytes.Length, Prefix.Length);
        if (!bytes[..prefix].SequenceEqual(Prefix.AsSpan(0, prefix))) return UpgradeRequestStatus.NotOurs;
        if (bytes.Length <= Prefix.Length) return UpgradeRequestStatus.NeedMore;
        if (bytes[Prefix.Length] is not ((byte)' ' or (byte)'?')) return UpgradeRequestStatus.NotOurs;
        var end = bytes.IndexOf(HeadEnd);
        // Kestrel refuses a bare LF; without this check, a head ending in LF LF would wait here for a CRLF CRLF that never comes.
        if (HasBareLineFeed(end < 0 ? bytes : bytes[..end])) return UpgradeRequestStatus.NotOurs;
        // No end yet: too long for us (Kestrel then refuses it by its own limits), or not all here yet.
        if (end < 0) return atLimit ? UpgradeRequestStatus.NotOurs : UpgradeRequestStatus.NeedMore;
        var head = bytes[..(end + 2)]; // every line with its CRLF
        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd + 2 > limits.MaxRequestLine || head.Length - lineEnd - 2 > limits.MaxHeadersTotal) return UpgradeRequestStatus.NotOurs;
        if (!IsRequestLine(head[..lineEnd])) return UpgradeRequestStatus.NotOurs;

        string? upgrade = null, connection = null, version = null, key = null, extensions = null;
        var hostCount = 0;
        var count = 0;
        var rest = head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            var eol = rest.IndexOf("\r\n"u8);
            var line = rest[..eol];
            rest = rest[(eol + 2)..];
            if (++count > limits.MaxHeaders) return UpgradeRequestStatus.NotOurs;
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon])) return UpgradeRequestStatus.NotOurs; // also catches obs-fold (leading space)
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (!IsFieldValue(value)) return UpgradeRequestStatus.NotOurs;
            var name = line[..colon];
            if (Is(name, "Host")) hostCount++; // required exactly once, as Kestrel does; its value is not used
            else if (Is(name, "Upgrade")) upgrade = Join(upgrade, value);
            else if (Is(name, "Connection")) connection = Join(connection, value);
            else if (Is(name, "Sec-WebSocket-Version")) version = Join(version, value);
            else if (Is(name, "Sec-WebSocket-Key")) key = Join(key, value);
            else if (Is(name, "Sec-WebSocket-Extensions")) extensions = Join(extensions, value);
            else if (Is(name, "Content-Length") || Is(name, "Transfer-Encoding")) return UpgradeRequestStatus.NotOurs;
        }
        if (hostCount != 1) return UpgradeRequestStatus.NotOurs;
        request = new WebSocketUpgradeRequest(upgrade, connection, version, key, extensions);
        headLength = end + HeadEnd.Length;
        return UpgradeRequestStatus.Parsed;
    }

    /// <summary>
    /// <c>GET /ws/stock/prices[?query] HTTP/1.1</c> with the target in visible ASCII (the line is
    /// known to start with the path followed by a space or <c>?</c>).
    /// </summary>
    private static bool IsRequestLine(ReadOnlySpan<byte> line)
    {
        if (line.Length < Prefix.Length + Version11.Length || !line.EndsWith(Version11)) return false;
        foreach (var b in line["GET "u8.Length..^Version11.Length])
        {
            if (b is <= 0x20 or >= 0x7F) return false;
        }
        return true;
    }

    private static bool HasBareLineFeed(ReadOnlySpan<byte> bytes)
    {
        for (var i = bytes.IndexOf((byte)'\n'); i >= 0; i = bytes.IndexOf((byte)'\n'))
        {
            if (i == 0 || bytes[i - 1] != (byte)'\r') return true;
            bytes = bytes[(i + 1)..];
        }
        return false;
    }

    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            if (b is <= 0x20 or >= 0x7F or (byte)'(' or (byte)')' or (byte)',' or (byte)'/' or (byte)':' or (byte)';'
                or (byte)'<' or (byte)'=' or (byte)'>' or (byte)'?' or (byte)'@' or (byte)'[' or (byte)'\\' or (byte)']'
                or (byte)'{' or (byte)'}' or (byte)'"') return false;
        }
        return true;
    }

    /// <summary>Visible ASCII, spaces and tabs only (no CR or LF alone, no control bytes, no obs-text).</summary>
    private static bool IsFieldValue(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is (< 0x20 and not (byte)'\t') or >= 0x7F) return false;
        }
        return true;
    }

    private static bool Is(ReadOnlySpan<byte> name, string expected) => Ascii.EqualsIgnoreCase(name, expected);

    private static string Text(ReadOnlySpan<byte> value) => Encoding.ASCII.GetString(value);

    /// <summary>A repeated header reads as one comma-separated list, as Kestrel presents it.</summary>
    private static string Join(string? existing, ReadOnlySpan<byte> value) => existing is null ? Text(value) : existing + "," + Text(value);
}
