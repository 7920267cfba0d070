using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Market.Time;

namespace OrleansPrices.Gateway.Health;

/// <summary>
/// The gateway's health endpoints: <c>/health/live</c> (the process serves HTTP; never fails on a
/// dependency, so an orchestrator doesn't restart a gateway for a Redis outage) and
/// <c>/health/ready</c> (also <c>/healthz</c>): the cluster is reachable (<see cref="GridHealth"/>),
/// the signal lists and the stock directory are loaded, and prices are fresh while the market
/// moves. Ready answers 503 whenever clients could be getting stale or no data, so delivery never
/// stops while it says all is well.
/// </summary>
public static class GatewayHealthChecks
{
    public const string ReadyTag = "ready";

    public static IServiceCollection AddGatewayHealth(this IServiceCollection services)
    {
        services.AddOptions<GridHealthOptions>().BindConfiguration(GridHealthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<GridHealth>();
        services.AddHealthChecks()
            .AddCheck<GridCheck>("grid", tags: [ReadyTag])
            .AddCheck<ListsCheck>("lists", tags: [ReadyTag])
            .AddCheck<PricesCheck>("prices", tags: [ReadyTag]);
        return services;
    }

    public static WebApplication MapGatewayHealth(this WebApplication app)
    {
        app.MapLiveAndReady(ReadyTag, "/healthz");
        return app;
    }

    private sealed class GridCheck(GridHealth grid) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(grid.Outage switch
            {
                null => HealthCheckResult.Healthy(grid.ConnectedSilos >= 0 ? $"connected to {grid.ConnectedSilos} silo(s)" : null),
                var reason when reason == Protocol.StaleReasons.ClusterUnavailable => HealthCheckResult.Unhealthy($"{reason}: connected to no silo"),
                var reason => HealthCheckResult.Unhealthy($"{reason}: Redis does not answer ({grid.StorageError})"),
            });
    }

    private sealed class ListsCheck(SignalLists lists, StockDirectory directory) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(lists.Ready && directory.Count > 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("the signal lists or the stock directory are not loaded yet"));
    }

    /// <summary>
    /// While the market moves, the price book must not be quiet (<see cref="PriceBook.IsQuiet"/>:
    /// it follows stocks and none moved for <c>Gateway:StaleAfter</c>; the same rule as
    /// <c>status</c>'s <c>no_recent_prices</c>).
    /// </summary>
    private sealed class PricesCheck(PriceBook book, MarketClock clock, IOptions<GatewayOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var staleAfter = options.Value.StaleAfter;
            if (!clock.Now().QuotesMove || !book.IsQuiet(staleAfter, out var quietFor))
            {
                return Task.FromResult(HealthCheckResult.Healthy(book.Count == 0 ? "no stock followed" : null));
            }
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"no price change for {quietFor.TotalSeconds:F0} s while the market is open (Gateway:StaleAfter {staleAfter.TotalSeconds:F0} s)"));
        }
    }
}
