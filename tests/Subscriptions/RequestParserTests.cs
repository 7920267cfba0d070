using System.Text;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Gateway.Subscriptions;
using Xunit;

namespace OrleansPrices.Tests.Subscriptions;

public sealed class RequestParserTests
{
    private static ParsedRequest Parse(string s) => RequestParser.Parse(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Subscribe_to_codes_with_a_rate_and_an_id()
    {
        var p = Parse("{\"type\":\"subscribe\",\"id\":7,\"codes\":[\"600000.SH\",\"000001\"],\"max_rate\":1}");
        Assert.False(p.IsError);
        var r = p.Request!;
        Assert.Equal(RequestKind.Subscribe, r.Kind);
        Assert.Equal("7", r.Id);
        Assert.Equal(["600000.SH", "000001"], r.Codes);
        Assert.Equal(1.0, r.MaxRate);
    }

    [Fact]
    public void Subscribe_to_a_signal_list()
    {
        var r = Parse("{\"type\":\"subscribe\",\"list\":\"buy\",\"strategy\":\"volume_ratio\"}").Request!;
        Assert.Equal("buy", r.List);
        Assert.Equal("volume_ratio", r.Strategy);
        Assert.Empty(r.Codes);
    }

    [Fact]
    public void Resume_with_positions()
    {
        var r = Parse("{\"type\":\"resume\",\"positions\":{\"600000.SH\":{\"epoch\":5,\"seq\":10}},\"lists\":[\"ma_cross\"]}").Request!;
        Assert.Equal(RequestKind.Resume, r.Kind);
        Assert.Equal(new StreamPosition(5, 10), r.Positions["600000.SH"]);
        Assert.Equal(["600000.SH"], r.Codes);
        Assert.Equal("buy", r.List);
        Assert.Equal(["ma_cross"], r.Strategies);
    }

    [Fact]
    public void Resume_keeps_every_list_it_names()
    {
        var r = Parse("{\"type\":\"resume\",\"positions\":{},\"lists\":[\"ma_cross\",\"nope\",\"also_nope\",\"ma_cross\"]}").Request!;
        Assert.Equal(["ma_cross", "nope", "also_nope"], r.Strategies);
        Assert.Null(r.Strategy);
    }

    [Theory]
    [InlineData("{\"type\":\"subscribe\"}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"subscribe\",\"codes\":\"600000.SH\"}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"subscribe\",\"codes\":[600000]}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"subscribe\",\"codes\":[\"600000.SH\"],\"max_rate\":0}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"subscribe\",\"codes\":[\"600000.SH\"],\"max_rate\":\"fast\"}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"subscribe\",\"list\":\"sell\"}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"resume\"}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"resume\",\"positions\":{},\"lists\":\"ma_cross\"}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"resume\",\"positions\":{},\"lists\":[1]}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"resume\",\"positions\":{\"600000.SH\":{\"epoch\":1}}}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"resume\",\"positions\":{\"600000.SH\":{\"epoch\":1,\"seq\":-1}}}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"fly\"}", ErrorCodes.UnknownType)]
    [InlineData("[1]", ErrorCodes.InvalidMessage)]
    [InlineData("{", ErrorCodes.InvalidJson)]
    public void Bad_requests_get_named_errors(string text, string code)
    {
        var p = Parse(text);
        Assert.True(p.IsError);
        Assert.Equal(code, p.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(p.ErrorMessage));
    }

    [Fact]
    public void The_id_comes_back_with_an_error()
    {
        var p = Parse("{\"type\":\"subscribe\",\"id\":\"abc\"}");
        Assert.Equal("abc", p.Id);
    }

    [Fact]
    public void At_most_1000_codes_or_positions_per_message()
    {
        static string Codes(int n) => string.Join(',', Enumerable.Range(0, n).Select(i => $"\"{600000 + i}.SH\""));
        static string Positions(int n) => string.Join(',', Enumerable.Range(0, n).Select(i => $"\"{600000 + i}.SH\":{{\"epoch\":1,\"seq\":1}}"));

        Assert.False(Parse($"{{\"type\":\"subscribe\",\"codes\":[{Codes(1000)}]}}").IsError);
        var codes = Parse($"{{\"type\":\"subscribe\",\"codes\":[{Codes(1001)}]}}");
        Assert.Equal((ErrorCodes.InvalidMessage, "at most 1000 codes per message"), (codes.ErrorCode, codes.ErrorMessage));

        Assert.False(Parse($"{{\"type\":\"resume\",\"positions\":{{{Positions(1000)}}}}}").IsError);
        var positions = Parse($"{{\"type\":\"resume\",\"positions\":{{{Positions(1001)}}}}}");
        Assert.Equal((ErrorCodes.InvalidMessage, "at most 1000 positions per message"), (positions.ErrorCode, positions.ErrorMessage));
    }
}
