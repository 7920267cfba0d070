using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Connections;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Api;

/// <summary>
/// <c>/ws/stock/prices</c>: the brief's WebSocket. This endpoint only pumps bytes: it reads client
/// frames, hands them to the protocol parser, and queues the replies on the connection.
/// </summary>
public static partial class PriceSocketEndpoint
{
    public const string Path = "/ws/stock/prices";

    public static IEndpointRouteBuilder MapPriceSocket(this IEndpointRouteBuilder app)
    {
        app.Map(Path, Accept).ExcludeFromDescription();
        return app;
    }

    private static async Task Accept(
        HttpContext context,
        ConnectionRegistry registry,
        Broadcaster broadcaster,
        GatewayMetrics metrics,
        TimeProvider time,
        IOptions<GatewayOptions> options,
        ILoggerFactory loggers)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            await context.Response.WriteAsync("WebSocket only: connect with ws://host/ws/stock/prices");
            return;
        }
        if (!registry.TryReserve())
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            await context.Response.WriteAsync("gateway full: too many connections; retry later or use another gateway");
            return;
        }

        var o = options.Value;
        ClientConnection? connection = null;
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = o.HeartbeatInterval,
                KeepAliveTimeout = o.HeartbeatTimeout,
            });
            connection = new ClientConnection(registry.NextId(), socket, broadcaster.CatchUp, o.MaxQueuedFrames, broadcaster.CurrentBatch, metrics, time);
            registry.Add(connection);
            connection.Send(OutboundFrame.Reply(ServerMessages.Connected((int)o.HeartbeatInterval.TotalSeconds, ServerMessages.UnixMicros(time.GetUtcNow()))));
            await ReceiveLoop(socket, connection, o, metrics, time, loggers.CreateLogger(typeof(PriceSocketEndpoint)), context.RequestAborted);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer left without a close handshake, or the connection was aborted: nothing to answer.
        }
        finally
        {
            if (connection is not null)
            {
                registry.Remove(connection);
                connection.Abort();
                connection.DisposeAbortSource();
            }
            registry.Release();
        }
    }

    private static async Task ReceiveLoop(WebSocket socket, ClientConnection connection, GatewayOptions o, GatewayMetrics metrics, TimeProvider time, ILogger logger, CancellationToken requestAborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, connection.Aborted);
        var token = linked.Token;
        var bucket = new TokenBucket(o.MessagesPerSecond, o.MessageBurst, time);
        var violations = 0;

        while (socket.State == WebSocketState.Open)
        {
            // Wait for data without holding a buffer: idle connections cost no receive memory.
            var peek = await socket.ReceiveAsync(Memory<byte>.Empty, token);
            if (peek.MessageType == WebSocketMessageType.Close) break;

            var buffer = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                var length = 0;
                ValueWebSocketReceiveResult result = default;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (length > o.MaxMessageBytes) break;
                        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, o.MaxMessageBytes + 1));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), token);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close && length <= o.MaxMessageBytes);

                if (result.MessageType == WebSocketMessageType.Close) break;
                if (length > o.MaxMessageBytes)
                {
                    LogClosed(logger, connection.Id, CloseCodes.MessageTooBig, "message too big");
                    connection.Send(OutboundFrame.Close(CloseCodes.MessageTooBig, $"message exceeds {o.MaxMessageBytes} bytes"));
                    break;
                }

                if (!bucket.TryTake())
                {
                    if (++violations > o.MaxRateViolations)
                    {
                        LogClosed(logger, connection.Id, CloseCodes.PolicyViolation, "flood");
                        connection.Send(OutboundFrame.Close(CloseCodes.PolicyViolation, "too many messages"));
                        break;
                    }
                    Reply(connection, metrics, ErrorCodes.RateLimited,
                        $"more than {o.MessagesPerSecond} messages per second: message dropped; keep this up and the connection closes (1008)");
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Reply(connection, metrics, ErrorCodes.BinaryNotSupported, "binary frames are not supported: send JSON text frames");
                    continue;
                }

                var message = ClientMessageParser.Parse(buffer.AsSpan(0, length));
                if (message.IsError)
                {
                    Reply(connection, metrics, message.ErrorCode!, message.ErrorMessage!);
                }
                else if (message.Type == ClientMessageType.Ping)
                {
                    connection.Send(OutboundFrame.Reply(ServerMessages.Pong(ServerMessages.UnixMicros(time.GetUtcNow()))));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (socket.State == WebSocketState.CloseReceived)
        {
            connection.Send(OutboundFrame.Close((int)WebSocketCloseStatus.NormalClosure, "bye"));
        }
        await FinishClose(socket, connection);
    }

    /// <summary>
    /// Lets a queued close frame go out, then waits briefly for the peer's close reply so the
    /// handshake completes instead of ending in a reset.
    /// </summary>
    private static async Task FinishClose(WebSocket socket, ClientConnection connection)
    {
        for (var i = 0; i < 100 && !connection.IsIdle; i++)
        {
            await Task.Delay(10, CancellationToken.None);
        }
        if (socket.State != WebSocketState.CloseSent) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var scratch = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            while (socket.State == WebSocketState.CloseSent)
            {
                await socket.ReceiveAsync(scratch.AsMemory(), timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static void Reply(ClientConnection connection, GatewayMetrics metrics, string code, string message)
    {
        metrics.ProtocolError(code);
        connection.Send(OutboundFrame.Reply(ServerMessages.Error(code, message)));
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Connection {ConnectionId} closed by the server with {CloseCode}: {Reason}")]
    private static partial void LogClosed(ILogger logger, long connectionId, int closeCode, string reason);
}
