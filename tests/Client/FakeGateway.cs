#pragma warning disable CA5350 // SHA-1 is what RFC 6455 defines for Sec-WebSocket-Accept
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace OrleansPrices.Tests.Clients;

/// <summary>
/// A scripted WebSocket server on a loopback port, for the client behaviours the real gateway
/// can't be made to show on demand (a peer that goes silent, close 1001). Each accepted
/// connection runs <c>script</c> with the server side of the socket.
/// </summary>
internal sealed class FakeGateway : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<WebSocket, int, CancellationToken, Task> _script;
    private readonly List<Task> _connections = [];
    private readonly Task _accept;
    private int _accepted;

    public FakeGateway(Func<WebSocket, int, CancellationToken, Task> script)
    {
        _script = script;
        _listener.Start();
        Uri = new Uri($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/ws/stock/prices");
        _accept = AcceptAll();
    }

    public Uri Uri { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    public static Task SendText(WebSocket socket, string json, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, ct);

    public const string Connected = """{"type":"connected","message":"WebSocket connected","heartbeat_interval":30,"ts":1}""";

    private async Task AcceptAll()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var tcp = await _listener.AcceptTcpClientAsync(_stop.Token);
                var n = Interlocked.Increment(ref _accepted);
                lock (_connections) _connections.Add(Serve(tcp, n));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task Serve(TcpClient tcp, int n)
    {
        using (tcp)
        {
            try
            {
                var stream = tcp.GetStream();
                await Handshake(stream, _stop.Token);
                using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
                await _script(socket, n, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or WebSocketException or SocketException)
            {
            }
        }
    }

    private static async Task Handshake(NetworkStream stream, CancellationToken ct)
    {
        var request = new StringBuilder();
        var one = new byte[1];
        while (!request.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, ct) == 0) throw new IOException("closed during the handshake");
            request.Append((char)one[0]);
        }
        var key = request.ToString().Split("\r\n")
            .First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        var response = $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        Task[] all;
        lock (_connections) all = [.. _connections];
        await Task.WhenAll(all);
        _stop.Dispose();
    }
}
