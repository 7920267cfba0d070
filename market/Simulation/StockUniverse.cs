using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using OrleansPrices.Market.Codes;

namespace OrleansPrices.Market.Simulation;

/// <summary>
/// The stocks the simulated market trades: a curated list of well-known real A-shares with their
/// real short names (embedded <c>Data/universe.csv</c>), then generated stocks up to the requested
/// size, with valid codes on every board and plausible names, deterministic per seed.
/// </summary>
/// <remarks>
/// <para>
/// Generated codes follow the real mix of boards (about 31% Shanghai main, 28% Shenzhen main,
/// 25% ChiNext, 11% STAR, 5% Beijing) and of prefixes within a board. They never repeat a curated
/// code, but may of course be the code of some real company with another name: they are for a
/// simulation, not a reference. About 2% of generated main-board stocks carry a risk warning
/// (name starting with ST or *ST) so the 5% / 10% ST limits get exercised; the curated list holds
/// no ST stock because ST status changes too often to curate by hand.
/// </para>
/// <para>
/// <c>universe.csv</c> columns: <c>ts_code,name,risk_warning,ref_price</c>; <c>risk_warning</c> is 1 for
/// ST / *ST, <c>ref_price</c> an approximate recent price (CNY) that only seeds the simulated history,
/// empty when unknown.
/// </para>
/// </remarks>
public static class StockUniverse
{
    /// <summary>The universe size the simulator uses unless configured otherwise.</summary>
    public const int DefaultSize = 5000;

    /// <summary>
    /// The largest universe <see cref="Create"/> builds. The valid code space (13 three-digit prefixes
    /// × 1000) holds 13,000 codes; this leaves room for the board mix.
    /// </summary>
    public const int MaxSize = 12_000;

    /// <summary>The embedded resource with the curated stocks.</summary>
    public const string EmbeddedResourceName = "universe.csv";

    /// <summary>Share of generated main-board stocks that carry a risk warning (ST / *ST).</summary>
    private const double RiskWarningShare = 0.02;

    private static readonly Lazy<CuratedList> CuratedData = new(LoadCurated);

    /// <summary>The curated real stocks, in file order.</summary>
    public static IReadOnlyList<StockInfo> Curated => CuratedData.Value.Stocks;

    /// <summary>
    /// The universe of <paramref name="size"/> stocks for <paramref name="seed"/>: the curated stocks
    /// first (all of them, or the first <paramref name="size"/>), then generated ones. The same size and
    /// seed always give the same list; a larger size extends a smaller one's generated part only
    /// where the board mix allows, so do not rely on prefixes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below 1 or above <see cref="MaxSize"/>.</exception>
    public static IReadOnlyList<StockInfo> Create(int size = DefaultSize, int seed = SimulatorOptions.DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxSize);

        var curated = CuratedData.Value.Stocks;
        if (size <= curated.Count)
        {
            return curated.Take(size).ToArray();
        }

        var result = new List<StockInfo>(size);
        result.AddRange(curated);
        var usedCodes = curated.Select(s => s.Code.Symbol).ToHashSet(StringComparer.Ordinal);
        var usedNames = curated.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var random = new Random(seed);
        var pools = CodePools.Create(random, usedCodes);

