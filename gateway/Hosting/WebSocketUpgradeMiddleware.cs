using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Hosting;

/// <summary>
/// A Kestrel connection middleware that takes <c>GET /ws/stock/prices</c> upgrades off the HTTP
/// layer. It reads a new connection's first bytes; when they are a valid WebSocket upgrade
/// (<see cref="WebSocketUpgradeRequest"/>, <see cref="WebSocketHandshake"/>) and the gateway has
/// room (<see cref="Connections.ConnectionRegistry.TryReserve"/>), it answers 101 itself and runs
/// the session (<see cref="PriceSocketEndpoint.Serve"/>) on the transport's pipes, so a WebSocket
/// keeps no HTTP connection, request, headers or upgraded streams (about 7 KiB each, per gcdump).
/// Everything else goes to Kestrel's HTTP pipeline with every byte still unread: other requests,
/// and upgrades to refuse, which <see cref="PriceSocketEndpoint"/> answers as before (400, 426,
/// 503 + Retry-After) and Kestrel's own limits (431, 414). A connection that served HTTP requests
/// first stays Kestrel's; an upgrade on it goes through the endpoint.
/// The head is read under Kestrel's limits: <see cref="KestrelServerLimits.KeepAliveTimeout"/>
/// for the first byte, then <see cref="KestrelServerLimits.RequestHeadersTimeout"/> for the whole
/// head (408 and close when it runs out), and the request line and header size and count limits.
/// </summary>
public sealed partial class WebSocketUpgradeMiddleware(ConnectionDelegate next, PriceSocketServices sockets, KestrelServerLimits limits,
    IHostApplicationLifetime lifetime, ILogger<WebSocketUpgradeMiddleware> logger)
{
    private static ReadOnlySpan<byte> SwitchingHead => "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "u8;
    private static ReadOnlySpan<byte> TimedOut => "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8;

    private enum HeadKind
    {
        /// <summary>Not an upgrade this middleware takes: Kestrel's HTTP layer gets the connection.</summary>
        NotOurs,
        /// <summary>A complete upgrade head, still unread in the pipe.</summary>
        Upgrade,
        /// <summary>The head did not arrive in time.</summary>
        TimedOut,
        /// <summary>The peer left, or the server is stopping, before the head was complete.</summary>
        Gone,
    }

    private readonly record struct Head(HeadKind Kind, WebSocketUpgradeRequest? Request = null, int Length = 0);

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var head = await ReadHead(connection);
        switch (head.Kind)
        {
            case HeadKind.Gone:
                return;
            case HeadKind.TimedOut:
                LogHeadTimeout(logger, connection.ConnectionId, limits.RequestHeadersTimeout);
                await connection.Transport.Output.WriteAsync(TimedOut.ToArray());
                return;
            case HeadKind.NotOurs:
                await next(connection);
                return;
        }

        if (!TryAccept(connection, head, out var deflate))
        {
            // Refusals are the HTTP endpoint's: one place answers 400, 426 and 503.
            await next(connection);
            return;
        }
        try
        {
            await connection.Transport.Output.FlushAsync();
            await PriceSocketEndpoint.Serve(sockets, connection.Transport.Input, connection.Transport.Output.AsStream(leaveOpen: true),
                connection.Features.Get<IConnectionSocketFeature>()?.Socket, connection.Abort, deflate);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The peer left during the 101.
        }
        finally
        {
            sockets.Registry.Release();
        }
    }

    /// <summary>
    /// When the head is a valid upgrade and the gateway has room: reserves the place, consumes the
    /// head (what follows it is the client's first frames) and writes the 101. Synchronous, so the
    /// request's strings are not kept by the connection's state machine for its whole life.
    /// </summary>
    private bool TryAccept(ConnectionContext connection, in Head head, out DeflateParameters? deflate)
    {
        deflate = null;
        var request = head.Request!;
        var handshake = WebSocketHandshake.Validate("GET", request.Upgrade, request.Connection, request.Version, request.Key);
        if (!handshake.Ok || !sockets.Registry.TryReserve()) return false;
        var input = connection.Transport.Input;
        // Nothing of the head was examined, so the bytes are there for a synchronous read.
        if (!input.TryRead(out var result))
        {
            sockets.Registry.Release();
            return false;
        }
        input.AdvanceTo(result.Buffer.GetPosition(head.Length));
        deflate = sockets.NegotiateDeflate(request.Extensions);
        WriteSwitchingProtocols(connection.Transport.Output, handshake.Accept!, deflate?.ResponseHeader);
        return true;
    }

    /// <summary>
    /// Reads until the bytes are a complete upgrade head or clearly something else; consumes nothing,
    /// so whoever gets the connection next reads it from its first byte.
    /// </summary>
    private async Task<Head> ReadHead(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        // Linked to the application's stopping token, not the connection's: a registration on the
        // connection's own token would leave a callback node behind on every connection.
        var stopping = lifetime.ApplicationStopping;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(limits.KeepAliveTimeout);
        var headLimits = new HeadLimits(limits.MaxRequestLineSize, limits.MaxRequestHeadersTotalSize, limits.MaxRequestHeaderCount);
        var started = false;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return new Head(started && !stopping.IsCancellationRequested ? HeadKind.TimedOut : HeadKind.Gone);
            }
            var buffer = result.Buffer;
            if (!started && !buffer.IsEmpty)
            {
                started = true;
                deadline.CancelAfter(limits.RequestHeadersTimeout);
            }
            var status = WebSocketUpgradeRequest.TryParse(buffer, headLimits, out var request, out var length);
            if (status == UpgradeRequestStatus.NeedMore && !result.IsCompleted && !result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            // Nothing consumed, nothing examined: the next read (ours or Kestrel's) returns these bytes at once.
            input.AdvanceTo(buffer.Start, buffer.Start);
            return status switch
            {
                UpgradeRequestStatus.Parsed => new Head(HeadKind.Upgrade, request, length),
                UpgradeRequestStatus.NotOurs => new Head(HeadKind.NotOurs),
                _ => new Head(HeadKind.Gone),
            };
        }
    }

    /// <summary>The 101 with the same headers the HTTP endpoint sets (less Kestrel's Date and Server).</summary>
    private static void WriteSwitchingProtocols(PipeWriter output, string accept, string? extensions)
    {
        output.Write(SwitchingHead);
        WriteAscii(output, accept);
        if (extensions is not null)
        {
            output.Write("\r\nSec-WebSocket-Extensions: "u8);
            WriteAscii(output, extensions);
        }
        output.Write("\r\n\r\n"u8);
    }

    private static void WriteAscii(PipeWriter output, string text)
    {
        var n = Encoding.ASCII.GetBytes(text, output.GetSpan(text.Length));
        output.Advance(n);
    }

    [LoggerMessage(EventId = 3402, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: no complete request head within {Timeout}; answered 408")]
    private static partial void LogHeadTimeout(ILogger logger, string connectionId, TimeSpan timeout);
}

public static class WebSocketUpgradeConnections
{
    /// <summary>
    /// Puts <see cref="WebSocketUpgradeMiddleware"/> in front of Kestrel's HTTP layer on every
    /// endpoint (those from <c>Urls</c> and those added with <c>Listen</c>), through
    /// <see cref="KestrelServerOptions.ConfigureEndpointDefaults"/>: whoever calls that later replaces it.
    /// </summary>
    public static IServiceCollection AddPriceSocketUpgrade(this IServiceCollection services)
    {
        services.AddSingleton<PriceSocketServices>();
        services.AddOptions<KestrelServerOptions>().Configure(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UsePriceSocketUpgrade()));
        return services;
    }

    public static ListenOptions UsePriceSocketUpgrade(this ListenOptions listen)
    {
        listen.Use(next =>
        {
            var services = listen.ApplicationServices;
            return new WebSocketUpgradeMiddleware(next, services.GetRequiredService<PriceSocketServices>(),
                services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits, services.GetRequiredService<IHostApplicationLifetime>(),
                services.GetRequiredService<ILogger<WebSocketUpgradeMiddleware>>()).OnConnectionAsync;
        });
        return listen;
    }
}
