namespace OrleansPrices.Market.Strategies;

/// <summary>
/// A buy-signal rule over one stock's history and today's quote. Pure: no state of its own (the
/// caller passes <see cref="StrategyInput.CurrentlyActive"/> for hysteresis), safe to share.
/// </summary>
public interface IStrategy
{
    /// <summary>Stable name used by clients and in messages, e.g. <c>volume_ratio</c>.</summary>
    string Name { get; }

    /// <summary>Short Chinese title for a UI, e.g. 量比放量突破.</summary>
    string Title { get; }

    /// <summary>One line on the rule and its thresholds.</summary>
    string Description { get; }

    /// <summary>The signal when the stock is (or stays) on the list, null when it is not.</summary>
    Signal? Evaluate(StrategyInput input);
}
