using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace OrleansPrices.Tests.Infrastructure;

/// <summary>A real WebSocket client that reads everything into a queue of parsed messages.</summary>
public sealed class TestSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<JsonElement> _messages = Channel.CreateUnbounded<JsonElement>();
    private readonly CancellationTokenSource _stop = new();
    private Task _reader = Task.CompletedTask;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;
    public string? CloseDescription => _socket.CloseStatusDescription;
    public WebSocketState State => _socket.State;
    public Task Reader => _reader;

    /// <summary>The 101 answer's headers (collected when <see cref="ConnectAsync"/> was given options that ask for them).</summary>
    public IReadOnlyDictionary<string, IEnumerable<string>>? ResponseHeaders => _socket.HttpResponseHeaders;

    public static async Task<TestSocket> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var s = new TestSocket();
        configure?.Invoke(s._socket.Options);
        await s._socket.ConnectAsync(uri, CancellationToken.None);
        s._reader = s.ReadAll();
        return s;
    }

    private async Task ReadAll()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var length = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await _socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                    length += r.Count;
                }
                while (!r.EndOfMessage);
                if (r.MessageType == WebSocketMessageType.Close) break;
                using var doc = JsonDocument.Parse(buffer.AsMemory(0, length));
                await _messages.Writer.WriteAsync(doc.RootElement.Clone());
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    public Task SendText(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinary(byte[] bytes) =>
        _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>The next message of the given type (others are skipped; null: any type), or throws on timeout or close.</summary>
    public async Task<JsonElement> Next(string? type, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var m = await _messages.Reader.ReadAsync(cts.Token);
            if (type is null || m.GetProperty("type").GetString() == type) return m;
        }
    }

    /// <summary>Every message received so far, without waiting.</summary>
    public List<JsonElement> Drain()
    {
        var all = new List<JsonElement>();
        while (_messages.Reader.TryRead(out var m)) all.Add(m);
        return all;
    }

    /// <summary>Waits until the server closes the connection; returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosed(TimeSpan timeout)
    {
        await _reader.WaitAsync(timeout);
        return _socket.CloseStatus;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (OperationCanceledException)
        {
        }
        _socket.Dispose();
        _stop.Dispose();
    }
}
