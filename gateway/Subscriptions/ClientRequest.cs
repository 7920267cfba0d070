using System.Text.Json;
using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Subscriptions;

public enum RequestKind
{
    Ping,
    Subscribe,
    Unsubscribe,
    Resume,
}

/// <summary>A stream position a client holds: the epoch and the last seq it applied.</summary>
public readonly record struct StreamPosition(long Epoch, long Seq);

/// <summary>
/// A parsed client message. Codes are as the client wrote them (validated against the universe
/// by the session). <see cref="Strategy"/> with <see cref="List"/> "buy" names a signal list (none:
/// every list); a <c>resume</c> names its lists in <see cref="Strategies"/>.
/// </summary>
public sealed record ClientRequest(RequestKind Kind)
{
    public string? Id { get; init; }
    public IReadOnlyList<string> Codes { get; init; } = [];
    public string? List { get; init; }
    public string? Strategy { get; init; }
    /// <summary>The strategy lists a <c>resume</c> names (validated by the hub); empty for other requests.</summary>
    public IReadOnlyList<string> Strategies { get; init; } = [];
    /// <summary>Most updates per second per stock the client wants; null: every change.</summary>
    public double? MaxRate { get; init; }
    public IReadOnlyDictionary<string, StreamPosition> Positions { get; init; } = new Dictionary<string, StreamPosition>();
}

/// <summary>The outcome of parsing: a request, or the error to answer with.</summary>
public readonly record struct ParsedRequest(ClientRequest? Request, string? ErrorCode, string? ErrorMessage, string? Id)
{
    public bool IsError => ErrorCode is not null;

    internal static ParsedRequest Fail(string code, string message, string? id = null) => new(null, code, message, id);
}

/// <summary>Parses client text frames into requests. Pure: bytes in, a request or an error out.</summary>
public static class RequestParser
{
    public const string KnownTypes = "ping, subscribe, unsubscribe, resume";
    public const int MaxCodesPerMessage = 1000;

