using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using OrleansPrices.Tests.Protocol;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>
/// The upgrade middleware on the real gateway: upgrades are taken off Kestrel's HTTP layer, every
/// other request still reaches it with all its bytes.
/// </summary>
public sealed class UpgradeTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private GatewayHost Host => fixture.Host;

    internal const string UpgradeHead =
        "GET /ws/stock/prices HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    [Fact]
    public async Task An_upgrade_is_answered_without_an_http_request_staying_open()
    {
        using var active = new ActiveRequests(Host.Services);
        using var wire = await Wire.ConnectAsync(Host.Http);
        await wire.Send(UpgradeHead);

        var head = await wire.ReadHead();
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", head, StringComparison.Ordinal);
        Assert.Contains("\r\nUpgrade: websocket\r\n", head, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: Upgrade\r\n", head, StringComparison.Ordinal);
        Assert.Equal("connected", Type(await wire.ReadText()));
        Assert.Equal(0, active.Count);
    }

    [Fact]
    public async Task A_frame_sent_in_the_same_packet_as_the_request_is_not_lost()
    {
        using var wire = await Wire.ConnectAsync(Host.Http);
        var ping = WebSocketTestFrames.Client(WebSocketOpcode.Text, "{\"type\":\"ping\"}"u8);
        await wire.Send([.. Encoding.ASCII.GetBytes(UpgradeHead), .. ping]);

        Assert.StartsWith("HTTP/1.1 101", await wire.ReadHead(), StringComparison.Ordinal);
        Assert.Equal("connected", Type(await wire.ReadText()));
        string type;
        do type = Type(await wire.ReadText());
        while (type == "price_update");
        Assert.Equal("pong", type);
    }

    [Fact]
    public async Task A_plain_get_of_the_socket_path_gets_426_and_the_connection_stays_usable()
    {
        using var wire = await Wire.ConnectAsync(Host.Http);
        await wire.Send("GET /ws/stock/prices HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var (head, body) = await wire.ReadResponse();
        Assert.StartsWith("HTTP/1.1 426", head, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", head, StringComparison.Ordinal);
        Assert.Contains("WebSocket only", body, StringComparison.Ordinal);

        // /health/live answers 200 whatever the grid's state (/healthz, readiness, once answered 503 here under load).
        await wire.Send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await wire.ReadResponse()).Head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_upgrade_is_refused_by_the_endpoint_as_before()
    {
        using var wire = await Wire.ConnectAsync(Host.Http);
        await wire.Send(UpgradeHead.Replace("Version: 13", "Version: 8", StringComparison.Ordinal));
        var (head, body) = await wire.ReadResponse();
        Assert.StartsWith("HTTP/1.1 426", head, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Version must be 13", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_is_served_on_the_same_port_while_sockets_are_open()
    {
        await using var socket = await TestSocket.ConnectAsync(Host.WebSocket);
        await socket.Next("connected");
        using var http = new HttpClient { BaseAddress = Host.Http };
        var body = await http.GetStringAsync(new Uri("/api/stocks/signal/buy?strategy=ma_cross", UriKind.Relative));
        Assert.Equal(200, JsonDocument.Parse(body).RootElement.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task An_upgrade_after_other_requests_on_a_keep_alive_connection_goes_through_http()
    {
        using var active = new ActiveRequests(Host.Services);
        using (var wire = await Wire.ConnectAsync(Host.Http))
        {
            await wire.Send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 200", (await wire.ReadResponse()).Head, StringComparison.Ordinal);

            await wire.Send(UpgradeHead);
            var head = await wire.ReadHead();
            Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);
            Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head, StringComparison.Ordinal);
            Assert.Equal("connected", Type(await wire.ReadText()));
            // This one is Kestrel's upgraded request: it stays open for the socket's life.
            Assert.Equal(1, active.Count);
        }
        await active.Until(0);
    }

    [Fact]
    public async Task Request_headers_over_kestrels_limit_get_431()
    {
        using var wire = await Wire.ConnectAsync(Host.Http);
        await wire.Send(UpgradeHead.Replace("\r\n\r\n", $"\r\nX-Padding: {new string('x', 40_000)}\r\n\r\n", StringComparison.Ordinal));
        Assert.StartsWith("HTTP/1.1 431", await wire.ReadHead(), StringComparison.Ordinal);
    }

    private static string Type(string json) => JsonDocument.Parse(json).RootElement.GetProperty("type").GetString()!;
}

/// <summary>The upgrade middleware's limits, on the fan-out alone (no silo) with small limits.</summary>
public sealed class UpgradeLimitTests
{
    [Fact]
    public async Task A_half_sent_request_line_is_answered_408_and_closed_after_the_header_timeout()
    {
        await using var host = await FanOutHost.StartAsync(maxConnections: 10);
        using var wire = await Wire.ConnectAsync(host.Http);
        await wire.Send("GET /ws/sto");
        Assert.StartsWith("HTTP/1.1 408", await wire.ReadHead(), StringComparison.Ordinal);
        Assert.True(await wire.EndsWithin(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_full_gateway_answers_503_with_retry_after()
    {
        await using var host = await FanOutHost.StartAsync(maxConnections: 1);
        using var first = await Wire.ConnectAsync(host.Http);
        await first.Send(UpgradeTests.UpgradeHead);
        Assert.StartsWith("HTTP/1.1 101", await first.ReadHead(), StringComparison.Ordinal);

        using var second = await Wire.ConnectAsync(host.Http);
        await second.Send(UpgradeTests.UpgradeHead);
        var (head, body) = await second.ReadResponse();
        Assert.StartsWith("HTTP/1.1 503", head, StringComparison.Ordinal);
        Assert.Contains("\r\nRetry-After: 5\r\n", head, StringComparison.Ordinal);
        Assert.Contains("gateway full", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_subscribe_on_a_host_without_subscriptions_is_answered_unavailable()
    {
        await using var host = await FanOutHost.StartAsync(maxConnections: 10);
        using var wire = await Wire.ConnectAsync(host.Http);
        await wire.Send([.. Encoding.ASCII.GetBytes(UpgradeTests.UpgradeHead),
            .. WebSocketTestFrames.Client(WebSocketOpcode.Text, "{\"type\":\"subscribe\",\"codes\":[\"600000.SH\"]}"u8)]);
        Assert.StartsWith("HTTP/1.1 101", await wire.ReadHead(), StringComparison.Ordinal);
        Assert.Contains("\"connected\"", await wire.ReadText(), StringComparison.Ordinal);
        var error = JsonDocument.Parse(await wire.ReadText()).RootElement;
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal(ErrorCodes.Unavailable, error.GetProperty("code").GetString());
    }

    /// <summary><c>AddPriceFanOut</c> and the socket endpoint on Kestrel, a 1 s request header timeout.</summary>
    private sealed class FanOutHost(WebApplication app, Uri http) : IAsyncDisposable
    {
        public Uri Http { get; } = http;

        public static async Task<FanOutHost> StartAsync(int maxConnections)
        {
            var port = GatewayHost.FreePort();
            var builder = WebApplication.CreateBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gateway:MaxConnections"] = maxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.WebHost.ConfigureKestrel(k => k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(1));
            builder.Services.AddPriceFanOut();
            var app = builder.Build();
            app.MapPriceSocket();
            await app.StartAsync();
            return new FanOutHost(app, new Uri($"http://127.0.0.1:{port}"));
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

/// <summary>
/// ASP.NET Core's <c>http.server.active_requests</c> of one host: an upgrade served through
/// Kestrel's HTTP layer stays an active request for the socket's whole life.
/// </summary>
internal sealed class ActiveRequests : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public ActiveRequests(IServiceProvider host)
    {
        var factory = host.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name == "http.server.active_requests"
                && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
        _listener.Start();
    }

    /// <summary>Requests started minus requests ended since this listener started.</summary>
    public long Count => Interlocked.Read(ref _count);

    public async Task Until(long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Count != count && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(count, Count);
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>HTTP/1.1 and WebSocket frames by hand on a bare TCP socket.</summary>
internal sealed class Wire : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];

    private Wire(Socket socket) => _socket = socket;

    public static async Task<Wire> ConnectAsync(Uri http)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(http.Host, http.Port);
        return new Wire(socket);
    }

    public async Task Send(string ascii) => await Send(Encoding.ASCII.GetBytes(ascii));

    public async Task Send(byte[] bytes) => await _socket.SendAsync(bytes);

    /// <summary>A response head up to its empty line; what follows stays pending.</summary>
    public async Task<string> ReadHead()
    {
        int end;
        while ((end = IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await Receive()) throw new IOException($"connection ended inside a response head: {Encoding.ASCII.GetString([.. _pending])}");
        }
        return Take(end + 4);
    }

    /// <summary>A whole response: head, and a body by Content-Length or chunked.</summary>
    public async Task<(string Head, string Body)> ReadResponse()
    {
        var head = await ReadHead();
        var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (length is not null)
        {
            var n = int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            while (_pending.Count < n) Assert.True(await Receive(), "connection ended inside a body");
            return (head, Take(n));
        }
        Assert.Contains("Transfer-Encoding: chunked", head, StringComparison.OrdinalIgnoreCase);
        var body = new StringBuilder();
        while (true)
        {
            int eol;
            while ((eol = IndexOf("\r\n"u8)) < 0) Assert.True(await Receive(), "connection ended inside a chunk");
            var size = Convert.ToInt32(Take(eol + 2).Trim(), 16);
            while (_pending.Count < size + 2) Assert.True(await Receive(), "connection ended inside a chunk");
            body.Append(Take(size + 2)[..size]);
            if (size == 0) return (head, body.ToString());
        }
    }

    /// <summary>The next server text frame's payload (pings and pongs skipped).</summary>
    public async Task<string> ReadText()
    {
        while (true)
        {
            while (_pending.Count < 2) Assert.True(await Receive(), "connection ended before a frame");
            var length7 = _pending[1] & 0x7F;
            var header = length7 switch { 126 => 4, 127 => 10, _ => 2 };
            while (_pending.Count < header) Assert.True(await Receive(), "connection ended inside a frame");
            var length = header switch
            {
                4 => BinaryPrimitives.ReadUInt16BigEndian([_pending[2], _pending[3]]),
                10 => (int)BinaryPrimitives.ReadUInt64BigEndian(_pending.GetRange(2, 8).ToArray()),
                _ => length7,
            };
            while (_pending.Count < header + length) Assert.True(await Receive(), "connection ended inside a frame");
            var opcode = _pending[0] & 0x0F;
            Take(header);
            var payload = Take(length, Encoding.UTF8);
            if (opcode == WebSocketOpcode.Text) return payload;
        }
    }

    /// <summary>True when the server ends the connection within <paramref name="timeout"/>.</summary>
    public async Task<bool> EndsWithin(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await _socket.ReceiveAsync(buffer, cts.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> Receive()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var buffer = new byte[16384];
        var n = await _socket.ReceiveAsync(buffer, cts.Token);
        _pending.AddRange(buffer.AsSpan(0, n));
        return n > 0;
    }

    private int IndexOf(ReadOnlySpan<byte> value) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending).IndexOf(value);

    private string Take(int count, Encoding? encoding = null)
    {
        var text = (encoding ?? Encoding.ASCII).GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..count]);
        _pending.RemoveRange(0, count);
        return text;
    }

    public void Dispose() => _socket.Dispose();
}
