using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansPrices.Bench.Peers;

/// <summary>One stock's row of a <c>price_update</c>, named as the product sends it.</summary>
public sealed record StockRow(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("price")] decimal Price,
    [property: JsonPropertyName("change_percent")] decimal ChangePercent,
    [property: JsonPropertyName("volume")] long Volume);

/// <summary>The <c>price_update</c> message; <see cref="Ts"/> is the publish time in epoch µs.</summary>
public sealed record PriceUpdate(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("data")] IReadOnlyList<StockRow> Data,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("ts")] long Ts);

public sealed record ControlMessage(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null);

/// <summary>
/// The feed every peer publishes: the first N stocks of stocks.json, each moving a little every
/// tick (the same seeded walk as peers/common/feed.js). Pure: no sockets.
/// </summary>
public sealed class PriceFeed
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private sealed record Seed(
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("price")] decimal Price);

    private readonly string[] codes;
    private readonly string[] names;
    private readonly decimal[] preClose;
    private readonly decimal[] price;
    private readonly long[] volume;
    private uint random;
    private long seq;

    public PriceFeed(int count, uint seed = 42)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "stocks.json");
        var all = JsonSerializer.Deserialize<List<Seed>>(File.ReadAllText(path))
            ?? throw new InvalidOperationException($"{path} is empty");
        if (count > all.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"at most {all.Count} stocks");
        }
        var rows = all.Take(count).ToArray();
        codes = rows.Select(r => r.Code).ToArray();
        names = rows.Select(r => r.Name).ToArray();
        preClose = rows.Select(r => r.Price).ToArray();
        price = rows.Select(r => r.Price).ToArray();
        volume = rows.Select(_ => 1_000_000L).ToArray();
        random = seed;
    }

    public static long NowMicros() => (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static string FormatTimestamp(long unixMicros) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixMicros * 10).ToOffset(Shanghai)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);

    /// <summary>Moves every price and returns the message stamped with <paramref name="tsMicros"/>.</summary>
    public PriceUpdate Tick(long tsMicros)
    {
        var data = new StockRow[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            var step = 1m + ((decimal)NextRandom() - 0.5m) * 0.004m;
            var p = Math.Round(price[i] * step, 2, MidpointRounding.AwayFromZero);
            p = Math.Clamp(p, Math.Round(preClose[i] * 0.9m, 2), Math.Round(preClose[i] * 1.1m, 2));
            price[i] = p;
            volume[i] += 100 * (1 + (long)(NextRandom() * 500));
            var change = Math.Round((p - preClose[i]) / preClose[i] * 100m, 2, MidpointRounding.AwayFromZero);
            data[i] = new StockRow(codes[i], names[i], p, change, volume[i]);
        }
        seq++;
        return new PriceUpdate("price_update", data, FormatTimestamp(tsMicros), seq, tsMicros);
    }

    private double NextRandom()
    {
        var x = random;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        random = x;
        return x / 4294967296.0;
    }
}

/// <summary>
/// Holds publishing back until the expected clients have connected (or 30 s after the first one),
/// so a slow connect phase is not mixed into the measurement. Always open when none are expected.
/// </summary>
public sealed class PublishGate(int expected, TimeProvider time)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);
    private bool open = expected <= 0;
    private long firstSeen;

    public bool IsOpen(int connected)
    {
        if (open)
        {
            return true;
        }
        if (connected > 0 && firstSeen == 0)
        {
            firstSeen = time.GetTimestamp();
        }
        open = connected >= expected || (firstSeen != 0 && time.GetElapsedTime(firstSeen) >= Grace);
        return open;
    }
}

/// <summary>The peers' command line: --port, --clients-expected, --interval-ms, --stocks.</summary>
public sealed record PeerArgs(int Port, int ClientsExpected, int IntervalMs, int Stocks)
{
    public static PeerArgs Parse(string[] args)
    {
        var port = 8000;
        var expected = 0;
        var interval = 1000;
        var stocks = 50;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--port": port = value; break;
                case "--clients-expected": expected = value; break;
                case "--interval-ms": interval = value; break;
                case "--stocks": stocks = value; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new PeerArgs(port, expected, interval, stocks);
    }
}
