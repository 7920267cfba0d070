using OrleansPrices.Gateway.Protocol;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class PerMessageDeflateTests
{
    [Theory]
    // Chromium, Firefox, and .NET's ClientWebSocket with DangerousDeflateOptions defaults
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate; server_no_context_takeover", 15, false)]
    [InlineData("permessage-deflate", "permessage-deflate; server_no_context_takeover", 15, false)]
    [InlineData("PerMessage-Deflate;Server_No_Context_Takeover", "permessage-deflate; server_no_context_takeover", 15, false)]
    [InlineData("permessage-deflate; client_no_context_takeover; client_max_window_bits=10",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover", 15, true)]
    [InlineData("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_no_context_takeover; server_max_window_bits=10", 10, false)]
    [InlineData("permessage-deflate; server_max_window_bits=\"12\"", "permessage-deflate; server_no_context_takeover; server_max_window_bits=12", 12, false)]
    [InlineData("x-webkit-deflate-frame, permessage-deflate", "permessage-deflate; server_no_context_takeover", 15, false)]
    // The first offer is invalid (unknown parameter): the second one is accepted.
    [InlineData("permessage-deflate; foo=1, permessage-deflate; client_max_window_bits", "permessage-deflate; server_no_context_takeover", 15, false)]
    [InlineData("permessage-deflate; server_max_window_bits=16,permessage-deflate;server_max_window_bits=9",
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9", 9, false)]
    public void An_acceptable_offer_is_answered_with_server_no_context_takeover(string offer, string response, int serverBits, bool clientNoTakeover)
    {
        var accepted = PerMessageDeflate.Negotiate(offer);
        Assert.NotNull(accepted);
        Assert.Equal(response, accepted.ResponseHeader);
        Assert.Equal(serverBits, accepted.ServerMaxWindowBits);
        Assert.Equal(clientNoTakeover, accepted.ClientNoContextTakeover);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("x-webkit-deflate-frame")]
    [InlineData("permessage-deflate; foo")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("permessage-deflate; server_no_context_takeover=1")]
    [InlineData("permessage-deflate; client_no_context_takeover=yes")]
    [InlineData("permessage-deflate; server_max_window_bits")]
    [InlineData("permessage-deflate; server_max_window_bits=7")]
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; server_max_window_bits=09")]
    [InlineData("permessage-deflate; client_max_window_bits=abc")]
    [InlineData("permessage-deflate; client_max_window_bits=\"8")]
    [InlineData("permessage-deflate;; client_max_window_bits")]
    [InlineData("permessage-deflate client_max_window_bits")]
    public void An_invalid_or_missing_offer_gets_no_extension(string? offer)
    {
        Assert.Null(PerMessageDeflate.Negotiate(offer));
    }

    [Fact]
    public void A_small_server_window_limits_what_is_compressed()
    {
        Assert.Equal(1024, PerMessageDeflate.Negotiate("permessage-deflate; server_max_window_bits=10")!.MaxCompressedMessage);
        Assert.Equal(int.MaxValue, PerMessageDeflate.Negotiate("permessage-deflate")!.MaxCompressedMessage);
    }

    [Fact]
    public void Extension_header_keeps_offers_and_parameters_in_order()
    {
        Assert.True(ExtensionHeader.TryParse("a; x=1; y, b ,, c; z=\"q\\\"r\"", out var offers));
        Assert.Equal(["a", "b", "c"], offers.Select(o => o.Name));
        Assert.Equal([("x", (string?)"1"), ("y", null)], offers[0].Parameters);
        Assert.Empty(offers[1].Parameters);
        Assert.Equal([("z", (string?)"q\"r")], offers[2].Parameters);
    }
}
