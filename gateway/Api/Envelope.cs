using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansPrices.Gateway.Api;

/// <summary>The brief's REST envelope: <c>{"code": 200, "message": ..., "data": ...}</c>.</summary>
public sealed record Envelope<T>(int Code, string Message, T? Data);

public sealed record SignalListData(
    string? Strategy,
    IReadOnlyList<SignalRow> Signals,
    int Count,
    [property: JsonPropertyName("versions")] IReadOnlyDictionary<string, long> Versions);

/// <summary>One buy signal with its stock's current price (from the gateway's price book).</summary>
public sealed record SignalRow(
    string Code,
    string TsCode,
    string Name,
    string Market,
    string Signal,
    string SignalReason,
    string Strategy,
    decimal VolumeRatio,
    string Details,
    DateTimeOffset Since,
    decimal? Price,
    decimal? ChangePercent,
    long? Volume,
    long? Epoch,
    long? Seq);

public sealed record QuoteListData(IReadOnlyList<QuoteRow> Quotes, int Count);

public sealed record QuoteRow(
    string Code,
    string TsCode,
    string Name,
    decimal Price,
    decimal ChangePercent,
    long Volume,
    decimal Amount,
    decimal Open,
    decimal High,
    decimal Low,
    decimal PreClose,
    decimal Bid,
    decimal Ask,
    bool Suspended,
    DateTimeOffset Time,
    long Epoch,
    long Seq);

/// <summary>
/// The brief's envelope for a failure: <c>{"code": 400, "message": ...}</c>, with <c>data</c> only
/// when there are details. Absent fields are left out, not written as null: the brief's own error
/// answer is <c>{"code": 500, "message": ...}</c>, with no <c>data</c>.
/// </summary>
public sealed record ErrorEnvelope(
    int Code,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ErrorData? Data = null);

/// <summary>An error's details: the codes that were not understood, or the names that are known.</summary>
public sealed record ErrorData(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Unknown = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Known = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Envelope<SignalListData>))]
[JsonSerializable(typeof(Envelope<QuoteListData>))]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(SignalRow))]
internal sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// What the REST API writes: snake_case, and Chinese names as UTF-8 rather than <c>\uXXXX</c>
    /// escapes, as the brief's server (FastAPI) sends them and as the WebSocket messages do; the
    /// escapes made the signal list 60 % larger.
    /// </summary>
    public static ApiJsonContext Web { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
