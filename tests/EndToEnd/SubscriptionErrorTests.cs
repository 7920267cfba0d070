using System.Diagnostics.Metrics;
using System.Text.Json;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>
/// Partly invalid subscription requests: the valid part applies, the invalid part is named in an
/// error that the metrics count, and a connection leaves the default stream only once it follows something.
/// </summary>
public sealed class SubscriptionErrorTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    private static string[] Codes(JsonElement m) => [.. m.GetProperty("codes").EnumerateArray().Select(e => e.GetString()!)];

    private static string[] Lists(JsonElement m) => [.. m.GetProperty("lists").EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task A_first_subscribe_with_nothing_valid_stays_on_the_default_stream()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText("{\"type\":\"subscribe\",\"id\":\"n1\",\"codes\":[\"999999.SH\"]}");
        Assert.Equal(ErrorCodes.UnknownCodes, (await ws.Next("error")).GetProperty("code").GetString());
        var subscribed = await ws.Next("subscribed");
        Assert.Empty(Codes(subscribed));

        // Still the brief's stream: price_update keeps coming after the answer.
        ws.Drain();
        await ws.Next("price_update");

        // Once something valid is followed, the default stream stops.
        await ws.SendText("{\"type\":\"subscribe\",\"id\":\"n2\",\"codes\":[\"600519.SH\"]}");
        Assert.Equal(["600519.SH"], Codes(await ws.Next("subscribed")));
        await ws.Next("snapshot");
        await ws.Next("update", TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(ws.Drain(), m => m.GetProperty("type").GetString() == "price_update");
    }

    [Fact]
    public async Task An_unknown_strategy_is_named_and_the_codes_of_the_same_message_still_subscribe()
    {
        using var errors = new ErrorCounter(Host.Get<GatewayMetrics>());
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText("{\"type\":\"subscribe\",\"id\":\"u1\",\"codes\":[\"600519.SH\"],\"list\":\"buy\",\"strategy\":\"nope\"}");
        var error = await ws.Next("error");
        Assert.Equal(ErrorCodes.UnknownStrategy, error.GetProperty("code").GetString());
        Assert.Equal("u1", error.GetProperty("id").GetString());
        Assert.Contains("\"nope\"", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var subscribed = await ws.Next("subscribed");
        Assert.Equal(["600519.SH"], Codes(subscribed));
        Assert.Empty(Lists(subscribed));
        Assert.Equal("600519.SH", Assert.Single((await ws.Next("snapshot")).GetProperty("data").EnumerateArray()).GetProperty("ts_code").GetString());
        Assert.Equal(1, errors.Count(ErrorCodes.UnknownStrategy));
    }

    [Fact]
    public async Task A_resume_with_unknown_lists_names_them_and_applies_the_rest()
    {
        using var errors = new ErrorCounter(Host.Get<GatewayMetrics>());
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText("{\"type\":\"resume\",\"id\":\"r1\",\"positions\":{\"600519.SH\":{\"epoch\":1,\"seq\":0}},\"lists\":[\"nope\",\"volume_ratio\",\"also_nope\"]}");
        var error = await ws.Next("error");
        Assert.Equal(ErrorCodes.UnknownStrategy, error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("\"nope\"", message, StringComparison.Ordinal);
        Assert.Contains("\"also_nope\"", message, StringComparison.Ordinal);
        Assert.DoesNotContain("\"volume_ratio\"", message.Split("known strategies")[0], StringComparison.Ordinal);
        var subscribed = await ws.Next("subscribed");
        Assert.Contains("600519.SH", Codes(subscribed));
        Assert.Equal(["volume_ratio"], Lists(subscribed));
        Assert.Equal("volume_ratio", (await ws.Next("signal_update")).GetProperty("strategy").GetString());
        Assert.Equal(1, errors.Count(ErrorCodes.UnknownStrategy));
    }

    [Fact]
    public async Task Errors_of_the_subscription_hub_are_counted_like_the_parsers()
    {
        using var errors = new ErrorCounter(Host.Get<GatewayMetrics>());
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText("{\"type\":\"subscribe\",\"codes\":[\"600519.SH\",\"999999.SH\"]}");
        await ws.Next("subscribed");
        await ws.SendText("{\"type\":\"frobnicate\"}");
        await ws.Next("error");
        Assert.Equal(1, errors.Count(ErrorCodes.UnknownCodes));
        Assert.Equal(1, errors.Count(ErrorCodes.UnknownType));
    }

    /// <summary>Counts the error messages one gateway reports on its protocol_errors counter, by code.</summary>
    private sealed class ErrorCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, int> _counts = [];

        public ErrorCounter(GatewayMetrics metrics)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "orleansprices.gateway.protocol_errors") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key != "code") continue;
                    lock (_counts) _counts[(string)tag.Value!] = _counts.GetValueOrDefault((string)tag.Value!) + (int)value;
                }
            });
            _listener.Start();
        }

        public int Count(string code)
        {
            lock (_counts) return _counts.GetValueOrDefault(code);
        }

        public void Dispose() => _listener.Dispose();
    }
}
