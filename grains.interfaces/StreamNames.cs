using Orleans.Runtime;

namespace OrleansPrices.Grains;

/// <summary>The Orleans streams the grid publishes to, in one place.</summary>
public static class StreamNames
{
    /// <summary>The stream provider's name, in silos and gateways alike.</summary>
    public const string Provider = "PriceStreams";

    /// <summary>Storage provider that holds explicit stream subscriptions (Orleans looks it up by this exact name).</summary>
    public const string PubSubStore = "PubSubStore";

    /// <summary>Grain storage for StockGrain and SignalListGrain state.</summary>
    public const string GridStore = "GridStore";

    public const string PricesNamespace = "prices";
    public const string SignalsNamespace = "signals";

    /// <summary>The stream of one stock's <see cref="PriceDelta"/>s, keyed by ts_code.</summary>
    public static StreamId Prices(string tsCode) => StreamId.Create(PricesNamespace, tsCode);

    /// <summary>The stream of one strategy's <see cref="SignalChange"/>s.</summary>
    public static StreamId Signals(string strategy) => StreamId.Create(SignalsNamespace, strategy);
}
