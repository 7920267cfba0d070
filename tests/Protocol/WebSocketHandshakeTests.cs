using OrleansPrices.Gateway.Protocol;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class WebSocketHandshakeTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    [Fact]
    public void Accept_is_the_rfc_6455_example()
    {
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.ComputeAccept(Key));
    }

    [Theory]
    [InlineData("websocket", "Upgrade")]
    [InlineData("WebSocket", "keep-alive, Upgrade")]
    [InlineData("websocket", "upgrade")]
    public void A_valid_upgrade_is_accepted(string upgrade, string connection)
    {
        var result = WebSocketHandshake.Validate("GET", upgrade, connection, "13", Key);
        Assert.True(result.Ok);
        Assert.Equal(101, result.Status);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", result.Accept);
    }

    [Theory]
    [InlineData("POST", "websocket", "Upgrade", "13", Key, 400)]
    [InlineData("GET", null, "Upgrade", "13", Key, 426)]
    [InlineData("GET", "h2c", "Upgrade", "13", Key, 426)]
    [InlineData("GET", "websocket", "keep-alive", "13", Key, 400)]
    [InlineData("GET", "websocket", null, "13", Key, 400)]
    [InlineData("GET", "websocket", "Upgrade", "8", Key, 426)]
    [InlineData("GET", "websocket", "Upgrade", null, Key, 426)]
    [InlineData("GET", "websocket", "Upgrade", "13", null, 400)]
    [InlineData("GET", "websocket", "Upgrade", "13", "short", 400)]
    [InlineData("GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZSE=", 400)] // 17 bytes
    [InlineData("GET", "websocket", "Upgrade", "13", "not base64 at all!!!!!!!", 400)]
    public void An_invalid_upgrade_is_refused_with_a_reason(string method, string? upgrade, string? connection, string? version, string? key, int status)
    {
        var result = WebSocketHandshake.Validate(method, upgrade, connection, version, key);
        Assert.False(result.Ok);
        Assert.Equal(status, result.Status);
        Assert.False(string.IsNullOrWhiteSpace(result.Reason));
    }
}
