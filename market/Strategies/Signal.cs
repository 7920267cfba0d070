namespace OrleansPrices.Market.Strategies;

/// <summary>A stock on a strategy's list: why, and since when.</summary>
/// <param name="Strategy">The strategy's <see cref="IStrategy.Name"/>, e.g. <c>volume_ratio</c>.</param>
/// <param name="Action">What the signal suggests: <c>BUY</c>.</param>
/// <param name="Reason">Chinese with figures, e.g. "量比 3.20 放量突破，涨幅 4.12%".</param>
/// <param name="VolumeRatio">The stock's volume ratio (量比) at evaluation, whatever the strategy.</param>
/// <param name="Details">Short human-readable figures behind the signal.</param>
/// <param name="Since">
/// The quote time of the evaluation that produced it; a holder that already had the stock on the
/// list keeps its own, earlier <c>Since</c>.
/// </param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.Signal")]
public sealed record Signal(
    [property: Id(0)] string Strategy,
    [property: Id(1)] string Action,
    [property: Id(2)] string Reason,
    [property: Id(3)] decimal VolumeRatio,
    [property: Id(4)] string Details,
    [property: Id(5)] DateTimeOffset Since)
{
    /// <summary>The only action today's strategies emit.</summary>
    public const string Buy = "BUY";
}
