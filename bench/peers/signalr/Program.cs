// Peer 2: what a .NET developer would pick instead of hand-written sockets: a SignalR hub at the
// brief's path, broadcasting every tick with Clients.All.SendAsync("price_update", payload).
// Clients connect with a plain WebSocket (no negotiate) and speak the JSON hub protocol.
using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.SignalR;
using OrleansPrices.Bench.Peers;

var peer = PeerArgs.Parse(args);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, peer.Port));
builder.Services.AddSingleton(peer);
builder.Services.AddSingleton<ClientCount>();
builder.Services.AddSignalR()
    .AddJsonProtocol(o => o.PayloadSerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
builder.Services.AddHostedService<PricePublisher>();

var app = builder.Build();
app.MapHub<PriceHub>("/ws/stock/prices");
Console.WriteLine($"signalr: listening on 127.0.0.1:{peer.Port}, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
app.Run();

internal sealed class ClientCount
{
    private int count;

    public int Value => Volatile.Read(ref count);

    public int Increment() => Interlocked.Increment(ref count);

    public void Decrement() => Interlocked.Decrement(ref count);
}

/// <summary>The hub: greets on connect and answers ping; prices are pushed from outside.</summary>
internal sealed class PriceHub(ClientCount clients, PeerArgs peer) : Hub
{
    public override async Task OnConnectedAsync()
    {
        if (clients.Increment() == peer.ClientsExpected)
        {
            Console.WriteLine($"signalr: {peer.ClientsExpected} clients connected");
        }
        await Clients.Caller.SendAsync("connected", new ControlMessage("connected", "WebSocket connected"));
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        clients.Decrement();
        return Task.CompletedTask;
    }

    /// <summary>The hub method for {"type":"ping"}: invoke "ping", get {"type":"pong"} back.</summary>
    public ControlMessage Ping() => new("pong");
}

/// <summary>Every interval, one price_update of all stocks to every connection.</summary>
internal sealed class PricePublisher(PeerArgs peer, ClientCount clients, IHubContext<PriceHub> hub) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var feed = new PriceFeed(peer.Stocks);
        var gate = new PublishGate(peer.ClientsExpected, TimeProvider.System);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(peer.IntervalMs));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (clients.Value == 0 || !gate.IsOpen(clients.Value))
            {
                continue;
            }
            var payload = feed.Tick(PriceFeed.NowMicros());
            await hub.Clients.All.SendAsync("price_update", payload, stoppingToken);
        }
    }
}
