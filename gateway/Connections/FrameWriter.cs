using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace OrleansPrices.Gateway.Connections;

/// <summary>
/// Writes whole frames to one client. Kestrel writes the 101 answer through its own output pipe;
/// once that answer is on the wire, frames go straight to the connection's socket with one
/// non-blocking <c>send</c> from the caller's thread (the shared frame bytes, no copy, no pipe, no
/// thread hop), falling back to an awaited send only for what the kernel did not take at once.
/// Where the socket is not available (another transport, not Linux) every frame goes through the
/// upgraded stream instead.
/// </summary>
internal sealed class FrameWriter
{
    private const int SolTcp = 6;
    private const int TcpInfo = 11;
    // struct tcp_info (linux/tcp.h): __u32 tcpi_data_segs_out at byte 156 (Linux 4.6+).
    private const int DataSegsOutOffset = 156;
    private static readonly TimeSpan UpgradeWait = TimeSpan.FromSeconds(1);

    private readonly Stream _stream;
    private Socket? _socket;
    private bool _direct;

    public FrameWriter(Stream stream, Socket? socket)
    {
        _stream = stream;
        _socket = OperatingSystem.IsLinux() ? socket : null;
        if (_socket is not null)
        {
            try
            {
                // Kestrel only uses asynchronous operations on it; ours must never block the broadcaster.
                _socket.Blocking = false;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                _socket = null;
            }
        }
    }

    /// <summary>Writes the frame; completes synchronously when the kernel took it all.</summary>
    public ValueTask WriteAsync(byte[] frame, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_socket is null) return _stream.WriteAsync(frame, cancellationToken);
        if (!_direct) return FirstWriteAsync(frame, time, cancellationToken);

        var sent = _socket.Send(frame, SocketFlags.None, out var error);
        if (sent == frame.Length) return ValueTask.CompletedTask;
        if (error is not (SocketError.Success or SocketError.WouldBlock)) throw new IOException($"send failed: {error}", new SocketException((int)error));
        return RestAsync(_socket, frame, sent, cancellationToken);
    }

    private static async ValueTask RestAsync(Socket socket, byte[] frame, int sent, CancellationToken cancellationToken)
    {
        await socket.SendAsync(frame.AsMemory(sent), SocketFlags.None, cancellationToken);
    }

    /// <summary>Before the first direct send, waits (briefly) until Kestrel's 101 has left for the kernel.</summary>
    private async ValueTask FirstWriteAsync(byte[] frame, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        bool? sent;
        while ((sent = UpgradeSent(_socket!)) != true)
        {
            if (sent is null || time.GetElapsedTime(started) > UpgradeWait)
            {
                // Cannot tell: keep every write in Kestrel's pipe, which keeps them in order.
                _socket = null;
                await _stream.WriteAsync(frame, cancellationToken);
                return;
            }
            await Task.Delay(1, cancellationToken);
        }
        _direct = true;
        await WriteAsync(frame, time, cancellationToken);
    }

    /// <summary>True once the kernel has transmitted data on this connection: the 101, which Kestrel sends in one write.</summary>
    /// <returns>Null when the kernel does not say (no such socket option, or an older kernel).</returns>
    private static bool? UpgradeSent(Socket socket)
    {
        Span<byte> info = stackalloc byte[232];
        int length;
        try
        {
            length = socket.GetRawSocketOption(SolTcp, TcpInfo, info);
        }
        catch (Exception ex) when (ex is SocketException or PlatformNotSupportedException)
        {
            return null;
        }
        if (length < DataSegsOutOffset + 4) return null;
        return MemoryMarshal.Read<uint>(info[DataSegsOutOffset..]) > 0;
    }
}