        while (result.Count < size)
        {
            var symbol = pools.Next(random);
            var code = TsCode.Parse(symbol);
            var name = GenerateName(random, usedNames);
            var riskWarning = code.Board is Board.ShanghaiMain or Board.ShenzhenMain && random.NextDouble() < RiskWarningShare;
            if (riskWarning)
            {
                name = (random.Next(2) == 0 ? "ST" : "*ST") + name[..Math.Min(name.Length, 2)];
            }
            result.Add(new StockInfo(code, name, riskWarning));
        }
        return result;
    }

    /// <summary>An approximate recent price of a curated stock, to seed its simulated history; null for others.</summary>
    public static decimal? ReferencePrice(TsCode code) =>
        CuratedData.Value.ReferencePrices.TryGetValue(code.Symbol, out var price) ? price : null;

    /// <summary>Parses <c>universe.csv</c> text (header line first). Exposed for tests of the data file.</summary>
    /// <exception cref="InvalidDataException">A line is malformed, a code invalid or repeated.</exception>
    public static IReadOnlyList<(StockInfo Stock, decimal? ReferencePrice)> ParseCsv(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !lines[0].StartsWith("ts_code,name", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{EmbeddedResourceName}: the first line must be the header 'ts_code,name,...'");
        }

        var header = lines[0].Split(',');
        var riskColumn = Array.IndexOf(header, "risk_warning");
        var priceColumn = Array.IndexOf(header, "ref_price");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<(StockInfo, decimal?)>(lines.Length - 1);
        for (var i = 1; i < lines.Length; i++)
        {
            var fields = lines[i].Split(',');
            if (fields.Length < 2 || string.IsNullOrWhiteSpace(fields[1]))
            {
                throw new InvalidDataException($"{EmbeddedResourceName} line {i + 1}: expected ts_code,name");
            }
            if (!TsCode.TryParse(fields[0], out var code, out var error))
            {
                throw new InvalidDataException($"{EmbeddedResourceName} line {i + 1}: {error}");
            }
            if (!seen.Add(code.Symbol))
            {
                throw new InvalidDataException($"{EmbeddedResourceName} line {i + 1}: {code} listed twice");
            }

            var riskWarning = riskColumn >= 0 && riskColumn < fields.Length && fields[riskColumn] == "1";
            decimal? price = null;
            if (priceColumn >= 0 && priceColumn < fields.Length && fields[priceColumn].Length > 0)
            {
                if (!decimal.TryParse(fields[priceColumn], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var p) || p <= 0m)
                {
                    throw new InvalidDataException($"{EmbeddedResourceName} line {i + 1}: ref_price '{fields[priceColumn]}' is not a positive number");
                }
                price = p;
            }
            result.Add((new StockInfo(code, fields[1].Trim(), riskWarning), price));
        }
        return result;
    }

    private static CuratedList LoadCurated()
    {
        using var stream = typeof(StockUniverse).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new InvalidOperationException($"embedded resource {EmbeddedResourceName} is missing from {typeof(StockUniverse).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var rows = ParseCsv(reader.ReadToEnd());
        return new CuratedList(
            rows.Select(r => r.Stock).ToArray(),
            rows.Where(r => r.ReferencePrice is not null)
                .ToFrozenDictionary(r => r.Stock.Code.Symbol, r => r.ReferencePrice!.Value, StringComparer.Ordinal));
    }

    // Name parts: a two-character stem from these, sometimes a third character, sometimes a
    // two-character industry word. Gives names such as 华瑞科技, 鼎盛, 天润达, 金泰医药.
    private const string StemChars =
        "华中东南西北新金海天宏恒瑞鑫德盛泰安康通达信远隆兴科光航创智嘉福永长国联益凯顺合广晶振博锦丰鼎润汇银亿星铭昌立伟正明宇峰川江山湖益荣和诚铁钢源";

    private static readonly string[] IndustryWords =
    [
        "科技", "股份", "电子", "医药", "材料", "智能", "能源", "环保", "重工", "电气", "生物", "光电",
        "信息", "传媒", "精工", "药业", "化工", "实业", "控股", "电力", "食品", "机械", "新材", "软件",
        "通信", "汽车", "物流", "农业", "建设", "装备",
    ];

    private static string GenerateName(Random random, HashSet<string> used)
    {
        var builder = new StringBuilder(4);
        while (true)
        {
            builder.Clear();
            builder.Append(StemChars[random.Next(StemChars.Length)]);
            builder.Append(StemChars[random.Next(StemChars.Length)]);
            var shape = random.NextDouble();
            if (shape < 0.6)
            {
                builder.Append(IndustryWords[random.Next(IndustryWords.Length)]);
            }
            else if (shape < 0.85)
            {
                builder.Append(StemChars[random.Next(StemChars.Length)]);
            }

            var name = builder.ToString();
            if (name[0] != name[1] && used.Add(name))
            {
                return name;
            }
        }
    }

    private sealed record CuratedList(IReadOnlyList<StockInfo> Stocks, FrozenDictionary<string, decimal> ReferencePrices);

    /// <summary>Shuffled free codes per prefix, drawn by board and prefix weight.</summary>
    private sealed class CodePools
    {
        // (prefix, weight): the board weights are the sums; within a board, the real prefix mix.
        private static readonly (string Prefix, double Weight)[] Prefixes =
        [
            ("600", 0.13), ("601", 0.05), ("603", 0.11), ("605", 0.02),
            ("688", 0.11),
            ("000", 0.08), ("001", 0.02), ("002", 0.17), ("003", 0.01),
            ("300", 0.17), ("301", 0.08),
            ("920", 0.05),
        ];

        // 689 (STAR CDRs) only when everything else has run out.
        private const string LastResortPrefix = "689";

        private readonly Dictionary<string, Stack<string>> _free;

        private CodePools(Dictionary<string, Stack<string>> free) => _free = free;

        public static CodePools Create(Random random, HashSet<string> used)
        {
            var free = new Dictionary<string, Stack<string>>(StringComparer.Ordinal);
            foreach (var prefix in Prefixes.Select(p => p.Prefix).Append(LastResortPrefix))
            {
                var codes = Enumerable.Range(0, 1000)
                    .Select(n => prefix + n.ToString("D3", CultureInfo.InvariantCulture))
                    .Where(c => !used.Contains(c))
                    .ToArray();
                random.Shuffle(codes);
                free[prefix] = new Stack<string>(codes);
            }
            return new CodePools(free);
        }

        public string Next(Random random)
        {
            var roll = random.NextDouble() * Prefixes.Sum(p => p.Weight);
            var start = 0;
            for (; start < Prefixes.Length - 1; start++)
            {
                roll -= Prefixes[start].Weight;
                if (roll < 0) break;
            }

            // The drawn prefix, else the next ones in table order, else 689.
            for (var i = 0; i < Prefixes.Length; i++)
            {
                if (_free[Prefixes[(start + i) % Prefixes.Length].Prefix].TryPop(out var code)) return code;
            }
            return _free[LastResortPrefix].TryPop(out var last)
                ? last
                : throw new InvalidOperationException("the A-share code space is exhausted");
        }
    }
}
