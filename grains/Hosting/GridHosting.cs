using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansPrices.Grains.Ingest;
using OrleansPrices.Grains.Stocks;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Rules;
using OrleansPrices.Market.Simulation;
using OrleansPrices.Market.Strategies;
using OrleansPrices.Market.Time;

namespace OrleansPrices.Grains.Hosting;

/// <summary>Stream settings shared by silos and gateways, bound from <c>Grid:Streams</c>.</summary>
public sealed class StreamOptions
{
    public const string Section = "Grid:Streams";

    /// <summary>
    /// How long a memory-stream pulling agent waits after an empty poll. Orleans' default is 100 ms,
    /// which adds up to that much latency per hop; 10 ms costs little CPU with 8 queues.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:01")]
    public TimeSpan PullPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Memory-stream queues (each a queue grain).</summary>
    [Range(1, 64)]
    public int Queues { get; set; } = 8;
}

public static class GridHosting
{
    /// <summary>
    /// The A-share domain services: trading calendar, market clock, price-limit rules, strategies.
    /// Used by silos (ingest, grains) and gateways (market status).
    /// </summary>
    public static IServiceCollection AddMarketModel(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MarketClockOptions>().BindConfiguration(MarketClockOptions.Section).ValidateOnStart();
        // MarketClock loads Market:Clock:ExtraTradingDaysFile (next year's list) into this calendar.
        services.TryAddSingleton(sp => TradingCalendar.LoadEmbedded(sp.GetRequiredService<ILoggerFactory>().CreateLogger<TradingCalendar>()));
        services.TryAddSingleton<MarketClock>();
        services.TryAddSingleton(PriceLimitRules.Default);
        services.TryAddSingleton(StrategyCatalog.Default);
        return services;
    }

    /// <summary>The quote feed (the simulated market) and the ingest that polls it.</summary>
    public static IServiceCollection AddQuoteIngest(this IServiceCollection services)
    {
        services.AddMarketModel();
        services.AddOptions<SimulatorOptions>().BindConfiguration(SimulatorOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IQuoteFeed, SimulatedMarket>();
        services.TryAddSingleton<IngestMetrics>();
        services.AddHostedService<QuoteIngestService>();
        return services;
    }

    /// <summary>
    /// A silo of the price grid: grains, the price stream provider and grain storage. Clustering
    /// is chosen by the caller (localhost for the embedded default); the quote feed and its ingest
    /// are added with <see cref="AddQuoteIngest"/> (StockGrains read history from the feed).
    /// </summary>
    public static ISiloBuilder AddPriceGrid(this ISiloBuilder silo, IConfiguration configuration)
    {
        var streams = configuration.GetSection(StreamOptions.Section).Get<StreamOptions>() ?? new StreamOptions();
        Validator.ValidateObject(streams, new ValidationContext(streams), validateAllProperties: true);

        silo.AddMemoryGrainStorage(StreamNames.PubSubStore);
        silo.AddMemoryGrainStorage(StreamNames.GridStore);
        silo.AddMemoryStreams(StreamNames.Provider, b =>
        {
            b.ConfigurePartitioning(streams.Queues);
            b.ConfigurePullingAgent(o => o.Configure(p => p.GetQueueMsgsTimerPeriod = streams.PullPeriod));
        });
        silo.Services.AddOptions<StockGrainOptions>().BindConfiguration(StockGrainOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        silo.Services.AddMarketModel();
        return silo;
    }
}
