using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansPrices.Gateway.Health;
using OrleansPrices.Grains.Hosting;
using OpenTelemetry.Metrics;
using OrleansPrices.Grains.Ingest;
using StackExchange.Redis;

namespace OrleansPrices.Silo;

/// <summary>
/// The silo process: a silo of the price grid (<see cref="GridHosting.AddPriceSilo"/>) with a small
/// HTTP port (<c>Urls</c>) for health: <c>/health/live</c> (the process serves HTTP) and
/// <c>/health/ready</c> (the silo is Active in the cluster and its grain storage answers), and
/// <c>/metrics</c> (Prometheus: the <c>OrleansPrices.Ingest</c> meter and Orleans').
/// </summary>
public static class SiloHosting
{
    public const string ReadyTag = "ready";

    /// <summary>How long a storage ping may take before the silo counts its storage as unavailable.</summary>
    public static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(1);

    public static WebApplicationBuilder AddPriceSiloHost(this WebApplicationBuilder builder)
    {
        builder.UseOrleans(silo => silo.AddPriceSilo(builder.Configuration));
        // Long enough for a clean leave: the StockGrains write their state and hand over.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(IngestMetrics.MeterName, "Microsoft.Orleans")
            .AddPrometheusExporter());
        builder.Services.AddHealthChecks()
            .AddCheck<MembershipCheck>("membership", tags: [ReadyTag])
            .AddCheck<StorageCheck>("storage", tags: [ReadyTag]);
        return builder;
    }

    public static WebApplication MapSiloEndpoints(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint();
        app.MapLiveAndReady(ReadyTag);
        return app;
    }

    /// <summary>The silo is Active in the membership (not joining, not shutting down, not declared dead).</summary>
    private sealed class MembershipCheck(IClusterMembershipService membership, ILocalSiloDetails local, IngestLease lease) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var snapshot = membership.CurrentSnapshot;
            var status = snapshot.GetSiloStatus(local.SiloAddress);
            var active = snapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
            var description = $"{local.SiloAddress} {status}; {active} active silo(s); {(lease.IsHeld ? "holds" : "does not hold")} the ingest lease";
            return Task.FromResult(status == SiloStatus.Active ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description));
        }
    }

    /// <summary>Cluster mode: the shared Redis connection answers a PING within <see cref="StorageTimeout"/>.</summary>
    private sealed class StorageCheck(IServiceProvider services) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (services.GetService<GridRedis>() is not { } redis) return HealthCheckResult.Healthy("memory storage");
            RedisPing ping;
            try
            {
                ping = await GridRedis.PingAsync(await redis.GetAsync().WaitAsync(StorageTimeout, cancellationToken), StorageTimeout, cancellationToken);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                ping = new RedisPing(null, ex.Message);
            }
            return ping.Error is { } error
                ? HealthCheckResult.Unhealthy($"storage_unavailable: Redis does not answer ({error})")
                : HealthCheckResult.Healthy($"Redis answered in {ping.Latency?.TotalMilliseconds:F1} ms");
        }
    }
}
