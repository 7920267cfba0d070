using System.Buffers;
using System.Text.Json;

namespace OrleansPrices.Client.Protocol;

/// <summary>Builds the client's messages as UTF-8 JSON. Pure.</summary>
public static class ClientMessages
{
    /// <summary>The list every list subscription names (the server's only list).</summary>
    public const string BuyList = "buy";

    public static byte[] Ping() => "{\"type\":\"ping\"}"u8.ToArray();

    public static byte[] Subscribe(string id, IReadOnlyCollection<string> codes, double? maxRate) => Write(w =>
    {
        w.WriteString("type", "subscribe");
        w.WriteString("id", id);
        WriteArray(w, "codes", codes);
        if (maxRate is { } r) w.WriteNumber("max_rate", r);
    });

    /// <summary>A list subscription; <paramref name="strategy"/> null means every strategy.</summary>
    public static byte[] SubscribeList(string id, string? strategy) => Write(w =>
    {
        w.WriteString("type", "subscribe");
        w.WriteString("id", id);
        w.WriteString("list", BuyList);
        if (strategy is not null) w.WriteString("strategy", strategy);
    });

    public static byte[] Unsubscribe(string id, IReadOnlyCollection<string> codes) => Write(w =>
    {
        w.WriteString("type", "unsubscribe");
        w.WriteString("id", id);
        WriteArray(w, "codes", codes);
    });

    public static byte[] UnsubscribeList(string id, string? strategy) => Write(w =>
    {
        w.WriteString("type", "unsubscribe");
        w.WriteString("id", id);
        w.WriteString("list", BuyList);
        if (strategy is not null) w.WriteString("strategy", strategy);
    });

    public static byte[] Resume(string id, IReadOnlyDictionary<string, StreamPosition> positions, IReadOnlyCollection<string> lists, double? maxRate) => Write(w =>
    {
        w.WriteString("type", "resume");
        w.WriteString("id", id);
        w.WriteStartObject("positions");
        foreach (var (code, p) in positions.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(code);
            w.WriteNumber("epoch", p.Epoch);
            w.WriteNumber("seq", p.Seq);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        if (lists.Count > 0) WriteArray(w, "lists", lists);
        if (maxRate is { } r) w.WriteNumber("max_rate", r);
    });

    private static void WriteArray(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (var item in items) w.WriteStringValue(item);
        w.WriteEndArray();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
