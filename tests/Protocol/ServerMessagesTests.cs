using System.Text.Json;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Market.Quotes;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class ServerMessagesTests
{
    [Fact]
    public void Price_update_has_the_brief_shape_plus_seq_and_ts()
    {
        var quote = new Quote { TsCode = "600000.SH", Name = "浦发银行", Price = 10.23m, PreClose = 10.10m, Volume = 12_345_600 };
        var ts = 1_795_674_632_458_024L;
        var bytes = ServerMessages.PriceUpdate([new PriceRow("600000.SH", quote)], 42, ts);

        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        Assert.Equal("price_update", root.GetProperty("type").GetString());
        Assert.Equal(42, root.GetProperty("seq").GetInt64());
        Assert.Equal(ts, root.GetProperty("ts").GetInt64());
        var row = Assert.Single(root.GetProperty("data").EnumerateArray());
        Assert.Equal("600000", row.GetProperty("code").GetString());
        Assert.Equal("600000.SH", row.GetProperty("ts_code").GetString());
        Assert.Equal("浦发银行", row.GetProperty("name").GetString());
        Assert.Equal(10.23m, row.GetProperty("price").GetDecimal());
        Assert.Equal(1.29m, row.GetProperty("change_percent").GetDecimal());
        Assert.Equal(12_345_600, row.GetProperty("volume").GetInt64());
        // Chinese names are sent as UTF-8, not \u escapes.
        Assert.Contains("浦发银行", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamp_is_iso8601_shanghai_with_microseconds()
    {
        var t = new DateTimeOffset(2026, 11, 26, 6, 30, 1, TimeSpan.Zero).AddTicks(1_234_560);
        var micros = UnixTime.Micros(t);
        Assert.Equal("2026-11-26T14:30:01.123456+08:00", ServerMessages.FormatTimestamp(micros));
        Assert.Equal(t, DateTimeOffset.Parse(ServerMessages.FormatTimestamp(micros), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Connected_pong_and_error_match_the_brief()
    {
        using var connected = JsonDocument.Parse(ServerMessages.Connected(30, 1));
        Assert.Equal("connected", connected.RootElement.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(connected.RootElement.GetProperty("message").GetString()));
        Assert.Equal(30, connected.RootElement.GetProperty("heartbeat_interval").GetInt32());

        using var pong = JsonDocument.Parse(ServerMessages.Pong(5));
        Assert.Equal("pong", pong.RootElement.GetProperty("type").GetString());

        using var error = JsonDocument.Parse(ServerMessages.Error(ErrorCodes.InvalidJson, "bad \"json\""));
        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_json", error.RootElement.GetProperty("code").GetString());
        Assert.Equal("bad \"json\"", error.RootElement.GetProperty("message").GetString());
    }
}
