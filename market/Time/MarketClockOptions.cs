namespace OrleansPrices.Market.Time;

/// <summary>Options of <see cref="MarketClock"/>, bound from the configuration section <see cref="Section"/>.</summary>
public sealed class MarketClockOptions
{
    /// <summary>The configuration section: <c>Market:Clock</c>.</summary>
    public const string Section = "Market:Clock";

    /// <summary>
    /// Demo mode: report <see cref="MarketPhase.Continuous"/> at any hour so simulated quotes keep
    /// moving (see <see cref="MarketClock.At"/> for the trading day and minutes it reports).
    /// </summary>
    public bool AlwaysOpen { get; set; }

    /// <summary>
    /// A JSON file of extra trading days ("YYYYMMDD" strings, like Data/xshg-trading-days.json),
    /// e.g. next year's, loaded into the calendar when the clock is created. A broken file fails
    /// the start with an <see cref="InvalidDataException"/>.
    /// </summary>
    public string? ExtraTradingDaysFile { get; set; }
}
