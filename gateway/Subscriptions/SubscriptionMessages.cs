using System.Buffers;
using System.Text.Json;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Time;

namespace OrleansPrices.Gateway.Subscriptions;

/// <summary>
/// Encoders of the subscription protocol's server messages (docs/protocol.md): rows are encoded
/// once per stock and value and then spliced into each receiver's message.
/// </summary>
public static class SubscriptionMessages
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A full row: every field, with its epoch and seq (snapshots).</summary>
    public static byte[] SnapshotRow(string tsCode, Quote q, long epoch, long seq) =>
        Row(tsCode, q, epoch, seq, QuoteFields.All, includeTime: true);

    /// <summary>An increment row: identity, epoch, seq and only the fields in <paramref name="changed"/>.</summary>
    public static byte[] UpdateRow(string tsCode, Quote q, long epoch, long seq, QuoteFields changed) =>
        Row(tsCode, q, epoch, seq, changed, includeTime: false);

    private static byte[] Row(string tsCode, Quote q, long epoch, long seq, QuoteFields f, bool includeTime)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("ts_code"u8, tsCode);
            w.WriteString("code"u8, tsCode.AsSpan(0, Math.Min(6, tsCode.Length)));
            w.WriteNumber("epoch"u8, epoch);
            w.WriteNumber("seq"u8, seq);
            if (f.HasFlag(QuoteFields.Name)) w.WriteString("name"u8, q.Name);
            if (f.HasFlag(QuoteFields.Price)) w.WriteNumber("price"u8, Money.TwoDecimals(q.Price));
            if ((f & (QuoteFields.Price | QuoteFields.PreClose)) != 0) w.WriteNumber("change_percent"u8, Money.TwoDecimals(q.ChangePercent));
            if (f.HasFlag(QuoteFields.Volume)) w.WriteNumber("volume"u8, q.Volume);
            if (f.HasFlag(QuoteFields.Amount)) w.WriteNumber("amount"u8, Money.TwoDecimals(q.Amount));
            if (f.HasFlag(QuoteFields.Open)) w.WriteNumber("open"u8, Money.TwoDecimals(q.Open));
            if (f.HasFlag(QuoteFields.High)) w.WriteNumber("high"u8, Money.TwoDecimals(q.High));
            if (f.HasFlag(QuoteFields.Low)) w.WriteNumber("low"u8, Money.TwoDecimals(q.Low));
            if (f.HasFlag(QuoteFields.PreClose)) w.WriteNumber("pre_close"u8, Money.TwoDecimals(q.PreClose));
            if (f.HasFlag(QuoteFields.Bid)) w.WriteNumber("bid"u8, Money.TwoDecimals(q.Bid));
            if (f.HasFlag(QuoteFields.Ask)) w.WriteNumber("ask"u8, Money.TwoDecimals(q.Ask));
            if (f.HasFlag(QuoteFields.Suspended)) w.WriteBoolean("suspended"u8, q.Suspended);
            if (includeTime) w.WriteString("time"u8, q.Time);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"type":"update","data":[rows],"ts":µs}</c> from pre-encoded rows.</summary>
    public static byte[] Update(IReadOnlyList<byte[]> rows, long publishedMicros) =>
        Splice("{\"type\":\"update\",\"data\":["u8, rows, publishedMicros);

    /// <summary><c>{"type":"snapshot","recovered":…,"data":[rows],"ts":µs}</c>.</summary>
    public static byte[] Snapshot(IReadOnlyList<byte[]> rows, bool recovered, long serverMicros) =>
        Splice(recovered ? "{\"type\":\"snapshot\",\"recovered\":true,\"data\":["u8 : "{\"type\":\"snapshot\",\"recovered\":false,\"data\":["u8, rows, serverMicros);

    private static byte[] Splice(ReadOnlySpan<byte> head, IReadOnlyList<byte[]> rows, long micros)
    {
        var tsText = System.Text.Encoding.ASCII.GetBytes($"],\"ts\":{micros}}}");
        var length = head.Length + tsText.Length + Math.Max(0, rows.Count - 1);
        foreach (var r in rows) length += r.Length;
        var bytes = new byte[length];
        var span = bytes.AsSpan();
        head.CopyTo(span);
        var at = head.Length;
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0) span[at++] = (byte)',';
            rows[i].CopyTo(span[at..]);
            at += rows[i].Length;
        }
        tsText.CopyTo(span[at..]);
        return bytes;
    }

    public static byte[] Subscribed(string? id, IEnumerable<string> codes, IEnumerable<string> lists) => Write(w =>
    {
        w.WriteString("type"u8, "subscribed"u8);
        if (id is not null) w.WriteString("id"u8, id);
        WriteStrings(w, "codes"u8, codes.Order(StringComparer.Ordinal));
        WriteStrings(w, "lists"u8, lists.Order(StringComparer.Ordinal));
    });

    /// <summary>An error about a request, with its id and, where it names codes, the codes.</summary>
    public static byte[] Error(string? id, string code, string message, IReadOnlyCollection<string>? codes = null) => Write(w =>
    {
        w.WriteString("type"u8, "error"u8);
        if (id is not null) w.WriteString("id"u8, id);
        w.WriteString("code"u8, code);
        w.WriteString("message"u8, message);
        if (codes is { Count: > 0 }) WriteStrings(w, "codes"u8, codes);
    });

    public static byte[] SignalUpdate(string strategy, long version, bool snapshot, IReadOnlyList<SignalRow> added, IReadOnlyList<string> removed) => Write(w =>
    {
        w.WriteString("type"u8, "signal_update"u8);
        w.WriteString("strategy"u8, strategy);
        w.WriteNumber("version"u8, version);
        w.WriteBoolean("snapshot"u8, snapshot);
        w.WritePropertyName("added"u8);
        w.WriteStartArray();
        foreach (var row in added) JsonSerializer.Serialize(w, row, ApiJsonContext.Default.SignalRow);
        w.WriteEndArray();
        WriteStrings(w, "removed"u8, removed);
    });

    public static byte[] Status(MarketStatus status, bool stale, long serverMicros, string? staleReason = null) => Write(w =>
    {
        w.WriteString("type"u8, "status"u8);
        w.WriteString("phase"u8, PhaseName(status.Phase));
        w.WriteString("trading_day"u8, status.TradingDay.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        if (status.NextOpen is { } next) w.WriteString("next_open"u8, next);
        else w.WriteNull("next_open"u8);
        w.WriteBoolean("stale"u8, stale);
        if (staleReason is not null) w.WriteString("reason"u8, staleReason);
        w.WriteNumber("ts"u8, serverMicros);
    });

    public static string PhaseName(MarketPhase phase) => phase switch
    {
        MarketPhase.Closed => "closed",
        MarketPhase.PreOpen => "pre_open",
        MarketPhase.OpeningAuction => "opening_auction",
        MarketPhase.Continuous => "continuous",
        MarketPhase.LunchBreak => "lunch_break",
        MarketPhase.ClosingAuction => "closing_auction",
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, null),
    };

    private static void WriteStrings(Utf8JsonWriter w, ReadOnlySpan<byte> name, IEnumerable<string> values)
    {
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
