using System.Collections.Frozen;
using OrleansPrices.Market.Codes;

namespace OrleansPrices.Market.Rules;

/// <summary>
/// The daily price limits of A-share stocks, as data: a dated table of
/// <see cref="PriceLimitRule"/> rows (board, risk-warning flag, effective-from date, percent) and a
/// dated table of <see cref="ListingNoLimitRule"/> rows (no limit for the first days after an IPO).
/// For a stock and a date the row in force is the one with the latest
/// <see cref="PriceLimitRule.EffectiveFrom"/> on or before that date. A risk-warning (ST) stock with
/// no risk-warning row in force takes its board's ordinary row. Immutable and thread-safe.
/// </summary>
public sealed class PriceLimitRules
{
    /// <summary>The day the main-board ST / *ST limit went from 5% to 10% (secondary sources).</summary>
    public static readonly DateOnly MainBoardRiskWarningTenPercentFrom = new(2026, 7, 6);

    /// <summary>
    /// The default rows: every board's limit is the same from <see cref="DateOnly.MinValue"/> (the
    /// table does not model history before today's rules, e.g. ChiNext's 10% before 2020-08-24).
    /// </summary>
    public static IReadOnlyList<PriceLimitRule> DefaultRules { get; } =
    [
        new(Board.ShanghaiMain, RiskWarning: false, DateOnly.MinValue, 10m),
        new(Board.ShenzhenMain, RiskWarning: false, DateOnly.MinValue, 10m),
        new(Board.ShanghaiMain, RiskWarning: true, DateOnly.MinValue, 5m),
        new(Board.ShenzhenMain, RiskWarning: true, DateOnly.MinValue, 5m),
        new(Board.ShanghaiMain, RiskWarning: true, MainBoardRiskWarningTenPercentFrom, 10m),
        new(Board.ShenzhenMain, RiskWarning: true, MainBoardRiskWarningTenPercentFrom, 10m),
        new(Board.ChiNext, RiskWarning: false, DateOnly.MinValue, 20m),
        new(Board.ChiNext, RiskWarning: true, DateOnly.MinValue, 20m),
        new(Board.Star, RiskWarning: false, DateOnly.MinValue, 20m),
        new(Board.Star, RiskWarning: true, DateOnly.MinValue, 20m),
        new(Board.Beijing, RiskWarning: false, DateOnly.MinValue, 30m),
        new(Board.Beijing, RiskWarning: true, DateOnly.MinValue, 30m),
    ];

    /// <summary>
    /// The default no-limit windows after an IPO: the first 5 trading days on the main boards,
    /// ChiNext and STAR; the first day only on the Beijing exchange.
    /// </summary>
    public static IReadOnlyList<ListingNoLimitRule> DefaultListingRules { get; } =
    [
        new(Board.ShanghaiMain, DateOnly.MinValue, 5),
        new(Board.ShenzhenMain, DateOnly.MinValue, 5),
        new(Board.ChiNext, DateOnly.MinValue, 5),
        new(Board.Star, DateOnly.MinValue, 5),
        new(Board.Beijing, DateOnly.MinValue, 1),
    ];

    /// <summary>Today's A-share rules: <see cref="DefaultRules"/> and <see cref="DefaultListingRules"/>.</summary>
    public static PriceLimitRules Default { get; } = new(DefaultRules, DefaultListingRules);

    private readonly FrozenDictionary<(Board Board, bool RiskWarning), PriceLimitRule[]> _rules;
    private readonly FrozenDictionary<Board, ListingNoLimitRule[]> _listingRules;

    /// <summary>
    /// Rules from a table of limit rows, with the default no-limit windows after an IPO
    /// (<see cref="DefaultListingRules"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A percent outside (0, 100), or two rows for the same board, flag and date.</exception>
    public PriceLimitRules(IEnumerable<PriceLimitRule> rules)
        : this(rules, DefaultListingRules)
    {
    }

