using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OrleansPrices.Grains.Hosting;
using OrleansPrices.Market.Quotes;
using StackExchange.Redis;

namespace OrleansPrices.Grains.Stocks;

/// <summary>
/// The brief's price cache, <c>stock_trend:{ts_code}</c>, kept for backends that read it. A
/// StockGrain hands over its bars whenever it writes its state (at most every
/// <c>Grid:Stocks:StateWriteInterval</c>, never per tick).
/// </summary>
public interface IStockTrendCache
{
    /// <summary>Stores the bars; never throws and never waits for the store (failures are logged).</summary>
    void Write(string tsCode, IReadOnlyList<DailyBar> history, DailyBar? today);
}

/// <summary>The embedded default: no Redis, no cache.</summary>
public sealed class NullStockTrendCache : IStockTrendCache
{
    public void Write(string tsCode, IReadOnlyList<DailyBar> history, DailyBar? today) { }
}

/// <summary>Writes <c>stock_trend:{ts_code}</c> on the silo's shared Redis connection.</summary>
public sealed partial class RedisStockTrendCache(GridRedis redis, ILogger<RedisStockTrendCache> logger) : IStockTrendCache
{
    public static string Key(string tsCode) => "stock_trend:" + tsCode;

    public void Write(string tsCode, IReadOnlyList<DailyBar> history, DailyBar? today)
    {
        var json = StockTrendJson.Encode(history, today);
        _ = Send(tsCode, json);
    }

    private async Task Send(string tsCode, byte[] json)
    {
        try
        {
            var db = (await redis.GetAsync()).GetDatabase();
            await db.StringSetAsync(Key(tsCode), json);
        }
        catch (Exception ex)
        {
            LogWriteFailed(logger, tsCode, ex.Message);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Writing stock_trend:{TsCode} failed: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, string tsCode, string error);
}

/// <summary>
/// The <c>stock_trend</c> value as Tushare's <c>daily</c> shapes it: <c>{"data":[{"trade_date":"YYYYMMDD",
/// "open","high","low","close","pre_close","vol","amount"}, ...]}</c>, oldest first (the brief reads
/// <c>data[-1]</c> as the latest), today's bar last. <c>vol</c> is in lots of 100 shares and
/// <c>amount</c> in thousands of CNY, as Tushare reports them.
/// </summary>
public static class StockTrendJson
{
    public static byte[] Encode(IReadOnlyList<DailyBar> history, DailyBar? today)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + 160 * (history.Count + 1));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("data");
            foreach (var bar in history)
            {
                if (today is null || bar.TradeDate < today.TradeDate) WriteBar(w, bar);
            }
            if (today is not null) WriteBar(w, today);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteBar(Utf8JsonWriter w, DailyBar bar)
    {
        w.WriteStartObject();
        w.WriteString("trade_date", bar.TradeDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        w.WriteNumber("open", bar.Open);
        w.WriteNumber("high", bar.High);
        w.WriteNumber("low", bar.Low);
        w.WriteNumber("close", bar.Close);
        w.WriteNumber("pre_close", bar.PreClose);
        w.WriteNumber("vol", bar.Volume / 100m);
        w.WriteNumber("amount", bar.Amount / 1000m);
        w.WriteEndObject();
    }
}
