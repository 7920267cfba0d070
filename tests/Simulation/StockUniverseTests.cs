using OrleansPrices.Market.Codes;
using OrleansPrices.Market.Simulation;
using Xunit;

namespace OrleansPrices.Tests.Simulation;

public sealed class StockUniverseTests
{
    [Fact]
    public void Default_size_has_5000_unique_valid_codes()
    {
        var universe = StockUniverse.Create(StockUniverse.DefaultSize, SimulatorOptions.DefaultSeed);

        Assert.Equal(5000, universe.Count);
        Assert.Equal(5000, universe.Select(s => s.TsCode).Distinct(StringComparer.Ordinal).Count());
        foreach (var stock in universe)
        {
            Assert.True(TsCode.TryParse(stock.TsCode, out var parsed), stock.TsCode);
            Assert.Equal(stock.Code, parsed);
            Assert.False(string.IsNullOrWhiteSpace(stock.Name));
        }
    }

    [Fact]
    public void Every_board_is_present_in_a_realistic_mix()
    {
        var universe = StockUniverse.Create(5000, SimulatorOptions.DefaultSeed);
        var byBoard = universe.GroupBy(s => s.Code.Board).ToDictionary(g => g.Key, g => g.Count());

        foreach (var board in Enum.GetValues<Board>())
        {
            Assert.True(byBoard.GetValueOrDefault(board) > 0, $"no stock on {board}");
        }
        // Real mix, roughly: SH main ~31%, SZ main ~28%, ChiNext ~25%, STAR ~11%, BJ ~5%.
        Assert.InRange(byBoard[Board.ShanghaiMain], 1300, 1900);
        Assert.InRange(byBoard[Board.Beijing], 150, 400);
        var prefixes = universe.Select(s => s.Code.Symbol[..3]).ToHashSet();
        foreach (var prefix in new[] { "600", "601", "603", "605", "688", "000", "001", "002", "003", "300", "301", "920" })
        {
            Assert.Contains(prefix, prefixes);
        }
    }

    [Theory]
    [InlineData("600519.SH", "贵州茅台")]
    [InlineData("601318.SH", "中国平安")]
    [InlineData("600000.SH", "浦发银行")]
    [InlineData("600036.SH", "招商银行")]
    [InlineData("000001.SZ", "平安银行")]
    [InlineData("000858.SZ", "五粮液")]
    [InlineData("002594.SZ", "比亚迪")]
    [InlineData("300750.SZ", "宁德时代")]
    [InlineData("300059.SZ", "东方财富")]
    [InlineData("688981.SH", "中芯国际")]
    [InlineData("688111.SH", "金山办公")]
    [InlineData("920799.BJ", "艾融软件")]
    public void Curated_real_stocks_are_present_with_their_names(string code, string name)
    {
        var universe = StockUniverse.Create(5000, SimulatorOptions.DefaultSeed);

        var stock = Assert.Single(universe, s => s.TsCode == code);
        Assert.Equal(name, stock.Name);
        Assert.False(stock.RiskWarning);
        Assert.NotNull(StockUniverse.ReferencePrice(stock.Code));
    }

    [Fact]
    public void Curated_list_covers_every_board_and_comes_first()
    {
        var curated = StockUniverse.Curated;

        Assert.InRange(curated.Count, 60, 100);
        Assert.Equal(Enum.GetValues<Board>().Length, curated.Select(s => s.Code.Board).Distinct().Count());
        Assert.Equal(curated, StockUniverse.Create(5000, 1).Take(curated.Count));
        Assert.Equal(curated.Take(10), StockUniverse.Create(10, 1));
    }

    [Fact]
    public void Same_seed_gives_the_same_universe_and_another_seed_another()
    {
        var a = StockUniverse.Create(2000, 7);
        var b = StockUniverse.Create(2000, 7);
        var c = StockUniverse.Create(2000, 8);

        Assert.Equal(a, b);
        Assert.NotEqual(a.Select(s => s.TsCode), c.Select(s => s.TsCode));
    }

    [Fact]
    public void Generated_names_are_short_cjk_and_some_carry_a_risk_warning()
    {
        var universe = StockUniverse.Create(5000, SimulatorOptions.DefaultSeed);
        var generated = universe.Skip(StockUniverse.Curated.Count).ToList();

        foreach (var stock in generated.Where(s => !s.RiskWarning))
        {
            Assert.InRange(stock.Name.Length, 2, 4);
            Assert.All(stock.Name, ch => Assert.InRange(ch, '\u4e00', '\u9fff'));
        }

        var st = generated.Where(s => s.RiskWarning).ToList();
        Assert.InRange(st.Count, 10, 100);
        Assert.All(st, s => Assert.True(s.Name.StartsWith("ST", StringComparison.Ordinal) || s.Name.StartsWith("*ST", StringComparison.Ordinal), s.Name));
        Assert.All(st, s => Assert.True(s.Code.Board is Board.ShanghaiMain or Board.ShenzhenMain));
        Assert.Equal(generated.Count(s => !s.RiskWarning), generated.Where(s => !s.RiskWarning).Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public void The_largest_universe_still_has_unique_valid_codes()
    {
        var universe = StockUniverse.Create(StockUniverse.MaxSize, 3);

        Assert.Equal(StockUniverse.MaxSize, universe.Select(s => s.TsCode).Distinct(StringComparer.Ordinal).Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => StockUniverse.Create(StockUniverse.MaxSize + 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => StockUniverse.Create(0, 3));
    }

    [Theory]
    [InlineData("code,name\n600000.SH,浦发银行")]
    [InlineData("ts_code,name\n600000.SH")]
    [InlineData("ts_code,name\n700000.SH,不存在")]
    [InlineData("ts_code,name\n600000.SH,浦发银行\n600000.SH,浦发银行")]
    [InlineData("ts_code,name,risk_warning,ref_price\n600000.SH,浦发银行,0,abc")]
    public void Malformed_csv_is_rejected(string text) =>
        Assert.Throws<InvalidDataException>(() => StockUniverse.ParseCsv(text));

    [Fact]
    public void Csv_reads_risk_warning_and_reference_price()
    {
        var rows = StockUniverse.ParseCsv("ts_code,name,risk_warning,ref_price\n600000.SH,浦发银行,0,12.5\n000004.SZ,*ST某某,1,\n");

        Assert.Equal(2, rows.Count);
        Assert.Equal(12.5m, rows[0].ReferencePrice);
        Assert.False(rows[0].Stock.RiskWarning);
        Assert.True(rows[1].Stock.RiskWarning);
        Assert.Null(rows[1].ReferencePrice);
    }
}
