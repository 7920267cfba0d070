// Peer 1: the brief's design (shared/seed/websocket-push-guide.md, ConnectionManager.broadcast)
// written in C#: one dictionary of sockets; every tick the publisher awaits a send to each client
// in turn, serialising the message for each client again (as send_json does). Kept faithful on
// purpose, flaws included: one slow client delays everyone after it.
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using OrleansPrices.Bench.Peers;

var peer = PeerArgs.Parse(args);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, peer.Port));
builder.Services.AddSingleton(peer);
builder.Services.AddSingleton<ConnectionManager>();
builder.Services.AddHostedService<PricePublisher>();

var app = builder.Build();
app.UseWebSockets();
app.Map("/ws/stock/prices", async (HttpContext context, ConnectionManager manager) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }
    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var clientId = $"client_{context.Connection.Id}";
    manager.Connect(clientId, socket);
    try
    {
        await ConnectionManager.SendJsonAsync(socket, new ControlMessage("connected", "WebSocket connected"), context.RequestAborted);
        var buffer = new byte[4096];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }
            if (result.MessageType == WebSocketMessageType.Text && ConnectionManager.IsPing(buffer.AsSpan(0, result.Count)))
            {
                await ConnectionManager.SendJsonAsync(socket, new ControlMessage("pong"), context.RequestAborted);
            }
        }
    }
    catch (Exception e) when (e is WebSocketException or OperationCanceledException)
    {
        // the client went away
    }
    finally
    {
        manager.Disconnect(clientId);
    }
});
Console.WriteLine($"brief-csharp: listening on 127.0.0.1:{peer.Port}, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
app.Run();

/// <summary>The brief's ConnectionManager: a map of sockets and a broadcast that awaits each send in turn.</summary>
internal sealed class ConnectionManager(PeerArgs peer)
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ConcurrentDictionary<string, WebSocket> activeConnections = new();

    public void Connect(string clientId, WebSocket socket)
    {
        activeConnections[clientId] = socket;
        if (activeConnections.Count == peer.ClientsExpected)
        {
            Console.WriteLine($"brief-csharp: {peer.ClientsExpected} clients connected");
        }
    }

    public void Disconnect(string clientId) => activeConnections.TryRemove(clientId, out _);

    public int Count => activeConnections.Count;

    /// <summary>Broadcasts to every connection, one awaited send after another.</summary>
    public async Task BroadcastAsync(object message, CancellationToken cancellationToken)
    {
        List<string>? disconnected = null;
        foreach (var (clientId, socket) in activeConnections)
        {
            try
            {
                await SendJsonAsync(socket, message, cancellationToken);
            }
            catch (Exception e) when (e is WebSocketException or InvalidOperationException or IOException)
            {
                (disconnected ??= []).Add(clientId);
            }
        }
        foreach (var clientId in disconnected ?? [])
        {
            Disconnect(clientId);
        }
    }

    /// <summary>send_json: serialise for this socket, then send one text frame.</summary>
    public static Task SendJsonAsync(WebSocket socket, object message, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), Json);
        return socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
    }

    public static bool IsPing(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("type", out var type)
                && type.ValueEquals("ping");
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>The scheduler job: every interval, one price_update of all stocks to everyone.</summary>
internal sealed class PricePublisher(PeerArgs peer, ConnectionManager manager) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var feed = new PriceFeed(peer.Stocks);
        var gate = new PublishGate(peer.ClientsExpected, TimeProvider.System);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(peer.IntervalMs));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (manager.Count == 0 || !gate.IsOpen(manager.Count))
            {
                continue;
            }
            var message = feed.Tick(PriceFeed.NowMicros());
            await manager.BroadcastAsync(message, stoppingToken);
        }
    }
}
