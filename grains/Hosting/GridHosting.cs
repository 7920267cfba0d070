using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.Messaging;
using Orleans.Storage;
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
    /// which adds up to that much latency per hop. Each poll walks every stream of its queue, so the
    /// cost grows with the stocks: with 5,000 and a closed market, 10 ms kept about 10 % of one core
    /// busy, 100 ms about 3 %.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:01")]
    public TimeSpan PullPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Memory-stream queues (each a queue grain, pulled by one agent): the most silos that share the
    /// pulling. Fewer queues read a tick in fewer, larger batches; the embedded gateway runs 2.
    /// </summary>
    [Range(1, 64)]
    public int Queues { get; set; } = 8;

    /// <summary>
    /// How long a pulling agent's cache keeps a delivered delta (Orleans' default is 30 minutes,
    /// and at least 5). Nothing here reads a price stream from the past: subscriptions start at the
    /// live end, and a client that resumes is replayed from the gateway's recent deltas or the
    /// StockGrain's history. The cache only has to cover a consumer that is a little behind; a
    /// 5,000-stock market held for 30 minutes would be about 3 million deltas in memory, the pooled
    /// buffers growing by about 1.6 MB/s until then. A delta is dropped once it is older than this
    /// and has been in the cache for half of it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:30:00")]
    public TimeSpan CacheAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A stream with no delta for this long leaves its pulling agent's bookkeeping (Orleans'
    /// default is 30 minutes); its next delta registers it again, with its subscribers, and while
    /// a registration is pending the agent reads nothing from its queue. Every poll walks that
    /// bookkeeping, and a StockGrain nobody follows stops publishing, so with 5,000 stocks of which
    /// a gateway follows a few hundred, Orleans' default kept every poll walking all 5,000 for half
    /// an hour. Five minutes: a followed stock that trades seldom rarely goes that long between
    /// changes in a session, so re-registrations stay rare.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan InactivityPeriod { get; set; } = TimeSpan.FromMinutes(5);
}

