using System.Diagnostics.CodeAnalysis;

namespace OrleansPrices.Market.Codes;

public enum Exchange
{
    SH,
    SZ,
    BJ,
}

public enum Board
{
    /// <summary>Shanghai main board: 600, 601, 603, 605.</summary>
    ShanghaiMain,
    /// <summary>Shenzhen main board: 000, 001, 002, 003.</summary>
    ShenzhenMain,
    /// <summary>ChiNext (创业板): 300, 301.</summary>
    ChiNext,
    /// <summary>STAR Market (科创板): 688, 689.</summary>
    Star,
    /// <summary>Beijing Stock Exchange: 920 (all listed stocks since 2025-10-09).</summary>
    Beijing,
}

/// <summary>
/// A Tushare-style stock code such as <c>600000.SH</c>. Parses that form and bare six-digit
/// codes (the brief's <c>code</c>), and knows each code's exchange and board.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansPrices.TsCode")]
public readonly record struct TsCode
{
    private TsCode(string symbol, Exchange exchange, Board board)
    {
        Symbol = symbol;
        Exchange = exchange;
        Board = board;
    }

    /// <summary>The six digits, e.g. <c>600000</c>.</summary>
    [Id(0)] public string Symbol { get; }

    [Id(1)] public Exchange Exchange { get; }

    [Id(2)] public Board Board { get; }

    /// <summary>The Tushare form, e.g. <c>600000.SH</c>.</summary>
    public string Value => $"{Symbol}.{Exchange}";

    public override string ToString() => Value;

    public static TsCode Parse(string text) =>
        TryParse(text, out var code, out var error) ? code : throw new FormatException(error);

    public static bool TryParse([NotNullWhen(true)] string? text, out TsCode code) => TryParse(text, out code, out _);

    /// <summary>
    /// Accepts <c>600000.SH</c>, <c>600000.sh</c> and bare <c>600000</c> (exchange inferred from the
    /// board prefix). The suffix, when given, must match the board.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out TsCode code, out string error)
    {
        code = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty stock code";
            return false;
        }

        var span = text.AsSpan().Trim();
        ReadOnlySpan<char> digits = span;
        Exchange? suffix = null;
        var dot = span.IndexOf('.');
        if (dot >= 0)
        {
            digits = span[..dot];
            var ex = span[(dot + 1)..];
            if (ex.Equals("SH", StringComparison.OrdinalIgnoreCase)) suffix = Exchange.SH;
            else if (ex.Equals("SZ", StringComparison.OrdinalIgnoreCase)) suffix = Exchange.SZ;
            else if (ex.Equals("BJ", StringComparison.OrdinalIgnoreCase)) suffix = Exchange.BJ;
            else
            {
                error = $"'{text}': unknown exchange suffix (expected .SH, .SZ or .BJ)";
                return false;
            }
        }

        if (digits.Length != 6 || !IsAllDigits(digits))
        {
            error = $"'{text}': a stock code has six digits, optionally followed by .SH, .SZ or .BJ";
            return false;
        }

        if (!TryClassify(digits, out var exchange, out var board))
        {
            error = $"'{text}': {digits.ToString()} is not an A-share stock code on any board";
            return false;
        }

        if (suffix is { } s && s != exchange)
        {
            error = $"'{text}': {digits.ToString()} trades on {exchange}, not {s}";
            return false;
        }

        code = new TsCode(digits.ToString(), exchange, board);
        error = "";
        return true;
    }

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9') return false;
        }
        return true;
    }

    private static bool TryClassify(ReadOnlySpan<char> d, out Exchange exchange, out Board board)
    {
        switch (d[..3])
        {
            case "600" or "601" or "603" or "605":
                (exchange, board) = (Exchange.SH, Board.ShanghaiMain);
                return true;
            case "688" or "689":
                (exchange, board) = (Exchange.SH, Board.Star);
                return true;
            case "000" or "001" or "002" or "003":
                (exchange, board) = (Exchange.SZ, Board.ShenzhenMain);
                return true;
            case "300" or "301":
                (exchange, board) = (Exchange.SZ, Board.ChiNext);
                return true;
            case "920":
                (exchange, board) = (Exchange.BJ, Board.Beijing);
                return true;
            default:
                (exchange, board) = (default, default);
                return false;
        }
    }
}
