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

    [Fact]
    public async Task Past_the_code_limit_the_rest_is_named_in_too_many_codes_and_list_members_do_not_count()
    {
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Gateway:MaxCodesPerConnection"] = "2" });
        await using var ws = await TestSocket.ConnectAsync(host.WebSocket);
        await ws.Next("connected");
        await ws.SendText("{\"type\":\"subscribe\",\"id\":\"m1\",\"codes\":[\"600519.SH\",\"600000.SH\",\"000001.SZ\"]}");
        var error = await ws.Next("error");
        Assert.Equal(ErrorCodes.TooManyCodes, error.GetProperty("code").GetString());
        Assert.Equal("m1", error.GetProperty("id").GetString());
        Assert.Equal(["000001.SZ"], error.GetProperty("codes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("at most 2 codes per connection; not subscribed: 000001.SZ", error.GetProperty("message").GetString());
        var subscribed = await ws.Next("subscribed");
        Assert.Equal(["600000.SH", "600519.SH"], subscribed.GetProperty("codes").EnumerateArray().Select(e => e.GetString()));

        // A whole list on top: its members are not codes of the connection.
        await ws.SendText("{\"type\":\"subscribe\",\"id\":\"m2\",\"list\":\"buy\"}");
        var withLists = await ws.Next("subscribed");
        Assert.Equal("m2", withLists.GetProperty("id").GetString());
        Assert.Equal(2, withLists.GetProperty("codes").GetArrayLength());
        Assert.Equal(["ma_cross", "volume_ratio"], withLists.GetProperty("lists").EnumerateArray().Select(e => e.GetString()));
        var members = 0;
        for (var i = 0; i < 2; i++) members += (await ws.Next("signal_update")).GetProperty("added").GetArrayLength();
        Assert.True(members > 2, $"the lists hold {members} stocks");
        Assert.DoesNotContain(ws.Drain(), m => m.GetProperty("type").GetString() == "error");
    }
}
