using OrleansPrices.Market.Codes;
using Xunit;

namespace OrleansPrices.Tests.Market;

public sealed class TsCodeTests
{
    [Theory]
    [InlineData("600000.SH", "600000", Exchange.SH, Board.ShanghaiMain)]
    [InlineData("601318.SH", "601318", Exchange.SH, Board.ShanghaiMain)]
    [InlineData("603288.SH", "603288", Exchange.SH, Board.ShanghaiMain)]
    [InlineData("605499.SH", "605499", Exchange.SH, Board.ShanghaiMain)]
    [InlineData("000001.SZ", "000001", Exchange.SZ, Board.ShenzhenMain)]
    [InlineData("002594.SZ", "002594", Exchange.SZ, Board.ShenzhenMain)]
    [InlineData("003816.SZ", "003816", Exchange.SZ, Board.ShenzhenMain)]
    [InlineData("300750.SZ", "300750", Exchange.SZ, Board.ChiNext)]
    [InlineData("301236.SZ", "301236", Exchange.SZ, Board.ChiNext)]
    [InlineData("688981.SH", "688981", Exchange.SH, Board.Star)]
    [InlineData("689009.SH", "689009", Exchange.SH, Board.Star)]
    [InlineData("920799.BJ", "920799", Exchange.BJ, Board.Beijing)]
    public void Parses_tushare_codes_with_exchange_and_board(string text, string symbol, Exchange exchange, Board board)
    {
        var code = TsCode.Parse(text);

        Assert.Equal(symbol, code.Symbol);
        Assert.Equal(exchange, code.Exchange);
        Assert.Equal(board, code.Board);
        Assert.Equal(text, code.Value);
        Assert.Equal(text, code.ToString());
    }

    [Theory]
    [InlineData("600000", "600000.SH", Board.ShanghaiMain)]
    [InlineData("000001", "000001.SZ", Board.ShenzhenMain)]
    [InlineData("300750", "300750.SZ", Board.ChiNext)]
    [InlineData("688981", "688981.SH", Board.Star)]
    [InlineData("920799", "920799.BJ", Board.Beijing)]
    public void Bare_six_digits_infer_the_exchange(string text, string value, Board board)
    {
        Assert.True(TsCode.TryParse(text, out var code));
        Assert.Equal(value, code.Value);
        Assert.Equal(board, code.Board);
    }

    [Theory]
    [InlineData("600000.sh", "600000.SH")]
    [InlineData("000001.sz", "000001.SZ")]
    [InlineData("920799.bj", "920799.BJ")]
    [InlineData("300750.Sz", "300750.SZ")]
    [InlineData("  600000.SH  ", "600000.SH")]
    public void Suffix_is_case_insensitive_and_whitespace_trimmed(string text, string value)
    {
        Assert.Equal(value, TsCode.Parse(text).Value);
    }

    [Theory]
    [InlineData("600000.SZ", "trades on SH")]
    [InlineData("000001.SH", "trades on SZ")]
    [InlineData("688981.SZ", "trades on SH")]
    [InlineData("920799.SH", "trades on BJ")]
    [InlineData("300750.BJ", "trades on SZ")]
    public void Wrong_suffix_is_rejected(string text, string reason)
    {
        Assert.False(TsCode.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        var thrown = Assert.Throws<FormatException>(() => TsCode.Parse(text));
        Assert.Equal(error, thrown.Message);
    }

    [Theory]
    [InlineData("900901")] // Shanghai B share
    [InlineData("900901.SH")]
    [InlineData("200002")] // Shenzhen B share
    [InlineData("200002.SZ")]
    [InlineData("510300")] // ETF
    [InlineData("399001")] // Shenzhen index
    [InlineData("123456")]
    public void Codes_outside_the_a_share_boards_are_rejected(string text)
    {
        Assert.False(TsCode.TryParse(text, out _, out var error));
        Assert.Contains("not an A-share stock code", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("600000.HK")]
    [InlineData("600000.")]
    [InlineData("600000.SHX")]
    [InlineData("600000.SH.SH")]
    public void Unknown_suffix_is_rejected(string text)
    {
        Assert.False(TsCode.TryParse(text, out _, out var error));
        Assert.Contains("unknown exchange suffix", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("60000")]
    [InlineData("6000000")]
    [InlineData("60000a")]
    [InlineData("6OOOOO.SH")]
    [InlineData(".SH")]
    [InlineData("600 000")]
    [InlineData("６０００００")] // full-width digits
    public void Garbage_is_rejected(string text)
    {
        Assert.False(TsCode.TryParse(text, out var code));
        Assert.Equal(default, code);
        Assert.Throws<FormatException>(() => TsCode.Parse(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Null_or_empty_is_rejected(string? text)
    {
        Assert.False(TsCode.TryParse(text, out _, out var error));
        Assert.Equal("empty stock code", error);
        Assert.Throws<FormatException>(() => TsCode.Parse(text!));
    }

    [Fact]
    public void Codes_compare_by_value()
    {
        Assert.Equal(TsCode.Parse("600000"), TsCode.Parse("600000.sh"));
        Assert.NotEqual(TsCode.Parse("600000.SH"), TsCode.Parse("600004.SH"));
    }
}
