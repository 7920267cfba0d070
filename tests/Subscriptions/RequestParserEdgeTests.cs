using System.Text;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Gateway.Subscriptions;
using Xunit;

namespace OrleansPrices.Tests.Subscriptions;

/// <summary>The parser on malformed input: every case a named error, never an exception.</summary>
public sealed class RequestParserEdgeTests
{
    private static ParsedRequest Parse(string text) => RequestParser.Parse(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("{\"type\":\"ping\"}")]
    [InlineData("  {\"type\" : \"ping\", \"extra\": [1, {\"a\": null}]}  ")]
    [InlineData("{\"id\":7,\"type\":\"ping\"}")]
    public void Ping_is_recognised_with_extra_fields_and_whitespace(string text)
    {
        var m = Parse(text);
        Assert.False(m.IsError);
        Assert.Equal(RequestKind.Ping, m.Request!.Kind);
    }

    [Theory]
    [InlineData("", ErrorCodes.InvalidJson)]
    [InlineData("{", ErrorCodes.InvalidJson)]
    [InlineData("{\"type\":\"ping\"", ErrorCodes.InvalidJson)]
    [InlineData("{\"type\":\"ping\"} {}", ErrorCodes.InvalidJson)]
    [InlineData("not json", ErrorCodes.InvalidJson)]
    [InlineData("[1,2,3]", ErrorCodes.InvalidMessage)]
    [InlineData("\"ping\"", ErrorCodes.InvalidMessage)]
    [InlineData("42", ErrorCodes.InvalidMessage)]
    [InlineData("null", ErrorCodes.InvalidMessage)]
    [InlineData("{}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":1}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":null}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"subscribe_everything\"}", ErrorCodes.UnknownType)]
    [InlineData("{\"type\":\"PING\"}", ErrorCodes.UnknownType)]
    public void Bad_messages_get_a_named_error(string text, string code)
    {
        var m = Parse(text);
        Assert.True(m.IsError);
        Assert.Equal(code, m.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(m.ErrorMessage));
    }

    [Fact]
    public void Unknown_type_error_names_the_type_and_the_known_types()
    {
        var m = Parse("{\"type\":\"hello\"}");
        Assert.Contains("\"hello\"", m.ErrorMessage!, StringComparison.Ordinal);
        Assert.Contains("ping", m.ErrorMessage!, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_invalid_json()
    {
        var m = RequestParser.Parse([(byte)'{', 0xFF, 0xFE, (byte)'}']);
        Assert.Equal(ErrorCodes.InvalidJson, m.ErrorCode);
    }

    [Fact]
    public void Deep_nesting_is_rejected_not_recursed()
    {
        var deep = new string('[', 100) + new string(']', 100);
        var m = Parse("{\"type\":\"ping\",\"x\":" + deep + "}");
        Assert.Equal(ErrorCodes.InvalidJson, m.ErrorCode);
    }
}
