using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Orleans.Configuration;
using OpenTelemetry.Metrics;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Gateway.Connections;
using OrleansPrices.Gateway.Health;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Subscriptions;
using OrleansPrices.Grains.Hosting;
using OrleansPrices.Grains.Ingest;

namespace OrleansPrices.Gateway.Hosting;

public static class GatewayHosting
{
    /// <summary>Cluster mode: how often a gateway reads the silo list from Redis.</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The gateway. Embedded default (<c>Cluster:Redis</c> empty): a co-hosted silo on localhost
    /// clustering, in-memory storage and streams, and the simulated market feeding it. Cluster mode
    /// (<c>Cluster:Redis</c> set): an Orleans client of the Redis cluster, no silo, no ingest; the
    /// same gateway services on top.
    /// </summary>
    public static WebApplicationBuilder AddPriceGateway(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetGridClusterOptions().UsesRedis)
        {
            builder.UseOrleansClient(client => client.UseGridCluster(builder.Configuration));
            builder.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<GridHealth>());
            builder.Services.AddOptions<ClientMessagingOptions>().Configure<IOptions<GatewayOptions>>((m, g) => m.ResponseTimeout = g.Value.GrainCallTimeout);
            // Orleans reads the silo list every minute by default: a gateway that lost every silo would
            // wait up to that long for one that joins. One Redis read every few seconds is nothing.
            builder.Services.Configure<Orleans.Configuration.GatewayOptions>(o => o.GatewayListRefreshPeriod = GatewayListRefreshPeriod);
            builder.Services.AddHostedService<RedisProbe>();
        }
        else
        {
            builder.UseOrleans(silo => silo.AddPriceSilo(builder.Configuration));
        }
        UseInlineSocketCompletions(builder.Configuration);
        builder.Services.AddPriceGatewayServices();
        return builder;
    }

    /// <summary>Socket I/O threads at least, with inline scheduling (see <see cref="UseInlineSocketCompletions"/>).</summary>
    public const int MinInlineSocketThreads = 4;

    /// <summary>
    /// With <see cref="GatewayOptions.InlineSocketScheduling"/> (on unless set false), has the socket
    /// layer complete operations on its I/O threads: Kestrel's inline scheduling skips the thread pool
    /// only if the completions come inline too. Those threads then do the requests' work, so there
    /// are at least <see cref="MinInlineSocketThreads"/> of them, or one per core (unless
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT</c> is set): the runtime gave the gateway pinned to
    /// one core one, and with every connection on it, at 1,000 req/s of 220 KB answers some requests
    /// waited up to 1.1 s. The runtime reads both once, at the process's first socket operation, so
    /// call this before the host starts.
    /// </summary>
    public static void UseInlineSocketCompletions(IConfiguration configuration)
    {
        foreach (var (name, value) in InlineSocketEnvironment(configuration, Environment.GetEnvironmentVariable, Environment.ProcessorCount))
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    /// <summary>The environment variables <see cref="UseInlineSocketCompletions"/> sets.</summary>
    internal static IReadOnlyList<(string Name, string Value)> InlineSocketEnvironment(IConfiguration configuration, Func<string, string?> environment, int processors)
    {
        // Bound as the options are, so the default is GatewayOptions' own.
        var options = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        if (!options.InlineSocketScheduling) return [];
        List<(string, string)> set = [("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1")];
        if (string.IsNullOrEmpty(environment("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT")))
        {
            set.Add(("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", Math.Max(MinInlineSocketThreads, processors).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return set;
    }

    /// <summary>The gateway's own services, whatever hosts the grains.</summary>
    public static IServiceCollection AddPriceGatewayServices(this IServiceCollection services)
    {
        services.AddPriceFanOut();
        services.AddMarketModel();
        services.AddOptions<SubscriptionWatchdogOptions>().BindConfiguration(SubscriptionWatchdogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        AddHostedSingleton<PriceSubscriptions>(services);
        services.TryAddSingleton<SignalListResponses>();
        services.TryAddSingleton<SubscriptionHub>();
        services.AddHostedService<SubscriptionPump>();
        services.AddGatewayHealth();
        services.AddOptions<HostOptions>().Configure<IOptions<GatewayOptions>>((h, g) => h.ShutdownTimeout = g.Value.ShutdownTimeout);
        AddHostedSingleton<SignalLists>(services);
        AddHostedSingleton<StockDirectory>(services);

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Encoder = ApiJsonContext.Web.Options.Encoder;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        });
        services.AddOpenApi();
        services.AddProblemDetails();
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(GatewayMetrics.MeterName, IngestMetrics.MeterName, "Microsoft.Orleans")
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// The WebSocket fan-out alone: price book, broadcast scope, broadcaster and connections. What
    /// feeds the book is the caller's (the Orleans stream subscriptions, or a benchmark's direct feed).
    /// </summary>
    public static IServiceCollection AddPriceFanOut(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GatewayMetrics>();
        services.TryAddSingleton<PriceBook>();
        services.TryAddSingleton<BroadcastScope>();
        AddHostedSingleton<ConnectionRegistry>(services);
        AddHostedSingleton<Broadcaster>(services);
        services.AddPriceSocketUpgrade();
        services.AddOptions<SocketTransportOptions>().Configure<IOptions<GatewayOptions>>((t, g) => t.UnsafePreferInlineScheduling = g.Value.InlineSocketScheduling);
        AddHostedSingleton<SocketThreadSlice>(services);
        return services;
    }

    private static void AddHostedSingleton<T>(IServiceCollection services) where T : class, IHostedService
    {
        services.TryAddSingleton<T>();
        services.AddHostedService(sp => sp.GetRequiredService<T>());
    }

    public static WebApplication MapPriceGateway(this WebApplication app)
    {
        // Unexpected errors answer in the brief's envelope, without details (they go to the log).
        app.UseExceptionHandler(error => error.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return context.Response.WriteAsJsonAsync(new ErrorEnvelope(500, "internal server error"), ApiJsonContext.Default.ErrorEnvelope);
        }));
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapOpenApi();
        app.MapPrometheusScrapingEndpoint();
        app.MapGatewayHealth();
        app.MapStocksApi();
        app.MapPriceSocket();
        return app;
    }
}
