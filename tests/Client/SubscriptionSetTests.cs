extern alias PriceClientLib;

using System.Text;
using System.Text.Json;
using PriceClientLib::OrleansPrices.Client;
using PriceClientLib::OrleansPrices.Client.Protocol;
using Xunit;

namespace OrleansPrices.Tests.Clients;

/// <summary>The client's messages, and the ones that restore its subscriptions after a reconnect.</summary>
public sealed class SubscriptionSetTests
{
    private static string Text(byte[] utf8) => Encoding.UTF8.GetString(utf8);

    private static Func<string> Ids()
    {
        var n = 0;
        return () => (++n).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Messages_have_the_specified_shape()
    {
        Assert.Equal("""{"type":"ping"}""", Text(ClientMessages.Ping()));
        Assert.Equal("""{"type":"subscribe","id":"1","codes":["600000.SH","000001"],"max_rate":1}""", Text(ClientMessages.Subscribe("1", ["600000.SH", "000001"], 1)));
        Assert.Equal("""{"type":"subscribe","id":"2","list":"buy","strategy":"volume_ratio"}""", Text(ClientMessages.SubscribeList("2", "volume_ratio")));
        Assert.Equal("""{"type":"subscribe","id":"2","list":"buy"}""", Text(ClientMessages.SubscribeList("2", null)));
        Assert.Equal("""{"type":"unsubscribe","id":"4","codes":["600000.SH"]}""", Text(ClientMessages.Unsubscribe("4", ["600000.SH"])));
        Assert.Equal("""{"type":"unsubscribe","id":"5","list":"buy","strategy":"ma_cross"}""", Text(ClientMessages.UnsubscribeList("5", "ma_cross")));
        Assert.Equal(
            """{"type":"resume","id":"3","positions":{"600000.SH":{"epoch":1795675433159650,"seq":4}},"lists":["volume_ratio"],"max_rate":0.5}""",
            Text(ClientMessages.Resume("3", new Dictionary<string, StreamPosition> { ["600000.SH"] = new(1795675433159650, 4) }, ["volume_ratio"], 0.5)));
    }

    [Fact]
    public void Nothing_subscribed_restores_nothing_and_keeps_the_default_stream()
    {
        var set = new SubscriptionSet();
        Assert.True(set.IsEmpty);
        Assert.Empty(set.RestoreMessages(new Dictionary<string, StreamPosition>(), Ids()));
    }

    [Fact]
    public void Codes_with_a_position_are_resumed_the_others_subscribed_and_lists_ride_on_the_resume()
    {
        var set = new SubscriptionSet();
        set.AddCodes(["600000.SH", "000001", "300750.SZ"], null);
        set.AddList("volume_ratio");
        var positions = new Dictionary<string, StreamPosition>
        {
            ["600000.SH"] = new(7, 40),
            ["000001.SZ"] = new(8, 3), // asked for as six digits: matched to its ts_code
            ["601318.SH"] = new(9, 1), // a list member: the list is resubscribed, not the stock
        };
        var messages = set.RestoreMessages(positions, Ids()).Select(Text).ToList();
        Assert.Equal(
            [
                """{"type":"resume","id":"1","positions":{"000001.SZ":{"epoch":8,"seq":3},"600000.SH":{"epoch":7,"seq":40}},"lists":["volume_ratio"]}""",
                """{"type":"subscribe","id":"2","codes":["300750.SZ"]}""",
            ],
            messages);
    }

    [Fact]
    public void Each_rate_gets_its_own_messages_and_every_strategy_is_subscribed_again()
    {
        var set = new SubscriptionSet();
        set.AddCodes(["600000.SH"], 1);
        set.AddCodes(["000001.SZ"], null);
        set.AddList(null);
        var messages = set.RestoreMessages(new Dictionary<string, StreamPosition> { ["600000.SH"] = new(1, 2), ["000001.SZ"] = new(1, 5) }, Ids())
            .Select(m => JsonDocument.Parse(m).RootElement).ToList();
        Assert.Equal(["resume", "resume", "subscribe"], messages.Select(m => m.GetProperty("type").GetString()));
        Assert.False(messages[0].TryGetProperty("max_rate", out _));
        Assert.False(messages[0].TryGetProperty("lists", out _));
        Assert.Equal(1, messages[1].GetProperty("max_rate").GetDouble());
        Assert.Equal("buy", messages[2].GetProperty("list").GetString());
        Assert.False(messages[2].TryGetProperty("strategy", out _));
    }

    [Fact]
    public void Lists_without_a_resume_are_subscribed_and_big_sets_are_chunked()
    {
        var set = new SubscriptionSet();
        var codes = Enumerable.Range(0, 2500).Select(i => $"{600000 + i}.SH").ToList();
        set.AddCodes(codes, null);
        set.AddList("ma_cross");
        set.AddList("volume_ratio");
        var messages = set.RestoreMessages(new Dictionary<string, StreamPosition>(), Ids()).Select(m => JsonDocument.Parse(m).RootElement).ToList();
        Assert.Equal([1000, 1000, 500], messages.Take(3).Select(m => m.GetProperty("codes").GetArrayLength()));
        Assert.Equal(["ma_cross", "volume_ratio"], messages.Skip(3).Select(m => m.GetProperty("strategy").GetString()));
    }

    [Fact]
    public void Removing_forgets_codes_and_lists()
    {
        var set = new SubscriptionSet();
        set.AddCodes(["600000.SH", "000001"], null);
        set.AddList("volume_ratio");
        Assert.True(set.Follows("000001.SZ"));
        set.RemoveCodes(["600000.SH", "000001"]);
        set.RemoveList(null);
        Assert.True(set.IsEmpty);
        Assert.False(set.Follows("000001.SZ"));
    }
}
