extern alias PriceClientLib;

using System.Text;
using PriceClientLib::OrleansPrices.Client;
using PriceClientLib::OrleansPrices.Client.Protocol;
using Xunit;

namespace OrleansPrices.Tests.Clients;

/// <summary>Server messages as docs/protocol.md shows them (captured) and as the additive spec defines them.</summary>
public sealed class MessageDecoderTests
{
    private static PriceEvent Decode(string json) => MessageDecoder.Decode(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Connected_carries_the_heartbeat_interval()
    {
        var e = Assert.IsType<ConnectedEvent>(Decode("""{"type":"connected","message":"WebSocket connected","heartbeat_interval":30,"ts":1795675454594672}"""));
        Assert.Equal(new ConnectedEvent("WebSocket connected", 30, 1795675454594672), e);
    }

    [Fact]
    public void A_captured_price_update_decodes_to_a_brief_row()
    {
        var e = Assert.IsType<PriceUpdateEvent>(Decode("""{"type":"price_update","data":[{"code":"301622","ts_code":"301622.SZ","name":"广瑞药业","price":3.84,"change_percent":0.79,"volume":63748600}],"timestamp":"2026-11-26T14:44:15.893191+08:00","seq":154,"ts":1795675455893191}"""));
        Assert.Equal(154, e.Seq);
        Assert.Equal(1795675455893191, e.Ts);
        Assert.Equal("2026-11-26T14:44:15.893191+08:00", e.Timestamp);
        var row = Assert.Single(e.Rows);
        Assert.Equal(new StockRow { TsCode = "301622.SZ", Code = "301622", Name = "广瑞药业", Price = 3.84m, ChangePercent = 0.79m, Volume = 63748600 }, row);
    }

    [Fact]
    public void Whole_numbers_and_the_briefs_float_volume_are_read_as_numbers()
    {
        var e = Assert.IsType<PriceUpdateEvent>(Decode("""{"type":"price_update","data":[{"code":"600000","price":13.8,"change_percent":10,"volume":6374860.0}]}"""));
        var row = Assert.Single(e.Rows);
        Assert.Equal("600000", row.TsCode); // a brief server without ts_code: keyed by code
        Assert.Equal(10m, row.ChangePercent);
        Assert.Equal(6374860, row.Volume);
    }

    [Fact]
    public void A_snapshot_row_has_every_field_and_its_position()
    {
        var e = Assert.IsType<SnapshotEvent>(Decode("""
            {"type":"snapshot","recovered":false,"data":[{"ts_code":"600000.SH","code":"600000","name":"浦发银行","price":13.82,"change_percent":2.22,
             "volume":110218900,"amount":1522956763.0,"open":13.45,"high":13.82,"low":13.45,"pre_close":13.52,"bid":13.81,"ask":13.82,
             "suspended":false,"time":"2026-11-26T14:44:00.8279898+08:00","epoch":1795675433159650,"seq":4}]}
            """));
        Assert.False(e.Recovered);
        var row = Assert.Single(e.Rows);
        Assert.Equal(new StreamPosition(1795675433159650, 4), row.Position);
        Assert.Equal(1522956763.0m, row.Amount);
        Assert.Equal(13.52m, row.PreClose);
        Assert.False(row.Suspended);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 14, 44, 0, TimeSpan.FromHours(8)).AddTicks(8279898), row.Time);
    }

    [Fact]
    public void An_update_row_holds_only_the_fields_that_changed()
    {
        var e = Assert.IsType<UpdateEvent>(Decode("""{"type":"update","data":[{"ts_code":"600000.SH","code":"600000","epoch":7,"seq":5,"price":13.83,"bid":13.82}],"ts":1795675455893191}"""));
        Assert.Equal(new StockRow { TsCode = "600000.SH", Code = "600000", Price = 13.83m, Bid = 13.82m, Position = new StreamPosition(7, 5) }, Assert.Single(e.Rows));
        Assert.Equal(1795675455893191, e.Ts);
    }

    [Fact]
    public void Signal_update_subscribed_status_and_error_decode()
    {
        var signal = Assert.IsType<SignalUpdateEvent>(Decode("""
            {"type":"signal_update","strategy":"volume_ratio","version":12,"snapshot":false,
             "added":[{"code":"000012","ts_code":"000012.SZ","name":"南玻A","market":"SZ","signal":"BUY","signal_reason":"量比 6.51","strategy":"volume_ratio",
                       "volume_ratio":6.51,"details":"…","since":"2026-11-26T14:43:56.7460085+08:00","price":35.0,"change_percent":4.26,"volume":21070200}],
             "removed":["600000.SH"]}
            """));
        Assert.Equal(("volume_ratio", 12L, false), (signal.Strategy, signal.Version, signal.IsSnapshot));
        Assert.Equal(["600000.SH"], signal.Removed);
        var added = Assert.Single(signal.Added);
        Assert.Equal(("000012.SZ", 6.51m, 35.0m, 21070200L), (added.TsCode, added.VolumeRatio!.Value, added.Price!.Value, added.Volume!.Value));

        var subscribed = Assert.IsType<SubscribedEvent>(Decode("""{"type":"subscribed","id":"1","codes":["600000.SH","000001.SZ"],"lists":["volume_ratio"]}"""));
        Assert.Equal("1", subscribed.Id);
        Assert.Equal(["600000.SH", "000001.SZ"], subscribed.Codes);
        Assert.Equal(["volume_ratio"], subscribed.Lists);

        var status = Assert.IsType<StatusEvent>(Decode("""{"type":"status","phase":"lunch_break","trading_day":"2026-11-26","next_open":null,"stale":false,"ts":1}"""));
        Assert.Equal(new StatusEvent("lunch_break", "2026-11-26", null, false, 1), status);

        var error = Assert.IsType<ErrorEvent>(Decode("""{"type":"error","id":"1","code":"unknown_codes","message":"unknown stock codes: 999999","codes":["999999"]}"""));
        Assert.Equal(("1", "unknown_codes"), (error.Id, error.Code));
        Assert.Equal(["999999"], error.Codes);
        var briefError = Assert.IsType<ErrorEvent>(Decode("""{"type":"error","code":"rate_limited","message":"…"}"""));
        Assert.Null(briefError.Id);
        Assert.Empty(briefError.Codes);
    }

    [Fact]
    public void Pong_and_unknown_types_decode_and_unknown_fields_are_ignored()
    {
        Assert.Equal(new PongEvent(5), Decode("""{"type":"pong","ts":5,"extra":{"a":[1,2]}}"""));
        Assert.Equal(new UnknownEvent("compression_stats"), Decode("""{"type":"compression_stats","ratio":3}"""));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{}")]
    [InlineData("""{"type":5}""")]
    [InlineData("""{"type":"update","data":[{"price":1}]}""")]
    [InlineData("""{"type":"update","data":[{"ts_code":"600000.SH","price":"high"}]}""")]
    [InlineData("""{"type":"signal_update","version":1}""")]
    public void Malformed_messages_throw_a_format_exception(string json) =>
        Assert.Throws<MessageFormatException>(() => Decode(json));
}
