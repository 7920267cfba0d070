using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using OrleansPrices.Grains;
using OrleansPrices.Grains.Ingest;
using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Time;
using Xunit;

namespace OrleansPrices.Tests.Grains;

/// <summary>
/// One poll's quotes go out in batches of Grid:Ingest:BatchSize: over a share of the poll interval with
/// Grid:Ingest:Spread, one right after the other (with a yield between them) without.
/// </summary>
public sealed class IngestSpreadTests(GridCluster grid) : IClassFixture<GridCluster>
{
    private sealed class FixedFeed(IReadOnlyList<Quote> quotes) : IQuoteFeed
    {
        public string Name => "fixed";
        public TimeSpan PollInterval => TimeSpan.FromSeconds(1);
        public IReadOnlyList<StockInfo> Universe => [];
        public ValueTask<IReadOnlyList<Quote>> PollAsync(CancellationToken cancellationToken) => ValueTask.FromResult(quotes);
        public ValueTask<IReadOnlyList<DailyBar>> GetHistoryAsync(string tsCode, int days, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<DailyBar>>([]);
    }

    /// <summary>count quotes of stocks {prefix}00.SH, {prefix}01.SH, ..., each 0.01 above the one before.</summary>
    private static List<Quote> Quotes(string prefix, decimal preClose, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new Quote
        {
            TsCode = $"{prefix}{i:00}.SH",
            Name = "测试股份",
            Price = preClose + 0.01m + i / 100m,
            PreClose = preClose,
            Volume = 1_000,
            Time = GridCluster.TenAm,
        })];

    private QuoteIngestService Ingest(IQuoteFeed feed, IngestOptions options)
    {
        var silo = grid.Cluster.Silos[0].ServiceProvider;
        var lifetime = silo.GetRequiredService<IHostApplicationLifetime>();
        var lease = new IngestLease(grid.Client, silo.GetRequiredService<ILocalSiloDetails>(), TimeProvider.System, lifetime,
            Options.Create(new IngestLeaseOptions()), NullLogger<IngestLease>.Instance);
        return new QuoteIngestService(grid.Client, feed, silo.GetRequiredService<MarketClock>(), TimeProvider.System, lifetime, lease,
            Options.Create(options), new IngestMetrics(), NullLogger<QuoteIngestService>.Instance);
    }

    [Fact]
    public async Task A_spread_poll_applies_every_quote_once_in_batches_over_its_share_of_the_interval()
    {
        var quotes = Quotes("6011", 10.00m, 20);
        // 4 batches of 5 at 0, 125, 250 and 375 ms (half of the 1 s interval).
        var ingest = Ingest(new FixedFeed(quotes), new IngestOptions { Spread = 0.5, BatchSize = 5 });

        var started = Stopwatch.GetTimestamp();
        Assert.Equal(20, await ingest.PollOnce(CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(375), $"took {Stopwatch.GetElapsedTime(started)}");

        // The same poll again is a repeat: nothing is applied twice.
        Assert.Equal(0, await ingest.PollOnce(CancellationToken.None));
        foreach (var q in quotes)
        {
            var snapshot = await grid.Client.GetGrain<IStockGrain>(q.TsCode).GetSnapshot();
            Assert.Equal(1, snapshot.Seq);
            Assert.Equal(q.Price, snapshot.Quote!.Price);
        }
    }

    [Fact]
    public async Task Without_a_spread_a_poll_in_batches_applies_every_quote_once_in_poll_order()
    {
        // 23 quotes in batches of 5 (the last one short); the same stock twice in one poll, in
        // different batches: the later snapshot wins, as it would in one burst.
        var quotes = Quotes("6012", 20.00m, 22);
        quotes.Add(quotes[0] with { Price = 20.50m, Volume = 2_000, Time = GridCluster.TenAm.AddSeconds(3) });
        var ingest = Ingest(new FixedFeed(quotes), new IngestOptions { BatchSize = 5 });

        Assert.Equal(23, await ingest.PollOnce(CancellationToken.None));

        Assert.Equal(0, await ingest.PollOnce(CancellationToken.None));
        var first = await grid.Client.GetGrain<IStockGrain>(quotes[0].TsCode).GetSnapshot();
        Assert.Equal(2, first.Seq);
        Assert.Equal(20.50m, first.Quote!.Price);
        foreach (var q in quotes.Skip(1).Take(21))
        {
            var snapshot = await grid.Client.GetGrain<IStockGrain>(q.TsCode).GetSnapshot();
            Assert.Equal(1, snapshot.Seq);
            Assert.Equal(q.Price, snapshot.Quote!.Price);
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(0.95)]
    public void A_spread_outside_0_to_0_9_is_refused(double spread)
    {
        var services = new ServiceCollection();
        services.AddOptions<IngestOptions>().Configure(o => o.Spread = spread).ValidateDataAnnotations();
        var error = Assert.Throws<OptionsValidationException>(() => services.BuildServiceProvider().GetRequiredService<IOptions<IngestOptions>>().Value);
        Assert.Contains(nameof(IngestOptions.Spread), error.Message, StringComparison.Ordinal);
    }
}
