using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Connections;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Gateway.Subscriptions;

namespace OrleansPrices.Gateway.Api;

/// <summary>
/// What every <c>/ws/stock/prices</c> session needs, resolved once per host: both ways a socket is
/// accepted (the connection middleware and the HTTP endpoint) hand it to
/// <see cref="PriceSocketEndpoint.Serve"/> with this.
/// </summary>
public sealed class PriceSocketServices(
    ConnectionRegistry registry,
    Broadcaster broadcaster,
    GatewayMetrics metrics,
    TimeProvider time,
    IOptions<GatewayOptions> options,
    ILoggerFactory loggers,
    IServiceProvider services)
{
    private SubscriptionHub? _hub;

    public ConnectionRegistry Registry => registry;
    public Broadcaster Broadcaster => broadcaster;

    /// <summary>The broadcaster's catch-up, as one delegate shared by every connection instead of one each.</summary>
    public Func<long, OutboundFrame?> CatchUp { get; } = broadcaster.CatchUp;
    public GatewayMetrics Metrics => metrics;
    public TimeProvider Time => time;
    public GatewayOptions Options => options.Value;
    public ILogger Logger { get; } = loggers.CreateLogger(typeof(PriceSocketEndpoint));

    /// <summary>
    /// The subscription hub; null on a host that only fans out the default stream (bench/fanout-host
    /// runs without a cluster), where a subscribe is answered with <c>unavailable</c>.
    /// </summary>
    public SubscriptionHub? Hub => _hub ??= services.GetService<SubscriptionHub>();

    /// <summary>The permessage-deflate agreement for a client's <c>Sec-WebSocket-Extensions</c>; null when off or none acceptable.</summary>
    public DeflateParameters? NegotiateDeflate(string? extensions) => Options.PerMessageDeflate ? PerMessageDeflate.Negotiate(extensions) : null;
}