    /// <summary>Rules from a table of limit rows and a table of no-limit windows after an IPO (may be empty).</summary>
    /// <exception cref="ArgumentException">A percent outside (0, 100), a negative day count, or two rows for the same key and date.</exception>
    public PriceLimitRules(IEnumerable<PriceLimitRule> rules, IEnumerable<ListingNoLimitRule> listingRules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(listingRules);

        var limitRows = rules.ToList();
        foreach (var rule in limitRows)
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(rules));
            if (rule.Percent is { } p && (p <= 0m || p >= 100m))
            {
                throw new ArgumentException($"{rule}: a price limit is a percent above 0 and below 100, or null for none", nameof(rules));
            }
        }
        _rules = GroupNewestFirst(limitRows, r => (r.Board, r.RiskWarning), r => r.EffectiveFrom, nameof(rules));

        var listingRows = listingRules.ToList();
        foreach (var rule in listingRows)
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(listingRules));
            if (rule.TradingDays < 0)
            {
                throw new ArgumentException($"{rule}: the number of no-limit trading days cannot be negative", nameof(listingRules));
            }
        }
        _listingRules = GroupNewestFirst(listingRows, r => r.Board, r => r.EffectiveFrom, nameof(listingRules));
    }

    /// <summary>
    /// The price limit in percent (10m for 10%) of <paramref name="stock"/> on <paramref name="tradeDate"/>,
    /// or null when it trades without a limit.
    /// </summary>
    /// <param name="stock">The stock; its board, ST flag and listing date count.</param>
    /// <param name="tradeDate">The trading day.</param>
    /// <param name="tradingDaysSinceListing">
    /// Trading days from the listing day to <paramref name="tradeDate"/>, listing day excluded: 0 on the
    /// listing day, 4 on the fifth trading day (see <c>TradingCalendar.TradingDaysSinceListing</c>).
    /// The no-limit window after an IPO applies only when <see cref="StockInfo.ListDate"/> is known;
    /// on the listing date itself it applies whatever this says. Leave the default for a stock long listed.
    /// </param>
    /// <exception cref="InvalidOperationException">The table has no row for the stock's board in force on that date.</exception>
    public decimal? LimitPercent(StockInfo stock, DateOnly tradeDate, int tradingDaysSinceListing = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(stock);
        var board = stock.Code.Board;

        if (stock.ListDate is { } listDate && tradeDate >= listDate)
        {
            var dayIndex = tradeDate == listDate ? 0 : tradingDaysSinceListing;
            if (InForce(_listingRules, board, tradeDate) is { } window && dayIndex >= 0 && dayIndex < window.TradingDays)
            {
                return null;
            }
        }

        var rule = (stock.RiskWarning ? InForce(_rules, (board, true), tradeDate) : null)
            ?? InForce(_rules, (board, false), tradeDate)
            ?? throw new InvalidOperationException(
                $"no price-limit rule for {board}{(stock.RiskWarning ? " (risk warning)" : "")} in force on {tradeDate:yyyy-MM-dd}");
        return rule.Percent;
    }

    /// <summary>
    /// The limit prices of <paramref name="stock"/> on <paramref name="tradeDate"/> given the previous
    /// close, or null when it trades without a limit. See <see cref="LimitPercent"/> and <see cref="PriceTick.Compute"/>.
    /// </summary>
    public LimitPrices? Limits(StockInfo stock, DateOnly tradeDate, decimal preClose, int tradingDaysSinceListing = int.MaxValue) =>
        LimitPercent(stock, tradeDate, tradingDaysSinceListing) is { } percent
            ? PriceTick.Compute(preClose, percent)
            : null;

    private static FrozenDictionary<TKey, TRow[]> GroupNewestFirst<TKey, TRow>(
        List<TRow> rows, Func<TRow, TKey> key, Func<TRow, DateOnly> from, string paramName)
        where TKey : notnull
    {
        var groups = new Dictionary<TKey, TRow[]>();
        foreach (var group in rows.GroupBy(key))
        {
            var sorted = group.OrderByDescending(from).ToArray();
            for (var i = 1; i < sorted.Length; i++)
            {
                if (from(sorted[i]) == from(sorted[i - 1]))
                {
                    throw new ArgumentException($"two rows for {group.Key} from {from(sorted[i]):yyyy-MM-dd}: {sorted[i - 1]} and {sorted[i]}", paramName);
                }
            }
            groups[group.Key] = sorted;
        }
        return groups.ToFrozenDictionary();
    }

    private static PriceLimitRule? InForce(FrozenDictionary<(Board, bool), PriceLimitRule[]> table, (Board, bool) key, DateOnly date) =>
        table.TryGetValue(key, out var rows) ? Array.Find(rows, r => r.EffectiveFrom <= date) : null;

    private static ListingNoLimitRule? InForce(FrozenDictionary<Board, ListingNoLimitRule[]> table, Board key, DateOnly date) =>
        table.TryGetValue(key, out var rows) ? Array.Find(rows, r => r.EffectiveFrom <= date) : null;
}
