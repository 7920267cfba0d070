namespace OrleansPrices.Market.Quotes;

/// <summary>Which fields of a <see cref="Quote"/> changed between two snapshots.</summary>
[Flags]
public enum QuoteFields
{
    None = 0,
    Price = 1 << 0,
    Open = 1 << 1,
    High = 1 << 2,
    Low = 1 << 3,
    Volume = 1 << 4,
    Amount = 1 << 5,
    Bid = 1 << 6,
    Ask = 1 << 7,
    PreClose = 1 << 8,
    Suspended = 1 << 9,
    Name = 1 << 10,
    All = (1 << 11) - 1,
}

/// <summary>Delta computation: the fields that differ between the previous and the new snapshot.</summary>
public static class QuoteDiff
{
    /// <summary>
    /// The changed fields; <see cref="QuoteFields.All"/> when there is no previous snapshot. The
    /// snapshot time alone is not a change: a source re-sending the same values publishes nothing.
    /// </summary>
    public static QuoteFields Compare(Quote? before, Quote after)
    {
        if (before is null) return QuoteFields.All;
        var changed = QuoteFields.None;
        if (before.Price != after.Price) changed |= QuoteFields.Price;
        if (before.Open != after.Open) changed |= QuoteFields.Open;
        if (before.High != after.High) changed |= QuoteFields.High;
        if (before.Low != after.Low) changed |= QuoteFields.Low;
        if (before.Volume != after.Volume) changed |= QuoteFields.Volume;
        if (before.Amount != after.Amount) changed |= QuoteFields.Amount;
        if (before.Bid != after.Bid) changed |= QuoteFields.Bid;
        if (before.Ask != after.Ask) changed |= QuoteFields.Ask;
        if (before.PreClose != after.PreClose) changed |= QuoteFields.PreClose;
        if (before.Suspended != after.Suspended) changed |= QuoteFields.Suspended;
        if (!string.Equals(before.Name, after.Name, StringComparison.Ordinal)) changed |= QuoteFields.Name;
        return changed;
    }
}