public static partial class GridHosting
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
        services.AddOptions<IngestLeaseOptions>().BindConfiguration(IngestLeaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IngestMetrics>();
        services.TryAddSingleton<IngestLease>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestLease>());
        services.AddHostedService<QuoteIngestService>();
        return services;
    }

    /// <summary>
    /// Binds and validates <c>Cluster</c> now (hosting needs it to pick the mode) and registers it
    /// with <c>ValidateOnStart</c> for everything that reads it later.
    /// </summary>
    public static GridClusterOptions GetGridClusterOptions(this IConfiguration configuration)
    {
        var cluster = configuration.GetSection(GridClusterOptions.Section).Get<GridClusterOptions>() ?? new GridClusterOptions();
        Validator.ValidateObject(cluster, new ValidationContext(cluster), validateAllProperties: true);
        return cluster;
    }

    /// <summary>
    /// A whole silo of the price grid, as the <c>silo</c> project and the embedded gateway run it:
    /// clustering (<see cref="UseGridClustering"/>), grains, streams and storage
    /// (<see cref="AddPriceGrid"/>) and the quote ingest.
    /// </summary>
    public static ISiloBuilder AddPriceSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.UseGridClustering(configuration);
        silo.AddPriceGrid(configuration);
        silo.Services.AddQuoteIngest();
        return silo;
    }

    /// <summary>
    /// Clustering from <c>Cluster</c>: localhost clustering on <c>SiloPort</c>/<c>GatewayPort</c> in
    /// the embedded default, Redis clustering (on the silo's shared <see cref="GridRedis"/>
    /// connection) when <c>Cluster:Redis</c> is set.
    /// </summary>
    public static ISiloBuilder UseGridClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = configuration.GetGridClusterOptions();
        silo.Services.AddOptions<GridClusterOptions>().BindConfiguration(GridClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (!cluster.UsesRedis)
        {
            silo.UseLocalhostClustering(siloPort: cluster.SiloPort, gatewayPort: cluster.GatewayPort);
            return silo;
        }

        silo.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = cluster.ServiceId;
            o.ClusterId = cluster.ClusterId;
        });
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = cluster.ProbeTimeout;
            o.NumMissedProbesLimit = 2;
            // One vote suffices: a two-silo cluster has only one other silo to vote.
            o.NumVotesForDeathDeclaration = 1;
        });
        if (System.Net.IPAddress.TryParse(cluster.AdvertisedHost, out var ip))
        {
            silo.ConfigureEndpoints(ip, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
        }
        else if (cluster.AdvertisedHost.Length > 0)
        {
            silo.ConfigureEndpoints(cluster.AdvertisedHost, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
        }
        else
        {
            silo.ConfigureEndpoints(cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
        }
        var redis = SharedRedis(silo.Services, cluster.Redis);
        silo.UseRedisClustering(o =>
        {
            o.ConfigurationOptions = GridRedis.Options(cluster.Redis); // validated; the connection itself is the shared one
            o.CreateMultiplexer = async _ => (await redis.GetAsync(), true);
        });
        // The grain directory in Redis too: one entry per grain, registered atomically, so a silo
        // joining or leaving does not move directory partitions between silos. With Orleans'
        // default (a hash ring over the silos) a joining silo took over part of the ring, and
        // calls routed through it could start a second activation of a grain that was still
        // running (a StockGrain in a new epoch beside the old one). On the shared connection, as
        // clustering and storage (shared: the directory does not dispose it), so the silo's
        // readiness check watches the connection the directory uses.
        silo.UseRedisGrainDirectoryAsDefault(o =>
        {
            o.ConfigurationOptions = GridRedis.Options(cluster.Redis);
            o.CreateMultiplexer = async _ => (await redis.GetAsync(), true);
        });
        return silo;
    }

    /// <summary>
    /// A silo of the price grid: grains, the price stream provider and grain storage. Storage is
    /// in memory in the embedded default and on Redis (<c>GridStore</c> and <c>PubSubStore</c>,
    /// one shared connection) when <c>Cluster:Redis</c> is set. Clustering is chosen by the caller
    /// (<see cref="UseGridClustering"/>, or a test cluster's own); the quote feed and its ingest are
    /// added with <see cref="AddQuoteIngest"/> (StockGrains read history from the feed).
    /// </summary>
    public static ISiloBuilder AddPriceGrid(this ISiloBuilder silo, IConfiguration configuration)
    {
        var streams = configuration.GetSection(StreamOptions.Section).Get<StreamOptions>() ?? new StreamOptions();
        Validator.ValidateObject(streams, new ValidationContext(streams), validateAllProperties: true);
        var cluster = configuration.GetGridClusterOptions();

        if (cluster.UsesRedis)
        {
            var redis = SharedRedis(silo.Services, cluster.Redis);
            foreach (var name in (string[])[StreamNames.PubSubStore, StreamNames.GridStore])
            {
                silo.Services.AddRedisGrainStorage(name, (OptionsBuilder<Orleans.Persistence.RedisStorageOptions> b) => b.Configure<IServiceProvider>((o, sp) =>
                {
                    SharedConnection(o, redis, cluster.Redis);
                    o.GrainStorageSerializer = BinaryStateSerializer(sp);
                }));
            }
            silo.Services.TryAddSingleton<IStockTrendCache, RedisStockTrendCache>();
            silo.Services.TryAddSingleton<IGridStorageHealth, RedisStorageHealth>();
        }
        else
        {
            foreach (var name in (string[])[StreamNames.PubSubStore, StreamNames.GridStore])
            {
                silo.AddMemoryGrainStorage(name, (OptionsBuilder<MemoryGrainStorageOptions> b) => b.Configure<IServiceProvider>((o, sp) => o.GrainStorageSerializer = BinaryStateSerializer(sp)));
            }
            silo.Services.TryAddSingleton<IStockTrendCache, NullStockTrendCache>();
            silo.Services.TryAddSingleton<IGridStorageHealth, MemoryStorageHealth>();
        }
        silo.AddMemoryStreams(StreamNames.Provider, b =>
        {
            b.ConfigurePartitioning(streams.Queues);
            b.ConfigurePullingAgent(o => o.Configure(p =>
            {
                p.GetQueueMsgsTimerPeriod = streams.PullPeriod;
                p.StreamInactivityPeriod = streams.InactivityPeriod;
            }));
            b.ConfigureCacheEviction(o => o.Configure(e =>
            {
                e.DataMaxAgeInCache = streams.CacheAge;
                e.DataMinTimeInCache = streams.CacheAge / 2;
            }));
        });
        var stocks = silo.Services.AddOptions<StockGrainOptions>();
        // Memory storage dies with the process: a periodic write protects nothing a crash would not
        // lose anyway (a StockGrain still writes on deactivation), and at 5,000 stocks every 5 s it
        // was 60 % of the embedded gateway's allocations (each write serialises the 60 daily bars
        // and copies them into the storage grain, which keeps them into gen2). Configuration still
        // overrides it; the default stays 5 s with Redis.
        if (!cluster.UsesRedis) stocks.Configure(o => o.StateWriteInterval = StockGrainOptions.MemoryStorageWriteInterval);
        stocks.BindConfiguration(StockGrainOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        silo.Services.AddMarketModel();
        return silo;
    }

    /// <summary>
    /// An Orleans client of a Redis cluster (the gateway in cluster mode): Redis clustering, the
    /// grid's stream provider, and connection retries for as long as the host runs, so a gateway
    /// started before its silos (or while Redis is away) waits for them instead of failing.
    /// </summary>
    public static IClientBuilder UseGridCluster(this IClientBuilder client, IConfiguration configuration)
    {
        var cluster = configuration.GetGridClusterOptions();
        if (!cluster.UsesRedis) throw new InvalidOperationException("Cluster:Redis is empty: the embedded default hosts its own silo.");
        var streams = configuration.GetSection(StreamOptions.Section).Get<StreamOptions>() ?? new StreamOptions();
        Validator.ValidateObject(streams, new ValidationContext(streams), validateAllProperties: true);

        client.Services.AddOptions<GridClusterOptions>().BindConfiguration(GridClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        client.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = cluster.ServiceId;
            o.ClusterId = cluster.ClusterId;
        });
        client.UseRedisClustering(o => o.ConfigurationOptions = GridRedis.Options(cluster.Redis));
        client.AddMemoryStreams(StreamNames.Provider, b => b.ConfigurePartitioning(streams.Queues));
        client.Services.AddSingleton<IClientConnectionRetryFilter, RetryWhileRunning>();
        return client;
    }

    /// <summary>
    /// Grain state in the Orleans binary format instead of Orleans' default, Newtonsoft JSON with type
    /// names: with 5,000 stocks each writing every few seconds, that JSON was over half the embedded
    /// process's CPU (profiled). Records written as JSON before still load (the default serializer
    /// reads what the binary one cannot).
    /// </summary>
    private static GrainStorageSerializer BinaryStateSerializer(IServiceProvider services) =>
        new(new OrleansGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>()), services.GetRequiredService<IGrainStorageSerializer>());

    private static void SharedConnection(Orleans.Persistence.RedisStorageOptions o, GridRedis redis, string connectionString)
    {
        o.ConfigurationOptions = GridRedis.Options(connectionString);
        o.CreateMultiplexer = async _ => (await redis.GetAsync(), true);
    }

    private static GridRedis SharedRedis(IServiceCollection services, string connectionString)
    {
        foreach (var d in services)
        {
            if (d.ServiceType == typeof(GridRedis) && d.ImplementationInstance is GridRedis existing) return existing;
        }
        var redis = new GridRedis(connectionString);
        services.AddSingleton(redis);
        return redis;
    }

    /// <summary>Keeps a client retrying its first connection (every 2 s) until the host stops.</summary>
    private sealed partial class RetryWhileRunning(ILogger<RetryWhileRunning> logger) : IClientConnectionRetryFilter
    {
        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested) return false;
            LogRetry(logger, exception.Message);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            return true;
        }

        [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Connecting to the cluster failed, retrying in 2 s: {Error}")]
        private static partial void LogRetry(ILogger logger, string error);
    }
}
