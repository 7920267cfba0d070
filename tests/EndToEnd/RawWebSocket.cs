using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>
/// A WebSocket client on a bare TCP socket: it completes the upgrade, then sends exactly the bytes
/// a test gives it (unmasked, invalid UTF-8, anything) and reads the server's frames one by one.
/// </summary>
internal sealed class RawWebSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly List<byte> _pending = [];

    private RawWebSocket(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>The server's 101 answer, status line and headers.</summary>
    public string Head { get; private set; } = "";

    /// <summary>RSV1 of the last frame <see cref="NextFrame"/> returned: set on a permessage-deflate compressed message.</summary>
    public bool LastCompressed { get; private set; }

    /// <param name="extensions">A <c>Sec-WebSocket-Extensions</c> offer to send, if any.</param>
    /// <param name="receiveBuffer">A small kernel receive buffer makes a client that does not read stall the server soon.</param>
    public static async Task<RawWebSocket> ConnectAsync(Uri http, string? extensions = null, int? receiveBuffer = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBuffer is { } size) socket.ReceiveBufferSize = size;
        await socket.ConnectAsync(http.Host, http.Port);
        var client = new RawWebSocket(socket);
        var request = $"GET /ws/stock/prices HTTP/1.1\r\nHost: {http.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                      (extensions is null ? "" : $"Sec-WebSocket-Extensions: {extensions}\r\n") + "\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        var head = await client.ReadHead();
        client.Head = head;
        Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head, StringComparison.OrdinalIgnoreCase);
        return client;
    }

    public Task<int> Send(byte[] bytes) => _socket.SendAsync(bytes);

    /// <summary>The next server frame (opcode, payload); null when the server closed the TCP connection.</summary>
    public async Task<(byte Opcode, byte[] Payload)?> NextFrame(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        if (!await Fill(2, cts.Token)) return null;
        Assert.Equal(0, _pending[1] & 0x80); // server frames are never masked
        var length7 = _pending[1] & 0x7F;
        var header = length7 switch { 126 => 4, 127 => 10, _ => 2 };
        if (!await Fill(header, cts.Token)) return null;
        long length = header switch
        {
            4 => BinaryPrimitives.ReadUInt16BigEndian(_pending.GetRange(2, 2).ToArray()),
            10 => (long)BinaryPrimitives.ReadUInt64BigEndian(_pending.GetRange(2, 8).ToArray()),
            _ => length7,
        };
        if (!await Fill(header + (int)length, cts.Token)) return null;
        var opcode = (byte)(_pending[0] & 0x0F);
        LastCompressed = (_pending[0] & 0x40) != 0;
        Assert.NotEqual(0, _pending[0] & 0x80); // the server sends whole messages
        var payload = _pending.GetRange(header, (int)length).ToArray();
        _pending.RemoveRange(0, header + (int)length);
        return (opcode, payload);
    }

    /// <summary>Reads frames until a close; returns its code, or null if the TCP connection ended without one.</summary>
    public async Task<int?> NextClose(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var frame = await NextFrame(deadline - DateTime.UtcNow);
            if (frame is null) return null;
            if (frame.Value.Opcode == 0x8) return BinaryPrimitives.ReadUInt16BigEndian(frame.Value.Payload);
        }
        throw new TimeoutException("no close frame");
    }

    /// <summary>True when the server ends the TCP connection within the timeout (after any frames).</summary>
    public async Task<bool> EndsWithin(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (await NextFrame(deadline - DateTime.UtcNow) is null) return true;
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
        }
        return false;
    }

    private async Task<bool> Fill(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        while (_pending.Count < count)
        {
            var n = await _stream.ReadAsync(buffer, cancellationToken);
            if (n == 0) return false;
            _pending.AddRange(buffer.AsSpan(0, n));
        }
        return true;
    }

    private async Task<string> ReadHead()
    {
        var buffer = new byte[1];
        var head = new StringBuilder();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await _stream.ReadAsync(buffer, cts.Token) == 0) break;
            head.Append((char)buffer[0]);
        }
        return head.ToString();
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