    public static ParsedRequest Parse(ReadOnlySpan<byte> utf8)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            return ParsedRequest.Fail(ErrorCodes.InvalidJson, $"not valid JSON: {ex.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ParsedRequest.Fail(ErrorCodes.InvalidMessage, "a message is a JSON object with a \"type\" field");
            }
            var id = root.TryGetProperty("id", out var idElement) ? IdText(idElement) : null;
            if (!root.TryGetProperty("type", out var typeElement))
            {
                return ParsedRequest.Fail(ErrorCodes.InvalidMessage, "missing \"type\" field", id);
            }
            if (typeElement.ValueKind != JsonValueKind.String)
            {
                return ParsedRequest.Fail(ErrorCodes.InvalidMessage, "\"type\" must be a string", id);
            }
            var type = typeElement.GetString()!;
            try
            {
                return type switch
                {
                    "ping" => new ParsedRequest(new ClientRequest(RequestKind.Ping) { Id = id }, null, null, id),
                    "subscribe" => Ok(ParseTargets(root, RequestKind.Subscribe, id)),
                    "unsubscribe" => Ok(ParseTargets(root, RequestKind.Unsubscribe, id)),
                    "resume" => Ok(ParseResume(root, id)),
                    _ => ParsedRequest.Fail(ErrorCodes.UnknownType, $"unknown type \"{Truncate(type)}\"; known types: {KnownTypes}", id),
                };
            }
            catch (InvalidRequestException ex)
            {
                return ParsedRequest.Fail(ErrorCodes.InvalidMessage, ex.Message, id);
            }
        }
    }

    private static ParsedRequest Ok(ClientRequest request) => new(request, null, null, request.Id);

    private static ClientRequest ParseTargets(JsonElement root, RequestKind kind, string? id)
    {
        var codes = ReadCodes(root);
        var list = ReadString(root, "list");
        var strategy = ReadString(root, "strategy");
        if (list is not null && list != "buy")
        {
            throw new InvalidRequestException($"unknown list \"{Truncate(list)}\"; the only list is \"buy\"");
        }
        if (codes.Count == 0 && list is null)
        {
            throw new InvalidRequestException($"{(kind == RequestKind.Subscribe ? "subscribe" : "unsubscribe")} needs \"codes\" (an array of stock codes) or \"list\": \"buy\"");
        }
        return new ClientRequest(kind) { Id = id, Codes = codes, List = list, Strategy = strategy, MaxRate = ReadRate(root) };
    }

    private static ClientRequest ParseResume(JsonElement root, string? id)
    {
        if (!root.TryGetProperty("positions", out var positions) || positions.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("resume needs \"positions\": {\"600000.SH\": {\"epoch\": …, \"seq\": …}, …}");
        }
        var map = new Dictionary<string, StreamPosition>(StringComparer.Ordinal);
        foreach (var p in positions.EnumerateObject())
        {
            if (map.Count >= MaxCodesPerMessage) throw new InvalidRequestException($"at most {MaxCodesPerMessage} positions per message");
            if (p.Value.ValueKind != JsonValueKind.Object
                || !p.Value.TryGetProperty("epoch", out var e) || !e.TryGetInt64(out var epoch)
                || !p.Value.TryGetProperty("seq", out var s) || !s.TryGetInt64(out var seq) || seq < 0)
            {
                throw new InvalidRequestException($"position of \"{Truncate(p.Name)}\" must be {{\"epoch\": integer, \"seq\": integer ≥ 0}}");
            }
            map[p.Name] = new StreamPosition(epoch, seq);
        }
        var lists = ReadLists(root);
        return new ClientRequest(RequestKind.Resume)
        {
            Id = id,
            Codes = [.. map.Keys],
            Positions = map,
            List = lists.Count > 0 ? "buy" : null,
            Strategies = lists,
            MaxRate = ReadRate(root),
        };
    }

    /// <summary>A resume's <c>lists</c>: strategy names, each once.</summary>
    private static List<string> ReadLists(JsonElement root)
    {
        if (!root.TryGetProperty("lists", out var lists) || lists.ValueKind == JsonValueKind.Null) return [];
        if (lists.ValueKind != JsonValueKind.Array || lists.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            throw new InvalidRequestException("\"lists\" must be an array of strategy names");
        }
        var names = lists.EnumerateArray().Select(x => x.GetString()!).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count > MaxCodesPerMessage) throw new InvalidRequestException($"at most {MaxCodesPerMessage} lists per message");
        return names;
    }

    private static List<string> ReadCodes(JsonElement root)
    {
        if (!root.TryGetProperty("codes", out var codes)) return [];
        if (codes.ValueKind != JsonValueKind.Array) throw new InvalidRequestException("\"codes\" must be an array of strings");
        var list = new List<string>();
        foreach (var c in codes.EnumerateArray())
        {
            if (c.ValueKind != JsonValueKind.String) throw new InvalidRequestException("\"codes\" must be an array of strings");
            if (list.Count >= MaxCodesPerMessage) throw new InvalidRequestException($"at most {MaxCodesPerMessage} codes per message");
            list.Add(c.GetString()!);
        }
        return list;
    }

    private static string? ReadString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.String) throw new InvalidRequestException($"\"{name}\" must be a string");
        return e.GetString();
    }

    private static double? ReadRate(JsonElement root)
    {
        if (!root.TryGetProperty("max_rate", out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var rate) || rate <= 0 || double.IsInfinity(rate))
        {
            throw new InvalidRequestException("\"max_rate\" must be a positive number of updates per second per stock");
        }
        return rate;
    }

    private static string? IdText(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => Truncate(e.GetString()!),
        JsonValueKind.Number => e.GetRawText(),
        _ => null,
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private sealed class InvalidRequestException(string message) : Exception(message);
}
