namespace OrleansPrices.Market.Time;

/// <summary>Where the A-share trading day stands (Asia/Shanghai).</summary>
public enum MarketPhase
{
    /// <summary>Not a trading day, or after 15:00 / before 9:15 of one.</summary>
    Closed,
    /// <summary>A trading day before 9:15.</summary>
    PreOpen,
    /// <summary>Opening call auction, 9:15–9:25 (and the 9:25–9:30 pause).</summary>
    OpeningAuction,
    /// <summary>Continuous trading, 9:30–11:30 and 13:00–14:57.</summary>
    Continuous,
    /// <summary>11:30–13:00.</summary>
    LunchBreak,
    /// <summary>Closing call auction, 14:57–15:00.</summary>
    ClosingAuction,
}
