using OrleansPrices.Market.Quotes;
using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using OrleansPrices.Gateway.Connections;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Gateway.Subscriptions;

namespace OrleansPrices.Gateway.Api;

/// <summary>
/// <c>/ws/stock/prices</c>: the brief's WebSocket, spoken by the gateway itself (RFC 6455 in
/// <see cref="WebSocketHandshake"/>, <see cref="WebSocketFrames"/> and <see cref="WebSocketFrameReader"/>).
/// A connection whose first request is the upgrade is taken off Kestrel's HTTP layer by
/// <see cref="WebSocketUpgradeMiddleware"/>, so no HTTP request state stays behind per socket; this
/// endpoint answers what reaches HTTP: every refusal (400, 426, 503), and an upgrade on a keep-alive
/// connection that served other requests first. Both hand the socket to <see cref="Serve"/>, which
/// only pumps bytes: it hands what arrives to the frame reader and the protocol parser, and queues
/// the replies on the connection.
/// </summary>
public static partial class PriceSocketEndpoint
{
    public const string Path = "/ws/stock/prices";

    /// <summary>How long a server-initiated close waits for the peer's close before the TCP connection ends.</summary>
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(1);

    // Reads are small and rare (client messages); between them the reader holds no buffer.
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true);

    public static IEndpointRouteBuilder MapPriceSocket(this IEndpointRouteBuilder app)
    {
        app.Map(Path, Accept).ExcludeFromDescription();
        return app;
    }

    private enum Outcome
    {
        Continue,
        /// <summary>The peer sent a close: answer it and end.</summary>
        PeerClosed,
        /// <summary>The server sent a close (protocol error, too big, flood): wait briefly for the peer's.</summary>
        ServerClosed,
        /// <summary>The TCP connection ended without a close handshake.</summary>
        Gone,
    }

    /// <summary>The upgrade as an HTTP request, through Kestrel's <see cref="IHttpUpgradeFeature"/>.</summary>
    private static async Task Accept(HttpContext context, PriceSocketServices sockets)
    {
        var request = context.Request;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var handshake = WebSocketHandshake.Validate(request.Method, request.Headers.Upgrade, request.Headers.Connection,
            request.Headers.SecWebSocketVersion, request.Headers.SecWebSocketKey);
        if (!handshake.Ok || upgrade is null || !upgrade.IsUpgradableRequest)
        {
            var status = handshake.Ok ? StatusCodes.Status426UpgradeRequired : handshake.Status;
            context.Response.StatusCode = status;
            if (status == StatusCodes.Status426UpgradeRequired)
            {
                context.Response.Headers.Upgrade = "websocket";
                context.Response.Headers.SecWebSocketVersion = WebSocketHandshake.Version;
            }
            await context.Response.WriteAsync(handshake.Reason ?? "WebSocket only: connect with ws://host/ws/stock/prices");
            return;
        }
        if (!sockets.Registry.TryReserve())
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            await context.Response.WriteAsync("gateway full: too many connections; retry later or use another gateway");
            return;
        }

        try
        {
            var deflate = sockets.NegotiateDeflate(request.Headers.SecWebSocketExtensions.ToString());
            context.Response.Headers.Upgrade = "websocket";
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.SecWebSocketAccept = handshake.Accept;
            if (deflate is not null) context.Response.Headers.SecWebSocketExtensions = deflate.ResponseHeader;
            var stream = await upgrade.UpgradeAsync();
            // Request.BodyReader is the finished request's (empty) body after the upgrade: read the upgraded stream.
            var reader = PipeReader.Create(stream, ReaderOptions);
            // No socket: frames go through Kestrel's pipe, behind the 101. On a connection that sent
            // responses before, the socket cannot tell when the 101 has left (FrameWriter's check),
            // and a frame written to it straight could overtake the 101.
            await Serve(sockets, reader, stream, socket: null, context.Abort, deflate);
        }
        finally
        {
            sockets.Registry.Release();
        }
    }

    /// <summary>
    /// One accepted WebSocket, after the 101: registers the connection, greets, runs the receive loop
    /// until a close or the end of the TCP connection, then unregisters. The caller holds the
    /// connection's place in the registry (<see cref="ConnectionRegistry.TryReserve"/>) and releases it afterwards.
    /// </summary>
    /// <param name="reader">The client's bytes after the request head (frames it sent with the request included).</param>
    /// <param name="output">Where frames go when not straight to <paramref name="socket"/>.</param>
    /// <param name="socket">The connection's socket, when the transport has one.</param>
    /// <param name="abort">Tears the TCP connection down.</param>
    /// <param name="deflate">What permessage-deflate agreed on in the 101 (<see cref="PriceSocketServices.NegotiateDeflate"/>), or null.</param>
    internal static async Task Serve(PriceSocketServices sockets, PipeReader reader, Stream output, System.Net.Sockets.Socket? socket, Action abort,
        DeflateParameters? deflate)
    {
        var o = sockets.Options;
        var time = sockets.Time;
        var registry = sockets.Registry;
        var broadcaster = sockets.Broadcaster;
        ClientConnection? connection = null;
        var graceful = false;
        try
        {
            connection = new ClientConnection(registry.NextId(), output, socket, abort,
                sockets.CatchUp, o.MaxQueuedFrames, broadcaster.CurrentBatch, sockets.Metrics, time, deflate, broadcaster.Compressor);
            connection.OnServerClose(reader.CancelPendingRead);
            registry.Add(connection);
            connection.Reply(ServerMessages.Connected((int)o.HeartbeatInterval.TotalSeconds, UnixTime.Micros(time.GetUtcNow())));

            using var frames = new WebSocketFrameReader(o.MaxMessageBytes, deflate is null ? null : new MessageInflater(!deflate.ClientNoContextTakeover));
            var bucket = new TokenBucket(o.MessagesPerSecond, o.MessageBurst, time);
            var violations = 0;
            Outcome outcome;
            // The receive loop lives in this method, so a waiting connection holds one state machine, not two.
            // With zero-byte reads the pipe holds no buffer until bytes arrive: idle connections cost no receive memory.
            // No cancellation token: Abort() tears the transport down, which ends the read. (A token
            // would give every connection a cancellation source and a registration per read.)
            do
            {
                var result = await reader.ReadAsync();
                outcome = Received(reader, result, frames, connection, bucket, ref violations, sockets);
            }
            while (outcome == Outcome.Continue);
            switch (outcome)
            {
                case Outcome.PeerClosed:
                    connection.Send(OutboundFrame.Close(WebSocketCloseCodes.Normal, "bye"));
                    await connection.CloseSent.WaitAsync(CloseWait, time, CancellationToken.None);
                    break;
                case Outcome.ServerClosed:
                    // A slow consumer's close waits behind its stuck send; if that never drains, the timeout aborts.
                    await connection.CloseSent.WaitAsync(connection.SlowClosing ? ConnectionRegistry.SlowCloseWait : CloseWait, time, CancellationToken.None);
                    await AwaitPeerClose(reader, frames, time);
                    break;
            }
            await reader.CompleteAsync();
            graceful = outcome != Outcome.Gone;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or TimeoutException)
        {
            // The peer left without a close handshake, or the connection was aborted: nothing to answer.
        }
        catch (Exception ex) when (connection is not null)
        {
            // A fault of the server's own while serving this connection (a bug, a failing dependency):
            // the client is told with 1011, which means "reconnect", rather than seeing the TCP connection drop.
            LogFailed(sockets.Logger, connection.Id, ex);
            graceful = await CloseAfterFault(connection, time);
        }
        finally
        {
            if (connection is not null)
            {
                try
                {
                    registry.Remove(connection);
                    if (connection.Session is { } session)
                    {
                        // Releases the connection's stream interest; bounded so a stopping cluster cannot hold the socket task.
                        try
                        {
                            await session.Close().WaitAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None);
                        }
                        catch (TimeoutException)
                        {
                        }
                    }
                }
                finally
                {
                    // Whatever happened above: these also release the connection's hold on its
                    // socket's descriptor, which would otherwise never close. After a close handshake
                    // Kestrel ends the TCP connection gracefully once the close frame is out; anything
                    // else (peer gone, error) tears it down.
                    if (graceful) connection.MarkEnded();
                    else connection.Abort();
                }
            }
        }
    }

    /// <summary>Hands what one read brought to the frame reader and handles every complete message in it.</summary>
    private static Outcome Received(PipeReader reader, in ReadResult result, WebSocketFrameReader frames, ClientConnection connection,
        TokenBucket bucket, ref int violations, PriceSocketServices sockets)
    {
        var buffer = result.Buffer;
        if (!buffer.IsEmpty) connection.MarkReceived();
        var outcome = Outcome.Continue;
        while (outcome == Outcome.Continue && frames.TryRead(ref buffer, out var message))
        {
            outcome = Handle(message, connection, bucket, ref violations, sockets);
        }
        reader.AdvanceTo(buffer.Start, buffer.End);
        if (outcome == Outcome.Continue && result.IsCanceled && connection.SlowClosing) return Outcome.ServerClosed;
        if (outcome == Outcome.Continue && (result.IsCompleted || result.IsCanceled)) return Outcome.Gone;
        return outcome;
    }

    private static Outcome Handle(in WebSocketMessage message, ClientConnection connection, TokenBucket bucket, ref int violations,
        PriceSocketServices sockets)
    {
        var o = sockets.Options;
        var metrics = sockets.Metrics;
        var logger = sockets.Logger;
        switch (message.Kind)
        {
            case WebSocketMessageKind.Ping:
                connection.Send(OutboundFrame.Pong(message.Payload.Span));
                return Outcome.Continue;
            case WebSocketMessageKind.Pong:
                return Outcome.Continue;
            case WebSocketMessageKind.Close:
                return Outcome.PeerClosed;
            case WebSocketMessageKind.Failed:
                LogClosed(logger, connection.Id, message.CloseCode, message.Reason ?? "protocol error");
                connection.Send(OutboundFrame.Close(message.CloseCode, message.Reason ?? "protocol error"));
                return Outcome.ServerClosed;
        }

        if (!bucket.TryTake())
        {
            if (++violations > o.MaxRateViolations)
            {
                LogClosed(logger, connection.Id, CloseCodes.PolicyViolation, "flood");
                connection.Send(OutboundFrame.Close(CloseCodes.PolicyViolation, "too many messages"));
                return Outcome.ServerClosed;
            }
            Reply(connection, metrics, ErrorCodes.RateLimited,
                $"more than {o.MessagesPerSecond} messages per second: message dropped; keep this up and the connection closes (1008)");
            return Outcome.Continue;
        }

        if (message.Kind == WebSocketMessageKind.Binary)
        {
            Reply(connection, metrics, ErrorCodes.BinaryNotSupported, "binary frames are not supported: send JSON text frames");
            return Outcome.Continue;
        }

        var parsed = RequestParser.Parse(message.Payload.Span);
        if (parsed.IsError)
        {
            metrics.ProtocolError(parsed.ErrorCode!);
            connection.Reply(parsed.Id is null
                ? ServerMessages.Error(parsed.ErrorCode!, parsed.ErrorMessage!)
                : SubscriptionMessages.Error(parsed.Id, parsed.ErrorCode!, parsed.ErrorMessage!));
        }
        else if (parsed.Request!.Kind == RequestKind.Ping)
        {
            connection.Reply(ServerMessages.Pong(UnixTime.Micros(sockets.Time.GetUtcNow())));
        }
        else if (sockets.Hub is not { } hub)
        {
            Reply(connection, metrics, ErrorCodes.Unavailable, "this host serves the default price stream only: no subscriptions");
        }
        else
        {
            var session = connection.Session;
            if (session is null)
            {
                session = new SubscriberSession(connection, hub, o.SubscribesPerSecond, o.SubscribeBurst, sockets.Time, logger);
                var id = connection.Id;
                connection.BecomeSubscriber(session, () => hub.CatchUp(id));
            }
            session.Enqueue(parsed.Request);
        }
        return Outcome.Continue;
    }

    /// <summary>Queues a close 1011 and waits briefly for it to go out; false when it did not (the connection is then torn down).</summary>
    private static async Task<bool> CloseAfterFault(ClientConnection connection, TimeProvider time)
    {
        try
        {
            connection.Send(OutboundFrame.Close(CloseCodes.InternalError, "internal error"));
            await connection.CloseSent.WaitAsync(CloseWait, time, CancellationToken.None);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// After the server's close: reads (and drops) what the peer still sends for up to a second, so
    /// the peer's close frame ends the handshake and unread bytes do not turn the TCP close into a reset.
    /// </summary>
    private static async Task AwaitPeerClose(PipeReader reader, WebSocketFrameReader frames, TimeProvider time)
    {
        using var timeout = new CancellationTokenSource(CloseWait, time);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                var closed = false;
                while (!frames.Failed && frames.TryRead(ref buffer, out var message))
                {
                    if (message.Kind == WebSocketMessageKind.Close) closed = true;
                }
                reader.AdvanceTo(frames.Failed ? result.Buffer.End : buffer.Start, result.Buffer.End);
                if (closed || result.IsCompleted || result.IsCanceled) return;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Reply(ClientConnection connection, GatewayMetrics metrics, string code, string message)
    {
        metrics.ProtocolError(code);
        connection.Reply(ServerMessages.Error(code, message));
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Connection {ConnectionId} closed by the server with {CloseCode}: {Reason}")]
    private static partial void LogClosed(ILogger logger, long connectionId, int closeCode, string reason);

    [LoggerMessage(EventId = 3403, Level = LogLevel.Error, Message = "Connection {ConnectionId} failed inside the server; closing it with 1011")]
    private static partial void LogFailed(ILogger logger, long connectionId, Exception exception);
}
