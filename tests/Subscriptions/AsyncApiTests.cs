using System.Text;
using System.Text.Json;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Gateway.Subscriptions;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Time;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.Subscriptions;

/// <summary>docs/asyncapi.json against the message types the code produces and accepts.</summary>
public sealed class AsyncApiTests
{
    private static readonly JsonDocument Doc = JsonDocument.Parse(File.ReadAllText(GatewayHost.RepoPath("docs/asyncapi.json")));

    private static IReadOnlyList<string> Operation(string name) =>
        [.. Doc.RootElement.GetProperty("operations").GetProperty(name).GetProperty("messages").EnumerateArray()
            .Select(m => m.GetProperty("$ref").GetString()!.Split('/')[^1])];

    private static JsonElement Message(string name) => Doc.RootElement.GetProperty("components").GetProperty("messages").GetProperty(name);

    /// <summary>One sample of every message the gateway's encoders produce.</summary>
    private static IEnumerable<byte[]> ServerSamples()
    {
        var q = new Quote { TsCode = "600000.SH", Name = "浦发银行", Price = 10m, PreClose = 9.9m };
        var row = SubscriptionMessages.SnapshotRow("600000.SH", q, 1, 1);
        yield return ServerMessages.Connected(30, 1);
        yield return ServerMessages.Pong(1);
        yield return ServerMessages.PriceUpdate([new PriceRow("600000.SH", q)], 1, 1);
        yield return ServerMessages.Error(ErrorCodes.InvalidJson, "x");
        yield return SubscriptionMessages.Subscribed("1", ["600000.SH"], ["volume_ratio"]);
        yield return SubscriptionMessages.Snapshot([row], recovered: true, 1);
        yield return SubscriptionMessages.Update([row], 1);
        yield return SubscriptionMessages.SignalUpdate("volume_ratio", 1, snapshot: true, [], []);
        yield return SubscriptionMessages.Status(new MarketStatus(MarketPhase.Continuous, new DateOnly(2026, 11, 26), null, 30, false), stale: false, 1);
    }

    [Fact]
    public void Every_stale_reason_is_documented_and_encoded_as_documented()
    {
        AssertDocumentedEnum("status", "reason", typeof(StaleReasons));
        var status = new MarketStatus(MarketPhase.Continuous, new DateOnly(2026, 11, 26), null, 30, false);
        using var stale = JsonDocument.Parse(SubscriptionMessages.Status(status, stale: true, 1, StaleReasons.StorageUnavailable));
        Assert.Equal(StaleReasons.StorageUnavailable, stale.RootElement.GetProperty("reason").GetString());
        using var fresh = JsonDocument.Parse(SubscriptionMessages.Status(status, stale: false, 1));
        Assert.False(fresh.RootElement.TryGetProperty("reason", out _));
    }

    [Fact]
    public void Every_server_message_is_documented_with_its_required_fields()
    {
        var documented = Operation("sendToClient");
        var produced = new List<string>();
        foreach (var bytes in ServerSamples())
        {
            using var m = JsonDocument.Parse(bytes);
            var type = m.RootElement.GetProperty("type").GetString()!;
            produced.Add(type);
            Assert.Contains(type, documented);
            foreach (var required in Message(type).GetProperty("payload").GetProperty("required").EnumerateArray())
            {
                Assert.True(m.RootElement.TryGetProperty(required.GetString()!, out _), $"{type} lacks documented field {required}");
            }
        }
        Assert.Equal(documented.Order(), produced.Order());
    }

    [Fact]
    public void Every_client_message_is_documented_and_its_example_parses()
    {
        var documented = Operation("receiveFromClient");
        Assert.Equal(RequestParser.KnownTypes.Split(", ").Order(), documented.Order());
        foreach (var type in documented)
        {
            var example = Message(type).GetProperty("examples")[0].GetProperty("payload").GetRawText();
            var parsed = RequestParser.Parse(Encoding.UTF8.GetBytes(example));
            Assert.False(parsed.IsError, $"{type} example: {parsed.ErrorMessage}");
        }
    }

    [Fact]
    public void Every_error_code_is_documented() => AssertDocumentedEnum("error", "code", typeof(ErrorCodes));

    /// <summary>The <c>enum</c> of a message's field lists exactly the string constants of <paramref name="constants"/>.</summary>
    private static void AssertDocumentedEnum(string message, string field, Type constants)
    {
        var documented = Message(message).GetProperty("payload").GetProperty("properties").GetProperty(field).GetProperty("enum")
            .EnumerateArray().Select(e => e.GetString()).Order().ToList();
        var inCode = constants.GetFields().Where(f => f.IsLiteral).Select(f => (string?)f.GetRawConstantValue()).Order().ToList();
        Assert.Equal(inCode, documented);
    }

    [Fact]
    public void Every_close_code_is_documented_with_the_reconnect_advice_of_the_code()
    {
        var documented = Doc.RootElement.GetProperty("x-close-codes").EnumerateObject()
            .ToDictionary(p => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => p.Value.GetProperty("reconnect").GetBoolean());
        int[] sent = [.. typeof(CloseCodes).GetFields().Where(f => f.IsLiteral).Select(f => (int)f.GetRawConstantValue()!),
            WebSocketCloseCodes.Normal, WebSocketCloseCodes.ProtocolError, WebSocketCloseCodes.InvalidPayload, WebSocketCloseCodes.MessageTooBig];
        Assert.All(sent, code => Assert.True(documented.ContainsKey(code), $"close code {code} is not in x-close-codes"));
        Assert.All(documented, d => Assert.Equal(CloseCodes.ShouldReconnect(d.Key), d.Value));
    }
}
