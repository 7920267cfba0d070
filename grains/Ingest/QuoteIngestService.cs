using OrleansPrices.Grains.Hosting;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Time;

namespace OrleansPrices.Grains.Ingest;

/// <summary>
/// Polls the quote feed at its cadence while quotes move (auctions and continuous trading) and
/// hands each new snapshot to its StockGrain with bounded concurrency. Outside trading phases it
/// does not poll: the grains keep serving the last state. A failing poll is retried with
/// exponential backoff; the loop never dies on a feed error. In a cluster every silo runs this
/// service but only the holder of the <see cref="IngestLease"/> polls; the others wait to take over.
/// </summary>
public sealed partial class QuoteIngestService(
    IGrainFactory grains,
    IQuoteFeed feed,
    MarketClock clock,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    IngestLease lease,
    IOptions<IngestOptions> options,
    IngestMetrics metrics,
    ILogger<QuoteIngestService> logger) : BackgroundService
{
    private readonly IngestOptions _options = options.Value;

    /// <summary>
    /// The StockGrain references, made once per stock: <c>GetGrain</c> resolves the interface type
    /// by formatting and parsing its name on every call (about 4 MB a tick at 5,000 stocks).
    /// </summary>
    private readonly ConcurrentDictionary<string, IStockGrain> _stocks = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Grain calls need the silo up: hosted services start before the host reports started.
        await lifetime.WaitForStartAsync(stoppingToken);

        var failures = 0;
        var seeded = false;
        var universeSet = false;
        MarketPhase? lastPhase = null;
        using var timer = new PeriodicTimer(feed.PollInterval, time);
        do
        {
            if (!lease.IsHeld)
            {
                // Not (or no longer) this silo's turn: wait for the lease, then start as a new holder.
                await lease.WaitHeldAsync(stoppingToken);
                LogStarted(logger, feed.Name, feed.Universe.Count, feed.PollInterval);
                universeSet = false;
            }
            var status = clock.Now();
            if (status.Phase != lastPhase)
            {
                LogPhase(logger, status.Phase, status.NextOpen);
                lastPhase = status.Phase;
            }
            // Outside trading phases nothing is polled and the grains serve the last state; a
            // process started while the market is closed polls once so there is a last state.
            if (!status.QuotesMove && seeded) continue;

            try
            {
                if (!universeSet)
                {
                    await grains.GetGrain<IStockDirectoryGrain>(IStockDirectoryGrain.Key).SetUniverse([.. feed.Universe]);
                    universeSet = true;
                }
                await PollOnce(stoppingToken);
                seeded = true;
                failures = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                metrics.PollFailed();
                var backoff = Backoff(failures);
                LogPollFailed(logger, feed.Name, failures, backoff, ex.Message);
                await Task.Delay(backoff, time, stoppingToken);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One poll: fetch the moved snapshots and apply each to its grain.</summary>
    internal async Task<int> PollOnce(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var quotes = await feed.PollAsync(cancellationToken);
        var published = 0;
        var failed = 0;
        Exception? lastError = null;
        // Batches of BatchSize, each started when the one before has finished (so a stock's quote is
        // applied once, in poll order): at even steps over Spread × the poll interval, or without a
        // spread right after a yield. The yield puts the loop at the back of the thread pool's global
        // queue, where socket completions wait: requests that came in during a batch are answered
        // before the next one, not after the whole tick (on a pinned core a 5,000-stock tick is
        // about half a second of grain work, and the grains' continuations run from the workers'
        // local queues, which are served before the global one).
        var batches = quotes.Chunk(_options.BatchSize).ToList();
        var step = feed.PollInterval * _options.Spread / Math.Max(batches.Count, 1);
        var polled = time.GetTimestamp();
        for (var b = 0; b < batches.Count; b++)
        {
            var wait = step * b - time.GetElapsedTime(polled);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time, cancellationToken);
            else if (b > 0) await Task.Yield();
            await Parallel.ForEachAsync(
                batches[b],
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                async (quote, _) =>
                {
                    try
                    {
                        var stock = _stocks.GetOrAdd(quote.TsCode, static (code, grains) => grains.GetGrain<IStockGrain>(code), grains);
                        if (await stock.ApplyQuote(quote) is not null)
                        {
                            Interlocked.Increment(ref published);
                        }
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        // One unreachable grain (its silo just died) must not hold back every other
                        // stock: the rest are applied, and the next snapshot brings this one up to date.
                        Interlocked.Increment(ref failed);
                        lastError = ex;
                    }
                });
        }
        metrics.Polled(quotes.Count, published, Stopwatch.GetElapsedTime(started));
        if (failed > 0)
        {
            if (failed == quotes.Count) throw new InvalidOperationException($"every StockGrain call failed: {lastError?.Message}", lastError);
            LogApplyFailed(logger, failed, quotes.Count, lastError?.Message ?? "");
        }
        return published;
    }

    internal TimeSpan Backoff(int failures)
    {
        var ms = _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.MaxBackoff.TotalMilliseconds));
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Ingest started (this silo holds the ingest lease): feed {Feed}, {Stocks} stocks, every {Interval}")]
    private static partial void LogStarted(ILogger logger, string feed, int stocks, TimeSpan interval);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Market phase {Phase}; next open {NextOpen}")]
    private static partial void LogPhase(ILogger logger, MarketPhase phase, DateTimeOffset? nextOpen);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "{Failed} of {Quotes} StockGrain calls failed in one poll (the others were applied): {Error}")]
    private static partial void LogApplyFailed(ILogger logger, int failed, int quotes, string error);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Feed {Feed} poll failed ({Failures} in a row), retrying in {Backoff}: {Error}")]
    private static partial void LogPollFailed(ILogger logger, string feed, int failures, TimeSpan backoff, string error);
}

/// <summary>Ingest counters on the <c>OrleansPrices.Ingest</c> meter.</summary>
public sealed class IngestMetrics : IDisposable
{
    public const string MeterName = "OrleansPrices.Ingest";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _quotes;
    private readonly Counter<long> _deltas;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _pollSeconds;

    public IngestMetrics()
    {
        _quotes = _meter.CreateCounter<long>("orleansprices.ingest.quotes", description: "Snapshots received from the feed");
        _deltas = _meter.CreateCounter<long>("orleansprices.ingest.deltas", description: "Deltas published by StockGrains");
        _failures = _meter.CreateCounter<long>("orleansprices.ingest.poll_failures", description: "Failed feed polls");
        _pollSeconds = _meter.CreateHistogram<double>("orleansprices.ingest.poll_duration", unit: "s");
    }

    public void Polled(int quotes, int deltas, TimeSpan elapsed)
    {
        _quotes.Add(quotes);
        _deltas.Add(deltas);
        _pollSeconds.Record(elapsed.TotalSeconds);
    }

    public void PollFailed() => _failures.Add(1);

    public void Dispose() => _meter.Dispose();
}
