using System.Globalization;
using System.Text.Json;

namespace OrleansPrices.Client.Protocol;

/// <summary>The text frame is not a server message this client can read.</summary>
public sealed class MessageFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Decodes one server text frame (UTF-8 JSON) into a typed event. Pure: bytes in, an event out.
/// Unknown message types become <see cref="UnknownEvent"/>, unknown fields are ignored, numbers
/// are read as general JSON numbers (a price may be written <c>13.8</c> or <c>10</c>).
/// </summary>
public static class MessageDecoder
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static PriceEvent Decode(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException ex)
        {
            throw new MessageFormatException($"not valid JSON: {ex.Message}", ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
            {
                throw new MessageFormatException("a server message is a JSON object with a string \"type\"");
            }
            try
            {
                return t.GetString() switch
                {
                    "connected" => new ConnectedEvent(Str(root, "message"), (int?)Int(root, "heartbeat_interval"), Int(root, "ts")),
                    "pong" => new PongEvent(Int(root, "ts")),
                    "status" => new StatusEvent(Str(root, "phase") ?? "unknown", Str(root, "trading_day"), Str(root, "next_open"), Bool(root, "stale") ?? false, Int(root, "ts")),
                    "subscribed" => new SubscribedEvent(Id(root), Strings(root, "codes"), Strings(root, "lists")),
                    "snapshot" => new SnapshotEvent(Bool(root, "recovered") ?? false, Rows(root)),
                    "update" => new UpdateEvent(Rows(root), Int(root, "ts")),
                    "price_update" => new PriceUpdateEvent(Rows(root), Int(root, "seq"), Int(root, "ts"), Str(root, "timestamp")),
                    "signal_update" => new SignalUpdateEvent(
                        Str(root, "strategy") ?? throw new MessageFormatException("signal_update without \"strategy\""),
                        Int(root, "version") ?? 0,
                        Bool(root, "snapshot") ?? false,
                        Signals(root),
                        Strings(root, "removed")),
                    "error" => new ErrorEvent(Id(root), Str(root, "code") ?? "unknown", Str(root, "message"), Strings(root, "codes")),
                    var other => new UnknownEvent(other!),
                };
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
            {
                throw new MessageFormatException($"malformed \"{t.GetString()}\" message: {ex.Message}", ex);
            }
        }
    }

    private static List<StockRow> Rows(JsonElement root)
    {
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array) return [];
        var rows = new List<StockRow>(data.GetArrayLength());
        foreach (var r in data.EnumerateArray())
        {
            if (r.ValueKind != JsonValueKind.Object) throw new MessageFormatException("a data row is a JSON object");
            rows.Add(Row(r));
        }
        return rows;
    }

    /// <summary>One row; a field absent (or null) in the JSON is null in the row.</summary>
    public static StockRow Row(JsonElement r)
    {
        var code = Str(r, "code");
        var tsCode = Str(r, "ts_code") ?? code ?? throw new MessageFormatException("a row needs \"ts_code\" or \"code\"");
        var epoch = Int(r, "epoch");
        var seq = Int(r, "seq");
        return new StockRow
        {
            TsCode = tsCode,
            Code = code,
            Name = Str(r, "name"),
            Price = Dec(r, "price"),
            ChangePercent = Dec(r, "change_percent"),
            Volume = Long(r, "volume"),
            Amount = Dec(r, "amount"),
            Open = Dec(r, "open"),
            High = Dec(r, "high"),
            Low = Dec(r, "low"),
            PreClose = Dec(r, "pre_close"),
            Bid = Dec(r, "bid"),
            Ask = Dec(r, "ask"),
            Suspended = Bool(r, "suspended"),
            Time = Time(r, "time"),
            Position = epoch is { } e && seq is { } s ? new StreamPosition(e, s) : null,
        };
    }

    private static List<SignalRow> Signals(JsonElement root)
    {
        if (!root.TryGetProperty("added", out var added) || added.ValueKind != JsonValueKind.Array) return [];
        var rows = new List<SignalRow>(added.GetArrayLength());
        foreach (var r in added.EnumerateArray())
        {
            if (r.ValueKind != JsonValueKind.Object) throw new MessageFormatException("a signal row is a JSON object");
            var code = Str(r, "code");
            rows.Add(new SignalRow
            {
                TsCode = Str(r, "ts_code") ?? code ?? throw new MessageFormatException("a signal row needs \"ts_code\" or \"code\""),
                Code = code,
                Name = Str(r, "name"),
                Market = Str(r, "market"),
                Signal = Str(r, "signal"),
                SignalReason = Str(r, "signal_reason"),
                Strategy = Str(r, "strategy"),
                VolumeRatio = Dec(r, "volume_ratio"),
                Details = Str(r, "details"),
                Since = Time(r, "since"),
                Price = Dec(r, "price"),
                ChangePercent = Dec(r, "change_percent"),
                Volume = Long(r, "volume"),
            });
        }
        return rows;
    }

    private static bool Has(JsonElement o, string name, out JsonElement value) =>
        o.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static string? Str(JsonElement o, string name) => Has(o, name, out var v) ? v.GetString() : null;

    /// <summary>The request id as a string (a client may have sent a number).</summary>
    private static string? Id(JsonElement o) => Has(o, "id", out var v)
        ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()
        : null;

    private static long? Int(JsonElement o, string name) => Has(o, name, out var v) ? v.GetInt64() : null;

    /// <summary>Volume: an integer, or the brief's float (<c>vol * 100</c>).</summary>
    private static long? Long(JsonElement o, string name) =>
        Has(o, name, out var v) ? v.TryGetInt64(out var l) ? l : (long)Math.Round(v.GetDecimal()) : null;

    private static decimal? Dec(JsonElement o, string name) => Has(o, name, out var v) ? v.GetDecimal() : null;

    private static bool? Bool(JsonElement o, string name) => Has(o, name, out var v) ? v.GetBoolean() : null;

    private static DateTimeOffset? Time(JsonElement o, string name) =>
        Str(o, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;

    private static List<string> Strings(JsonElement o, string name)
    {
        if (!Has(o, name, out var v) || v.ValueKind != JsonValueKind.Array) return [];
        var list = new List<string>(v.GetArrayLength());
        foreach (var s in v.EnumerateArray())
        {
            if (s.GetString() is { } text) list.Add(text);
        }
        return list;
    }
}
