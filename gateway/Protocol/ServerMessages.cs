using System.Buffers;
using System.Globalization;
using System.Text.Json;
using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Gateway.Protocol;

/// <summary>One stock's row in a <c>price_update</c>.</summary>
public readonly record struct PriceRow(string TsCode, Quote Quote);

/// <summary>
/// Encodes server messages to UTF-8 JSON, once per message: the same bytes go to every receiver.
/// Field names and shapes follow the brief (docs/protocol.md).
/// </summary>
public static class ServerMessages
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Connected(int heartbeatSeconds, long serverTimeMicros) => Write(w =>
    {
        w.WriteString("type"u8, "connected"u8);
        w.WriteString("message"u8, "WebSocket connected"u8);
        w.WriteNumber("heartbeat_interval"u8, heartbeatSeconds);
        w.WriteNumber("ts"u8, serverTimeMicros);
    });

    public static byte[] Pong(long serverTimeMicros) => Write(w =>
    {
        w.WriteString("type"u8, "pong"u8);
        w.WriteNumber("ts"u8, serverTimeMicros);
    });

    public static byte[] Error(string code, string message) => Write(w =>
    {
        w.WriteString("type"u8, "error"u8);
        w.WriteString("code"u8, code);
        w.WriteString("message"u8, message);
    });

    /// <summary>
    /// <c>{"type":"price_update","data":[{code,ts_code,name,price,change_percent,volume}...],
    /// "timestamp":ISO-8601 µs +08:00,"seq":n,"ts":publish µs}</c>. <paramref name="publishedMicros"/>
    /// is the earliest grain publish time among the rows, so receipt − ts is the full path's latency.
    /// </summary>
    public static byte[] PriceUpdate(IReadOnlyList<PriceRow> rows, long seq, long publishedMicros)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + rows.Count * 120);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "price_update"u8);
            w.WriteStartArray("data"u8);
            foreach (var row in rows)
            {
                WriteRow(w, row);
            }
            w.WriteEndArray();
            w.WriteString("timestamp"u8, FormatTimestamp(publishedMicros));
            w.WriteNumber("seq"u8, seq);
            w.WriteNumber("ts"u8, publishedMicros);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static void WriteRow(Utf8JsonWriter w, in PriceRow row)
    {
        var q = row.Quote;
        w.WriteStartObject();
        w.WriteString("code"u8, row.TsCode.AsSpan(0, Math.Min(6, row.TsCode.Length)));
        w.WriteString("ts_code"u8, row.TsCode);
        w.WriteString("name"u8, q.Name);
        w.WriteNumber("price"u8, q.Price);
        w.WriteNumber("change_percent"u8, q.ChangePercent);
        w.WriteNumber("volume"u8, q.Volume);
        w.WriteEndObject();
    }

    /// <summary>ISO-8601 in Asia/Shanghai with microseconds, e.g. 2026-11-26T14:30:01.123456+08:00.</summary>
    public static string FormatTimestamp(long unixMicros) =>
        DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks(unixMicros * 10).ToOffset(Shanghai)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
