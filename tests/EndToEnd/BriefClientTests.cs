using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>
/// The gateway as the brief's Flutter client uses it: fetch the REST list, connect the WebSocket,
/// map <c>price_update</c> rows by <c>code</c>; plus every bad input the brief's sketch ignored.
/// </summary>
public sealed class BriefClientTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    private HttpClient Http() => new() { BaseAddress = Host.Http };

    [Fact]
    public async Task A_brief_client_sees_listed_prices_change_after_loading_the_list()
    {
        await Host.WaitForListMembers();
        using var http = Http();
        var list = await http.GetFromJsonAsync<JsonElement>("/api/stocks/signal/buy");
        Assert.Equal(200, list.GetProperty("code").GetInt32());
        var signals = list.GetProperty("data").GetProperty("signals").EnumerateArray().ToList();
        Assert.NotEmpty(signals);
        Assert.Equal(signals.Count, list.GetProperty("data").GetProperty("count").GetInt32());
        // A stock on two strategies' lists appears twice, as in the brief's list; its price is the same.
        // A stock that has just entered a list may have no price in the gateway's book yet: null (docs/protocol.md).
        var scan = signals.Where(s => s.GetProperty("price").ValueKind != JsonValueKind.Null).DistinctBy(s => s.GetProperty("code").GetString())
            .ToDictionary(s => s.GetProperty("code").GetString()!, s => s.GetProperty("price").GetDecimal());
        foreach (var s in signals)
        {
            foreach (var field in new[] { "code", "ts_code", "name", "market", "signal", "signal_reason", "strategy", "volume_ratio", "details", "price", "change_percent", "volume" })
            {
                Assert.True(s.TryGetProperty(field, out _), $"signal row lacks {field}");
            }
        }

        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        var connected = await ws.Next("connected");
        Assert.False(string.IsNullOrEmpty(connected.GetProperty("message").GetString()));

        // Like the Flutter ApiProvider: index updates by code and apply them to the scan results.
        var changed = new HashSet<string>();
        long lastSeq = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (changed.Count == 0 && DateTime.UtcNow < deadline)
        {
            var update = await ws.Next("price_update");
            var seq = update.GetProperty("seq").GetInt64();
            Assert.True(seq > lastSeq, "seq increases");
            lastSeq = seq;
            Assert.True(update.GetProperty("ts").GetInt64() > 0);
            var timestamp = DateTimeOffset.Parse(update.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(TimeSpan.FromHours(8), timestamp.Offset);
            foreach (var row in update.GetProperty("data").EnumerateArray())
            {
                var code = row.GetProperty("code").GetString()!;
                Assert.Equal(6, code.Length);
                Assert.False(string.IsNullOrEmpty(row.GetProperty("name").GetString()));
                Assert.True(row.GetProperty("volume").GetInt64() >= 0);
                row.GetProperty("change_percent").GetDecimal();
                if (scan.TryGetValue(code, out var old) && old != row.GetProperty("price").GetDecimal()) changed.Add(code);
            }
        }
        Assert.NotEmpty(changed);
    }

    [Fact]
    public async Task Ping_gets_pong()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText("{\"type\":\"ping\"}");
        var pong = await ws.Next("pong");
        Assert.True(pong.GetProperty("ts").GetInt64() > 0);
    }

    [Theory]
    [InlineData("{not json", ErrorCodes.InvalidJson)]
    [InlineData("[\"ping\"]", ErrorCodes.InvalidMessage)]
    [InlineData("{\"kind\":\"ping\"}", ErrorCodes.InvalidMessage)]
    [InlineData("{\"type\":\"teleport\"}", ErrorCodes.UnknownType)]
    public async Task Bad_text_gets_an_error_and_the_connection_stays(string text, string code)
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendText(text);
        var error = await ws.Next("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));

        await ws.SendText("{\"type\":\"ping\"}");
        await ws.Next("pong");
        Assert.Equal(WebSocketState.Open, ws.State);
    }

    [Fact]
    public async Task A_binary_frame_gets_an_error_and_the_connection_stays()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        await ws.SendBinary([1, 2, 3]);
        var error = await ws.Next("error");
        Assert.Equal(ErrorCodes.BinaryNotSupported, error.GetProperty("code").GetString());
        await ws.SendText("{\"type\":\"ping\"}");
        await ws.Next("pong");
    }

    [Fact]
    public async Task A_frame_over_64_KiB_closes_with_1009_and_others_are_unaffected()
    {
        await using var bystander = await TestSocket.ConnectAsync(Host.WebSocket);
        await bystander.Next("connected");
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");

        await ws.SendText("{\"type\":\"ping\",\"pad\":\"" + new string('x', 70 * 1024) + "\"}");
        Assert.Equal((WebSocketCloseStatus)CloseCodes.MessageTooBig, await ws.WaitClosed(TimeSpan.FromSeconds(10)));

        await bystander.SendText("{\"type\":\"ping\"}");
        await bystander.Next("pong");
        await bystander.Next("price_update", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_frame_just_under_the_limit_is_parsed()
    {
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");
        var pad = new string('x', 64 * 1024 - 40);
        await ws.SendText("{\"type\":\"ping\",\"pad\":\"" + pad + "\"}");
        await ws.Next("pong");
    }

    [Fact]
    public async Task A_flood_is_rate_limited_then_closed_with_1008()
    {
        await using var bystander = await TestSocket.ConnectAsync(Host.WebSocket);
        await bystander.Next("connected");
        await using var ws = await TestSocket.ConnectAsync(Host.WebSocket);
        await ws.Next("connected");

        for (var i = 0; i < 200 && ws.State == WebSocketState.Open; i++)
        {
            try
            {
                await ws.SendText("{\"type\":\"ping\"}");
            }
            catch (WebSocketException)
            {
                break;
            }
        }
        Assert.Equal((WebSocketCloseStatus)CloseCodes.PolicyViolation, await ws.WaitClosed(TimeSpan.FromSeconds(10)));
        var received = ws.Drain();
        Assert.Contains(received, m => m.GetProperty("type").GetString() == "error" && m.GetProperty("code").GetString() == ErrorCodes.RateLimited);
        Assert.Contains(received, m => m.GetProperty("type").GetString() == "pong");

        await bystander.SendText("{\"type\":\"ping\"}");
        await bystander.Next("pong");
    }

    [Fact]
    public async Task Unknown_strategy_is_400_naming_the_known_ones()
    {
        using var http = Http();
        var response = await http.GetAsync(new Uri("/api/stocks/signal/buy?strategy=astrology", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, body.GetProperty("code").GetInt32());
        var message = body.GetProperty("message").GetString()!;
        Assert.Contains("astrology", message, StringComparison.Ordinal);
        Assert.Contains("volume_ratio", message, StringComparison.Ordinal);
        Assert.Contains("ma_cross", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_strategy_filter_returns_only_that_strategy()
    {
        using var http = Http();
        var body = await http.GetFromJsonAsync<JsonElement>("/api/stocks/signal/buy?strategy=volume_ratio");
        var data = body.GetProperty("data");
        Assert.Equal("volume_ratio", data.GetProperty("strategy").GetString());
        Assert.All(data.GetProperty("signals").EnumerateArray(), s => Assert.Equal("volume_ratio", s.GetProperty("strategy").GetString()));
    }

    [Fact]
    public async Task Quotes_by_code_and_unknown_codes_named()
    {
        using var http = Http();
        var ok = await http.GetFromJsonAsync<JsonElement>("/api/stocks/quotes?codes=600519.SH,000001");
        var quotes = ok.GetProperty("data").GetProperty("quotes").EnumerateArray().ToList();
        Assert.Equal(["600519.SH", "000001.SZ"], quotes.Select(q => q.GetProperty("ts_code").GetString()));
        Assert.All(quotes, q => Assert.True(q.GetProperty("price").GetDecimal() > 0));
        Assert.Equal("贵州茅台", quotes[0].GetProperty("name").GetString());

        var bad = await http.GetAsync(new Uri("/api/stocks/quotes?codes=600519.SH,999999,12AB56,688999.SZ", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var body = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["999999", "12AB56", "688999.SZ"], body.GetProperty("data").GetProperty("unknown").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task OpenApi_document_describes_the_rest_api()
    {
        using var http = Http();
        var doc = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/stocks/signal/buy", out _));
        Assert.True(paths.TryGetProperty("/api/stocks/quotes", out _));
    }

    [Fact]
    public async Task Metrics_are_exported_for_prometheus()
    {
        using var http = Http();
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("orleansprices_gateway", text, StringComparison.Ordinal);
    }
}
