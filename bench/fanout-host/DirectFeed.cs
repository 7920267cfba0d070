using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Simulation;

namespace OrleansPrices.Bench.FanOutHost;

/// <summary>
/// Every interval, moves every one of N stocks by a tick and hands the new quotes to the price
/// book and broadcaster, exactly as the gateway's stream subscriptions do, stamping the publish time.
/// </summary>
internal sealed class DirectFeed(PriceBook book, BroadcastScope scope, Broadcaster broadcaster, IConfiguration configuration, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var count = configuration.GetValue("Feed:Stocks", 50);
        var interval = TimeSpan.FromMilliseconds(configuration.GetValue("Feed:IntervalMs", 1000));
        var stocks = StockUniverse.Create(count, 20260101).Take(count).ToArray();
        var prices = Enumerable.Range(0, count).Select(i => 10.00m + i).ToArray();
        var volumes = new long[count];
        scope.Set(stocks.Select(s => s.TsCode));
        var random = new Random(42);
        long seq = 0;

        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            seq++;
            for (var i = 0; i < count; i++)
            {
                prices[i] = Math.Max(0.01m, prices[i] + random.Next(-3, 4) * 0.01m);
                volumes[i] += random.Next(100, 10_000) * 100;
                var quote = new Quote
                {
                    TsCode = stocks[i].TsCode,
                    Name = stocks[i].Name,
                    Price = prices[i],
                    PreClose = 10.00m,
                    Volume = volumes[i],
                    Time = time.GetUtcNow(),
                };
                if (book.TryApply(quote.TsCode, quote, 1, seq, UnixTime.Micros(time.GetUtcNow())))
                {
                    broadcaster.MarkDirty(quote.TsCode);
                }
            }
        }
    }
}
