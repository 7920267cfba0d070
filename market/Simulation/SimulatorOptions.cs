using System.ComponentModel.DataAnnotations;

namespace OrleansPrices.Market.Simulation;

/// <summary>Options of <see cref="SimulatedMarket"/>, bound from the configuration section <see cref="Section"/>.</summary>
public sealed class SimulatorOptions
{
    /// <summary>The configuration section: <c>Market:Simulator</c>.</summary>
    public const string Section = "Market:Simulator";

    /// <summary>The default <see cref="Seed"/>.</summary>
    public const int DefaultSeed = 20260101;

    /// <summary>Seed of every random choice: the same seed and the same polls at the same clock times give the same quotes.</summary>
    public int Seed { get; set; } = DefaultSeed;

    /// <summary>Number of stocks: the curated real ones, then generated ones (see <see cref="StockUniverse"/>).</summary>
    [Range(1, StockUniverse.MaxSize)]
    public int UniverseSize { get; set; } = StockUniverse.DefaultSize;

    /// <summary>The feed's poll interval (Level-1 snapshots come about every 3 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Every stock that is not suspended trades on every poll, instead of with its own chance: a feed
    /// in which each tick moves the whole universe (benchmarks shape their load with it).
    /// </summary>
    public bool TradeEveryPoll { get; set; }

    /// <summary>Completed daily bars kept per stock (at least 10, for MA10 and the 5-day volume average).</summary>
    [Range(10, 1000)]
    public int HistoryDays { get; set; } = 60;

    /// <summary>Share of the generated stocks that are suspended (at least one when above 0).</summary>
    [Range(0.0, 0.1)]
    public double SuspendedFraction { get; set; } = 0.003;

    /// <summary>Share of stocks per day whose story ends at limit-up (real markets: about 1–2%).</summary>
    [Range(0.0, 0.2)]
    public double LimitUpFraction { get; set; } = 0.015;

    /// <summary>Share of stocks per day whose story ends at limit-down.</summary>
    [Range(0.0, 0.2)]
    public double LimitDownFraction { get; set; } = 0.005;

    /// <summary>Share of stocks per day trading at a volume ratio of 2 or more (a fifth of them above 5).</summary>
    [Range(0.0, 0.5)]
    public double BreakoutFraction { get; set; } = 0.05;

    /// <summary>
    /// Chance that a stock at a limit price stays there on a tick where its random walk would leave
    /// it: sealed limit boards rarely open.
    /// </summary>
    [Range(0.0, 1.0)]
    public double LimitStickiness { get; set; } = 0.9;
}
