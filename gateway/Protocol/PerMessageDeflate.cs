using System.Globalization;

namespace OrleansPrices.Gateway.Protocol;

/// <summary>
/// What a connection agreed on for permessage-deflate (RFC 7692). The server always answers with
/// <c>server_no_context_takeover</c>, so each server message is compressed on its own and a
/// broadcast is compressed once for every client. The client keeps its context between messages
/// unless it offered <c>client_no_context_takeover</c>.
/// </summary>
/// <param name="ServerMaxWindowBits">The window the client can inflate with (8–15; 15 unless it offered less).</param>
/// <param name="ClientNoContextTakeover">The client offered <c>client_no_context_takeover</c>: every client message inflates on its own.</param>
/// <param name="ResponseHeader">The <c>Sec-WebSocket-Extensions</c> value of the 101 answer.</param>
public sealed record DeflateParameters(int ServerMaxWindowBits, bool ClientNoContextTakeover, string ResponseHeader)
{
    /// <summary>
    /// Largest message the server may compress for this client: zlib's 32 KiB window never reaches
    /// further back than a message's own start, so a message no longer than the client's window
    /// inflates correctly with any window; longer ones go uncompressed when the client asked for
    /// less than 15 bits.
    /// </summary>
    public int MaxCompressedMessage => ServerMaxWindowBits >= PerMessageDeflate.MaxWindowBits ? int.MaxValue : 1 << ServerMaxWindowBits;
}

/// <summary>
/// Negotiates permessage-deflate from a client's <c>Sec-WebSocket-Extensions</c> offers, without
/// I/O. Offers are tried in the client's order; an offer with an unknown, repeated or invalid
/// parameter is declined (RFC 7692 §5) and the next one is tried; none acceptable means no
/// extension (the connection still opens, uncompressed).
/// </summary>
public static class PerMessageDeflate
{
    public const string ExtensionName = "permessage-deflate";
    public const int MinWindowBits = 8;
    public const int MaxWindowBits = 15;

    private const string ServerNoContextTakeover = "server_no_context_takeover";
    private const string ClientNoContextTakeover = "client_no_context_takeover";
    private const string ServerMaxWindowBitsName = "server_max_window_bits";
    private const string ClientMaxWindowBitsName = "client_max_window_bits";

    /// <summary>The accepted parameters of the first acceptable offer, or null when none is.</summary>
    public static DeflateParameters? Negotiate(string? extensionsHeader)
    {
        if (string.IsNullOrWhiteSpace(extensionsHeader)) return null;
        if (!ExtensionHeader.TryParse(extensionsHeader, out var offers)) return null;
        foreach (var offer in offers)
        {
            if (!string.Equals(offer.Name, ExtensionName, StringComparison.OrdinalIgnoreCase)) continue;
            if (TryAccept(offer.Parameters) is { } accepted) return accepted;
        }
        return null;
    }

    private static DeflateParameters? TryAccept(IReadOnlyList<(string Name, string? Value)> parameters)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var serverBits = MaxWindowBits;
        var clientNoTakeover = false;
        foreach (var (name, value) in parameters)
        {
            if (!seen.Add(name)) return null;
            switch (name.ToLowerInvariant())
            {
                case ServerNoContextTakeover:
                    if (value is not null) return null;
                    break;
                case ClientNoContextTakeover:
                    if (value is not null) return null;
                    clientNoTakeover = true;
                    break;
                case ServerMaxWindowBitsName:
                    if (!TryWindowBits(value, out serverBits)) return null;
                    break;
                case ClientMaxWindowBitsName:
                    // Bare: the client may be told a smaller window. The server inflates with 15 bits,
                    // which reads any window, so it never asks for less.
                    if (value is not null && !TryWindowBits(value, out _)) return null;
                    break;
                default:
                    return null;
            }
        }
        var response = ExtensionName + "; " + ServerNoContextTakeover;
        if (clientNoTakeover) response += "; " + ClientNoContextTakeover;
        // RFC 7692 §7.1.2.1: accepting server_max_window_bits means answering it with the same or a smaller value.
        if (seen.Contains(ServerMaxWindowBitsName)) response += "; " + ServerMaxWindowBitsName + "=" + serverBits.ToString(CultureInfo.InvariantCulture);
        return new DeflateParameters(serverBits, clientNoTakeover, response);
    }

    /// <summary>1*DIGIT in 8..15, no leading zero (RFC 7692 §7.1.2), optionally as a quoted string.</summary>
    private static bool TryWindowBits(string? value, out int bits)
    {
        bits = 0;
        if (value is null || value.Length is 0 or > 2 || value[0] == '0') return false;
        foreach (var c in value)
        {
            if (c is < '0' or > '9') return false;
        }
        bits = int.Parse(value, CultureInfo.InvariantCulture);
        return bits is >= MinWindowBits and <= MaxWindowBits;
    }
}

/// <summary>
/// The <c>Sec-WebSocket-Extensions</c> grammar (RFC 6455 §9.1): a comma-separated list of
/// <c>extension-token *( ";" token [ "=" ( token | quoted-string ) ] )</c>, with optional whitespace.
/// Several header lines are joined with commas before parsing.
/// </summary>
public static class ExtensionHeader
{
    public sealed record Offer(string Name, IReadOnlyList<(string Name, string? Value)> Parameters);

    /// <summary>False when the header does not follow the grammar (then no extension is accepted).</summary>
    public static bool TryParse(string header, out List<Offer> offers)
    {
        offers = [];
        var i = 0;
        while (true)
        {
            SkipSpace(header, ref i);
            if (i == header.Length) return true;
            if (header[i] == ',')
            {
                i++; // empty list elements are allowed (RFC 7230 §7)
                continue;
            }
            var name = Token(header, ref i);
            if (name is null) return false;
            var parameters = new List<(string, string?)>();
            SkipSpace(header, ref i);
            while (i < header.Length && header[i] == ';')
            {
                i++;
                SkipSpace(header, ref i);
                var parameter = Token(header, ref i);
                if (parameter is null) return false;
                SkipSpace(header, ref i);
                string? value = null;
                if (i < header.Length && header[i] == '=')
                {
                    i++;
                    SkipSpace(header, ref i);
                    value = i < header.Length && header[i] == '"' ? Quoted(header, ref i) : Token(header, ref i);
                    if (value is null) return false;
                    SkipSpace(header, ref i);
                }
                parameters.Add((parameter, value));
            }
            offers.Add(new Offer(name, parameters));
            if (i == header.Length) return true;
            if (header[i] != ',') return false;
            i++;
        }
    }

    private static void SkipSpace(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t') i++;
    }

    private static string? Token(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && IsTokenChar(s[i])) i++;
        return i > start ? s[start..i] : null;
    }

    private static string? Quoted(string s, ref int i)
    {
        i++; // opening quote
        var value = new System.Text.StringBuilder();
        while (i < s.Length)
        {
            var c = s[i++];
            if (c == '"') return value.ToString();
            if (c == '\\')
            {
                if (i == s.Length) return null;
                c = s[i++];
            }
            value.Append(c);
        }
        return null;
    }

    /// <summary>RFC 7230 tchar.</summary>
    private static bool IsTokenChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
