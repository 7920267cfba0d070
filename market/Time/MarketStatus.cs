namespace OrleansPrices.Market.Time;

/// <summary>Where the market stands at one instant; see <see cref="MarketClock.At"/>.</summary>
/// <param name="Phase">The session phase.</param>
/// <param name="TradingDay">
/// The trading day the instant belongs to: today when a trading day, else the next one
/// (in <see cref="AlwaysOpen"/> mode: the previous one).
/// </param>
/// <param name="NextOpen">The next 9:30 continuous-trading start (Shanghai time); null during continuous trading and in <see cref="AlwaysOpen"/> mode.</param>
/// <param name="MinutesTraded">Continuous-trading minutes elapsed today, lunch excluded, 0..240: the divisor of the volume ratio.</param>
/// <param name="AlwaysOpen">True in the demo mode of <see cref="MarketClockOptions.AlwaysOpen"/>.</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.MarketStatus")]
public sealed record MarketStatus(
    [property: Id(0)] MarketPhase Phase,
    [property: Id(1)] DateOnly TradingDay,
    [property: Id(2)] DateTimeOffset? NextOpen,
    [property: Id(3)] int MinutesTraded,
    [property: Id(4)] bool AlwaysOpen)
{
    /// <summary>True while prices can change: the auctions and continuous trading. The ingest polls then.</summary>
    public bool QuotesMove => Phase is MarketPhase.OpeningAuction or MarketPhase.Continuous or MarketPhase.ClosingAuction;
}
