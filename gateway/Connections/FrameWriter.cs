using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace OrleansPrices.Gateway.Connections;

/// <summary>
/// Writes whole frames to one client. Kestrel writes the 101 answer through its own output pipe;
/// once that answer is on the wire, frames go straight to the connection's socket: the shared frame
/// bytes, no copy, no pipe, no thread hop. The usual write is <see cref="TrySend"/>: one
/// non-blocking <c>send(2)</c> on the socket's descriptor from the caller's thread. What the kernel
/// did not take at once goes through <see cref="WriteAsync"/> (the socket's own awaited send), and so
/// does every write before the 101 is known to have left. Where the socket is not available (another
/// transport, not Linux) every frame goes through the upgraded stream instead.
/// Not thread-safe: the connection calls <see cref="TrySend"/> and <see cref="Release"/> under its
/// lock, and has at most one write in flight.
/// </summary>
internal sealed partial class FrameWriter
{
    /// <summary><see cref="TrySend"/>'s answer when it cannot write directly: use <see cref="WriteAsync"/>.</summary>
    public const int NotDirect = -1;

    private const int SolTcp = 6;
    private const int TcpInfo = 11;
    // struct tcp_info (linux/tcp.h): __u32 tcpi_data_segs_out at byte 156 (Linux 4.6+).
    private const int DataSegsOutOffset = 156;
    private const int MsgDontWait = 0x40;
    private const int MsgNoSignal = 0x4000;
    private const int EIntr = 4;
    private const int EAgain = 11;
    private static readonly TimeSpan UpgradeWait = TimeSpan.FromSeconds(1);

    private readonly Stream _stream;
    private Socket? _socket;
    // The socket's descriptor, referenced (SafeHandle.DangerousAddRef) from the constructor to
    // Release, so it is not closed, nor its number reused, while TrySend may write to it. -1: none.
    private int _fd = -1;
    private SafeSocketHandle? _handle;
    private volatile bool _direct;

    public FrameWriter(Stream stream, Socket? socket)
    {
        _stream = stream;
        _socket = OperatingSystem.IsLinux() ? socket : null;
        if (_socket is null || !LibC.Available) return;
        try
        {
            var handle = _socket.SafeHandle;
            var added = false;
            handle.DangerousAddRef(ref added);
            if (!added) return;
            _handle = handle;
            _fd = (int)handle.DangerousGetHandle();
        }
        catch (ObjectDisposedException)
        {
            _socket = null;
        }
    }

    /// <summary>
    /// Writes what the kernel takes of <paramref name="frame"/> now, without blocking: the number of
    /// bytes written (all of them in the usual case, 0 when the socket's buffer is full), or
    /// <see cref="NotDirect"/> when the frame must go through <see cref="WriteAsync"/>.
    /// </summary>
    /// <exception cref="IOException">The connection failed (reset, closed).</exception>
    public int TrySend(byte[] frame)
    {
        if (!_direct || _fd < 0) return NotDirect;
        while (true)
        {
            var sent = LibC.Send(_fd, frame, frame.Length, MsgDontWait | MsgNoSignal);
            if (sent >= 0) return (int)sent;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr) continue;
            if (errno == EAgain) return 0;
            throw new IOException($"send failed: errno {errno}", new SocketException(errno));
        }
    }

    /// <summary>
    /// Drops the reference on the socket's descriptor: no direct send after this, and the descriptor
    /// closes once Kestrel disposes the socket. Called when the connection ends.
    /// </summary>
    public void Release()
    {
        _fd = -1;
        var handle = _handle;
        _handle = null;
        handle?.DangerousRelease();
    }

    /// <summary>Writes <paramref name="frame"/> from <paramref name="offset"/> on; completes synchronously when it could.</summary>
    public ValueTask WriteAsync(byte[] frame, int offset, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_socket is null) return _stream.WriteAsync(frame.AsMemory(offset), cancellationToken);
        if (!_direct) return FirstWriteAsync(frame, offset, time, cancellationToken);
        return SendRestAsync(_socket, frame, offset, cancellationToken);
    }

    private static async ValueTask SendRestAsync(Socket socket, byte[] frame, int offset, CancellationToken cancellationToken)
    {
        // The socket's own send: it references the descriptor itself, whatever Release did meanwhile.
        while (offset < frame.Length)
        {
            offset += await socket.SendAsync(frame.AsMemory(offset), SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>Before the first direct send, waits (briefly) until Kestrel's 101 has left for the kernel.</summary>
    private async ValueTask FirstWriteAsync(byte[] frame, int offset, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        bool? sent;
        while ((sent = UpgradeSent(_socket!)) != true)
        {
            if (sent is null || time.GetElapsedTime(started) > UpgradeWait)
            {
                // Cannot tell: keep every write in Kestrel's pipe, which keeps them in order.
                _socket = null;
                await _stream.WriteAsync(frame.AsMemory(offset), cancellationToken);
                return;
            }
            await Task.Delay(1, cancellationToken);
        }
        _direct = true;
        await SendRestAsync(_socket!, frame, offset, cancellationToken);
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

    /// <summary>
    /// glibc's <c>send(2)</c>, called on the descriptor itself: <see cref="Socket.Send(ReadOnlySpan{byte}, SocketFlags, out SocketError)"/>
    /// references and releases the socket's handle, validates its mode and translates errors on every call.
    /// </summary>
    private static partial class LibC
    {
        private const string Library = "libc.so.6";

        /// <summary>False where glibc is not there (musl): sends then go through the socket.</summary>
        public static bool Available { get; } = NativeLibrary.TryLoad(Library, out var lib) && NativeLibrary.TryGetExport(lib, "send", out _);

        [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
        public static partial nint Send(int fd, byte[] buffer, nint length, int flags);
    }
}
