using System.Net.WebSockets;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

public sealed class ShutdownTests
{
    [Fact]
    public async Task A_stopping_gateway_closes_its_clients_with_1001_going_away()
    {
        var host = await GatewayHost.StartAsync();
        await using var brief = await TestSocket.ConnectAsync(host.WebSocket);
        await brief.Next("connected");
        await using var subscriber = await TestSocket.ConnectAsync(host.WebSocket);
        await subscriber.Next("connected");
        await subscriber.SendText("{\"type\":\"subscribe\",\"codes\":[\"600519.SH\"]}");
        await subscriber.Next("subscribed");

        var stopping = host.DisposeAsync().AsTask();
        Assert.Equal((WebSocketCloseStatus)CloseCodes.GoingAway, await brief.WaitClosed(TimeSpan.FromSeconds(15)));
        Assert.Equal((WebSocketCloseStatus)CloseCodes.GoingAway, await subscriber.WaitClosed(TimeSpan.FromSeconds(15)));
        Assert.Equal("going away", brief.CloseDescription);
        await stopping;
    }
}
