using System.Buffers;
using System.Text;
using OrleansPrices.Gateway.Hosting;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class WebSocketUpgradeRequestTests
{
    private static readonly HeadLimits Kestrel = new(8192, 32768, 100);

    private const string Upgrade =
        "GET /ws/stock/prices HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

    private static UpgradeRequestStatus Parse(string text, out WebSocketUpgradeRequest? request, out int length, HeadLimits? limits = null) =>
        WebSocketUpgradeRequest.TryParse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), limits ?? Kestrel, out request, out length);

    private static UpgradeRequestStatus Parse(string text) => Parse(text, out _, out _);

    [Fact]
    public void A_browser_upgrade_is_parsed_with_the_headers_the_handshake_needs()
    {
        Assert.Equal(UpgradeRequestStatus.Parsed, Parse(Upgrade, out var request, out var length));
        Assert.Equal(Upgrade.Length, length);
        Assert.Equal(new WebSocketUpgradeRequest("websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==",
            "permessage-deflate; client_max_window_bits"), request);
    }

    [Fact]
    public void Every_prefix_of_an_upgrade_needs_more()
    {
        for (var i = 0; i < Upgrade.Length; i++)
        {
            Assert.Equal(UpgradeRequestStatus.NeedMore, Parse(Upgrade[..i]));
        }
    }

    [Fact]
    public void Frames_sent_with_the_request_are_not_part_of_the_head()
    {
        var frame = "\x81\x8A\x12\x34\x56\x78 some frame\r\n\r\n";
        Assert.Equal(UpgradeRequestStatus.Parsed, Parse(Upgrade + frame, out _, out var length));
        Assert.Equal(Upgrade.Length, length);
    }

    [Fact]
    public void A_head_split_over_segments_is_parsed()
    {
        var bytes = Encoding.ASCII.GetBytes(Upgrade);
        var first = new Segment(bytes.AsMemory(0, 7));
        var last = first.Append(bytes.AsMemory(7, 50)).Append(bytes.AsMemory(57));
        var status = WebSocketUpgradeRequest.TryParse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), Kestrel, out var request, out var length);
        Assert.Equal(UpgradeRequestStatus.Parsed, status);
        Assert.Equal(bytes.Length, length);
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", request!.Key);
    }

    [Theory]
    [InlineData("GET /ws/stock/prices?token=abc&x=1 HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\nhost:h\r\nupgrade:websocket\r\n\r\n")]
    public void A_query_and_bare_headers_are_fine(string text)
    {
        Assert.Equal(UpgradeRequestStatus.Parsed, Parse(text));
    }

    [Fact]
    public void A_repeated_header_reads_as_one_list()
    {
        Parse("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: Upgrade\r\n\r\n", out var request, out _);
        Assert.Equal("keep-alive,Upgrade", request!.Connection);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /api/stocks/signal/buy HTTP/1.1\r\n")]
    [InlineData("POST /ws/stock/prices HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("get /ws/stock/prices HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /ws/stock/prices2 HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /ws/stock/prices/ HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.0\r\nHost: h\r\n\r\n")]
    [InlineData("GET /ws/stock/prices x HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\n\r\n")] // no Host
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n folded\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nNo-Colon\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nX: caf\u00e9\r\n\r\n")]
    [InlineData("GET /ws/stock/prices HTTP/1.1\nHost: h\n\n")] // bare LF: would otherwise wait for a CRLF CRLF forever
    public void Anything_but_a_plain_upgrade_head_is_left_to_kestrel(string text)
    {
        Assert.Equal(UpgradeRequestStatus.NotOurs, Parse(text));
    }

    [Fact]
    public void A_head_over_kestrels_limits_is_left_to_kestrel()
    {
        var small = new HeadLimits(64, 128, 3);
        Assert.Equal(UpgradeRequestStatus.Parsed, Parse("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", out _, out _, small));
        // too many header lines
        Assert.Equal(UpgradeRequestStatus.NotOurs, Parse("GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", out _, out _, small));
        // request line too long
        Assert.Equal(UpgradeRequestStatus.NotOurs, Parse($"GET /ws/stock/prices?{new string('q', 60)} HTTP/1.1\r\nHost: h\r\n\r\n", out _, out _, small));
        // headers too long, complete or not
        Assert.Equal(UpgradeRequestStatus.NotOurs, Parse($"GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nX: {new string('x', 150)}\r\n\r\n", out _, out _, small));
        Assert.Equal(UpgradeRequestStatus.NotOurs, Parse($"GET /ws/stock/prices HTTP/1.1\r\nHost: h\r\nX: {new string('x', 250)}", out _, out _, small));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
