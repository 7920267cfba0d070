namespace OrleansPrices.Market.Rules;

/// <summary>The A-share price grid (0.01 CNY) and the limit-price formula on it.</summary>
public static class PriceTick
{
    /// <summary>One tick: 0.01 CNY.</summary>
    public const decimal Size = 0.01m;

    /// <summary>Rounds half-up (away from zero) to the 0.01 grid: 10.185 → 10.19.</summary>
    public static decimal Round(decimal price) => Math.Round(price, 2, MidpointRounding.AwayFromZero);

    /// <summary>
    /// The limit prices for a previous close and a limit in percent (10m for 10%): each is
    /// <c>preClose × (1 ± percent/100)</c> rounded half-up to 0.01. Near zero, where rounding would
    /// put a limit on or beyond the previous close, the limit is one tick away from it instead
    /// (0.05 at 10% → 0.06 / 0.04); the limit-down price is never below 0.01.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="preClose"/> or <paramref name="percent"/> is not positive.</exception>
    public static LimitPrices Compute(decimal preClose, decimal percent)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(preClose);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percent);

        var factor = percent / 100m;
        var up = Round(preClose * (1m + factor));
        var down = Round(preClose * (1m - factor));
        if (up <= preClose)
        {
            up = preClose + Size;
        }
        if (down >= preClose)
        {
            down = preClose - Size;
        }
        if (down < Size)
        {
            down = Size;
        }
        return new LimitPrices(up, down);
    }

    /// <summary>True when <paramref name="price"/> lies on the 0.01 grid.</summary>
    public static bool IsOnGrid(decimal price) => decimal.Remainder(price, Size) == 0m;
}
