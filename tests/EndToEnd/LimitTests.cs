using System.Net;
using System.Net.WebSockets;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>The connection limit and the subscribe token bucket against a real gateway.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Past_the_connection_limit_the_upgrade_is_refused_with_503_and_retry_after()
    {
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Gateway:MaxConnections"] = "2" });
        await using var first = await TestSocket.ConnectAsync(host.WebSocket);
        await first.Next("connected");
        await using (var second = await TestSocket.ConnectAsync(host.WebSocket))
        {
            await second.Next("connected");

            using var refused = new ClientWebSocket();
            refused.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(host.WebSocket, CancellationToken.None));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.HttpStatusCode);
            Assert.Equal("5", Assert.Single(refused.HttpResponseHeaders!["Retry-After"]));

            // The connections inside the limit are untouched.
            await first.SendText("{\"type\":\"ping\"}");
            await first.Next("pong");
        }

        // A place freed is a place taken again.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var again = new ClientWebSocket();
            try
            {
                await again.ConnectAsync(host.WebSocket, CancellationToken.None);
                break;
            }
            catch (WebSocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100); // the closed connection's place is released once its handshake ends
            }
        }
    }

    [Fact]
    public async Task A_subscribe_flood_gets_rate_limited_then_closed_with_1008_and_others_are_unaffected()
    {
        // Defaults: 5 subscribes per second (burst 10), 10 messages per second (burst 20), 20 violations.
        await using var host = await GatewayHost.StartAsync();
        await using var calm = await TestSocket.ConnectAsync(host.WebSocket);
        await calm.Next("connected");
        await using var flood = await TestSocket.ConnectAsync(host.WebSocket);
        await flood.Next("connected");

        for (var i = 0; i < 60; i++)
        {
            await flood.SendText($"{{\"type\":\"subscribe\",\"id\":\"f{i}\",\"codes\":[\"600519.SH\"]}}");
        }
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await flood.WaitClosed(TimeSpan.FromSeconds(20)));
        Assert.Equal(CloseCodes.PolicyViolation, (int)WebSocketCloseStatus.PolicyViolation);

        var got = flood.Drain();
        var limited = got.Where(m => m.GetProperty("type").GetString() == "error").ToList();
        Assert.All(limited, m => Assert.Equal(ErrorCodes.RateLimited, m.GetProperty("code").GetString()));
        // The subscribe bucket answers with the request's id; the message bucket drops messages unread.
        Assert.Contains(limited, m => m.TryGetProperty("id", out var id) && id.GetString()!.StartsWith('f')
            && m.GetProperty("message").GetString()!.Contains("subscribe", StringComparison.Ordinal));
        Assert.Contains(limited, m => !m.TryGetProperty("id", out _)
            && m.GetProperty("message").GetString()!.Contains("1008", StringComparison.Ordinal));
        // At most the subscribe bucket's burst plus its refill were accepted (their answers may be cut off by the close).
        Assert.InRange(got.Count(m => m.GetProperty("type").GetString() == "subscribed"), 0, 20);

        // The other client's requests are answered as usual.
        await calm.SendText("{\"type\":\"subscribe\",\"id\":\"c1\",\"codes\":[\"600519.SH\"]}");
        Assert.Equal("c1", (await calm.Next("subscribed", TimeSpan.FromSeconds(30))).GetProperty("id").GetString());
        await calm.SendText("{\"type\":\"ping\"}");
        await calm.Next("pong", TimeSpan.FromSeconds(30));
    }
}
