namespace OrleansPrices.Market.Quotes;

/// <summary>The grid's wire clock: Unix epoch microseconds (the <c>ts</c> of every message).</summary>
public static class UnixTime
{
    public static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
}
