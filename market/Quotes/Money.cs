namespace OrleansPrices.Market.Quotes;

/// <summary>Formatting rules for amounts sent to clients.</summary>
public static class Money
{
    /// <summary>
    /// The same value with at least two decimal places (10 → 10.00), so JSON always carries a
    /// fraction: the brief's Python backend sent floats, and Dart clients read prices as double.
    /// </summary>
    public static decimal TwoDecimals(decimal value) => value + 0.00m;
}
