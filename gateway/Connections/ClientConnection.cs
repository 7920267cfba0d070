using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Gateway.Subscriptions;

namespace OrleansPrices.Gateway.Connections;

/// <summary>
/// The sending side of one WebSocket client. Frames are offered without waiting; each connection
/// keeps a bounded queue of shared frames and drains it with one send in flight. When the queue is
/// full the connection is <see cref="Lagging"/>: further price frames are skipped and, once the
/// queue drains, one catch-up frame carries the latest value of every stock that changed meanwhile
/// (latest wins). Memory per connection is therefore bounded by the queue length, whatever the
/// client does. Frames arrive already framed (header + payload) and are written as they are to the
/// upgraded connection's stream. The connection also keeps the two timestamps the registry's
/// heartbeat sweep needs, so no connection has a timer of its own.
/// </summary>
public sealed class ClientConnection : ISubscriberChannel
{
    private readonly FrameWriter _output;
    private readonly Action _abortTransport;
    private CancellationTokenSource? _abortSource;
    private readonly Func<long, OutboundFrame?> _catchUp;
    private readonly int _maxQueued;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Queue<OutboundFrame> _queue = new(4);
    private readonly MessageCompressor? _compressor;
    // System.Threading.Lock: entered twice per broadcast frame and once per sweep; its fast path is
    // managed code, where Monitor on a plain object went through the runtime (perf: ~2 % of the
    // fan-out's CPU at 10,000 clients).
    private readonly Lock _sync = new();
    private bool _sending;
    private bool _lagging;
    private bool _closing;
    private bool _abortedByServer;
    private long _lastBatch;
    private long _sendStarted;
    private long _skipped;
    private long _lastReceived;
    private long _lastPing;
    private TaskCompletionSource? _closeSent;
    private bool _slowClosing;
    private Action? _wakeReceiver;

    /// <param name="output">The upgraded connection: framed bytes are written to it, one write in flight.</param>
    /// <param name="socket">The connection's socket when the transport has one: frames then skip Kestrel's output pipe.</param>
    /// <param name="abortTransport">Tears the TCP connection down (pending reads and writes end).</param>
    /// <param name="deflate">What permessage-deflate agreed on, or null when the connection is uncompressed.</param>
    /// <param name="compressor">Compresses this connection's own messages; used only with <paramref name="deflate"/>.</param>
    public ClientConnection(long id, Stream output, System.Net.Sockets.Socket? socket, Action abortTransport, Func<long, OutboundFrame?> catchUp, int maxQueued, long startBatch, GatewayMetrics metrics, TimeProvider time,
        DeflateParameters? deflate = null, MessageCompressor? compressor = null)
    {
        Id = id;
        Deflate = deflate;
        _compressor = deflate is null ? null : compressor;
        _output = new FrameWriter(output, socket);
        _abortTransport = abortTransport;
        _catchUp = catchUp;
        _maxQueued = maxQueued;
        _lastBatch = startBatch;
        _metrics = metrics;
        _time = time;
        _lastReceived = time.GetTimestamp();
    }

    public long Id { get; }

    /// <summary>The permessage-deflate parameters agreed in the handshake; null when uncompressed.</summary>
    public DeflateParameters? Deflate { get; }

    /// <summary>
    /// Cancelled when the server aborts the connection (stalled, dead, shutting down). Created on
    /// first use: an idle connection carries no cancellation source.
    /// </summary>
    public CancellationToken Aborted
    {
        get
        {
            lock (_sync)
            {
                _abortSource ??= new CancellationTokenSource();
                if (_closing && _abortedByServer) _abortSource.Cancel();
                return _abortSource.Token;
            }
        }
    }

    /// <summary>Completes once a queued close frame has been written (or the connection failed).</summary>
    public Task CloseSent
    {
        get
        {
            lock (_sync) return _closeSent?.Task ?? Task.CompletedTask;
        }
    }

    /// <summary>The receive side saw bytes from the peer (data, pong, anything): it is alive.</summary>
    public void MarkReceived() => Volatile.Write(ref _lastReceived, _time.GetTimestamp());

    /// <summary>
    /// The heartbeat, decided by the registry's sweep: <see cref="HeartbeatAction.Ping"/> when the
    /// peer has been silent for <paramref name="interval"/> and was not pinged within it,
    /// <see cref="HeartbeatAction.Dead"/> when silent for <paramref name="timeout"/>.
    /// </summary>
    /// <param name="now">The sweep's timestamp (<see cref="TimeProvider.GetTimestamp"/>), read once for all connections.</param>
    public HeartbeatAction CheckHeartbeat(TimeSpan interval, TimeSpan timeout, long now)
    {
        var silent = _time.GetElapsedTime(Volatile.Read(ref _lastReceived), now);
        if (silent >= timeout) return HeartbeatAction.Dead;
        if (silent < interval) return HeartbeatAction.None;
        var lastPing = Volatile.Read(ref _lastPing);
        if (lastPing != 0 && _time.GetElapsedTime(lastPing, now) < interval) return HeartbeatAction.None;
        Volatile.Write(ref _lastPing, now);
        return HeartbeatAction.Ping;
    }

    public int QueuedFrames
    {
        get
        {
            lock (_sync) return _queue.Count;
        }
    }

    public bool Lagging
    {
        get
        {
            lock (_sync) return _lagging;
        }
    }

    /// <summary>Nothing queued and no send in flight.</summary>
    public bool IsIdle
    {
        get
        {
            lock (_sync) return !_sending && _queue.Count == 0;
        }
    }

    /// <summary>Price frames this connection skipped while lagging.</summary>
    public long SkippedFrames => Interlocked.Read(ref _skipped);

    /// <summary>
    /// Set on the first subscribe, unsubscribe or resume: the connection's requests go to the
    /// subscription hub, which answers through <see cref="TryPush"/>.
    /// </summary>
    public SubscriberSession? Session { get; private set; }

    private Action? _subscriberCatchUp;
    private Action? _pendingCatchUp;

    /// <summary>
    /// Hands the connection's requests to <paramref name="session"/>. Once the hub says it follows
    /// something (<see cref="LeaveDefaultStream"/>), an overflow is caught up by
    /// <paramref name="catchUp"/> once the queue drains (called outside this connection's lock:
    /// the hub takes its own lock first, then pushes through <see cref="TryPush"/>).
    /// </summary>
    public void BecomeSubscriber(SubscriberSession session, Action catchUp)
    {
        lock (_sync)
        {
            Session = session;
            _pendingCatchUp = catchUp;
        }
    }

    public void LeaveDefaultStream()
    {
        lock (_sync) _subscriberCatchUp ??= _pendingCatchUp;
    }

    /// <summary>
    /// Queues a subscription message. False when the queue is full: the connection is then
    /// lagging and, once drained, asks the hub for a catch-up instead.
    /// </summary>
    public bool TryPush(byte[] json)
    {
        bool start;
        var frame = OutboundFrame.Reply(json, _compressor);
        lock (_sync)
        {
            if (_closing) return true;
            if (_lagging || _queue.Count >= _maxQueued)
            {
                _lagging = true;
                _skipped++;
                _metrics.Conflated();
                return false;
            }
            _queue.Enqueue(frame);
            start = TryStartSending();
        }
        if (start) _ = SendLoop();
        return true;
    }

    /// <summary>
    /// Offers a broadcast price frame of the default stream. Never blocks on the socket: with no
    /// send in flight the frame is written at once, on the caller's thread and under the lock, with
    /// one non-blocking send that the socket takes whole in the usual case (no queue, no send loop);
    /// what it does not take is finished by the send loop, and frames offered meanwhile queue.
    /// </summary>
    public void Offer(OutboundFrame frame)
    {
        int sent;
        lock (_sync)
        {
            if (_closing || _subscriberCatchUp is not null || frame.Batch <= _lastBatch) return;
            if (_lagging || (_sending && _queue.Count >= _maxQueued))
            {
                _lagging = true;
                _skipped++;
                _metrics.Conflated();
                return;
            }
            _lastBatch = frame.Batch;
            if (_sending)
            {
                _queue.Enqueue(frame);
                return;
            }
            // Nothing in flight, so nothing queued: the frame goes out now.
            var bytes = frame.BytesFor(Deflate);
            try
            {
                sent = _output.TrySend(bytes);
            }
            catch (IOException)
            {
                // The peer went away; the receive loop sees it too and unregisters.
                _closing = true;
                return;
            }
            if (sent == bytes.Length)
            {
                _metrics.FrameSent();
                return;
            }
            _sending = true;
        }
        _ = SendLoop(frame, Math.Max(sent, 0));
    }

    /// <summary>Queues a text reply (connected, pong, error), compressed when the connection negotiated permessage-deflate.</summary>
    public void Reply(ReadOnlySpan<byte> json) => Send(OutboundFrame.Reply(json, _compressor));

    /// <summary>
    /// Queues a reply to this client (pong, error) or a close. Replies beyond the queue bound are
    /// dropped: a client that does not read its replies loses them, never the server's memory.
    /// </summary>
    public void Send(OutboundFrame frame)
    {
        bool start;
        lock (_sync)
        {
            if (_closing) return;
            if (frame.IsClose)
            {
                _closing = true;
                _closeSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else if (_queue.Count >= _maxQueued) return;
            _queue.Enqueue(frame);
            start = TryStartSending();
        }
        if (start) _ = SendLoop();
    }

    /// <summary>True once <see cref="CloseSlow"/> queued a 4008 close.</summary>
    public bool SlowClosing
    {
        get
        {
            lock (_sync) return _slowClosing;
        }
    }

    /// <summary>Called when the server closes the connection from outside the receive loop (<see cref="CloseSlow"/>), to wake that loop.</summary>
    public void OnServerClose(Action wakeReceiver)
    {
        lock (_sync) _wakeReceiver = wakeReceiver;
    }

    /// <summary>
    /// The client is a slow consumer: drops what is queued and queues a 4008 close right behind
    /// the send in flight, so the close goes out as soon as the socket takes the bytes ahead of it.
    /// The receive loop is woken to wait (bounded) for that, and aborts the connection if the close
    /// cannot be written in time. False when the connection is already closing.
    /// </summary>
    public bool CloseSlow()
    {
        bool start;
        Action? wake;
        lock (_sync)
        {
            if (_closing) return false;
            _closing = true;
            _slowClosing = true;
            _lagging = false;
            _queue.Clear();
            _closeSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _queue.Enqueue(OutboundFrame.Close(CloseCodes.SlowConsumer, "too slow: reconnect"));
            start = TryStartSending();
            wake = _wakeReceiver;
        }
        if (start) _ = SendLoop();
        wake?.Invoke();
        return true;
    }

    /// <summary>True when a send has been waiting on the socket longer than <paramref name="limit"/>.</summary>
    /// <param name="now">The sweep's timestamp (<see cref="TimeProvider.GetTimestamp"/>), read once for all connections.</param>
    public bool IsStalled(TimeSpan limit, long now)
    {
        // Read without the lock: one word, and a stall is judged again on the next sweep anyway.
        var started = Volatile.Read(ref _sendStarted);
        return started != 0 && _time.GetElapsedTime(started, now) > limit;
    }

    /// <summary>Tears the connection down without a close handshake (stalled peer, shutdown).</summary>
    public void Abort()
    {
        CancellationTokenSource? source;
        lock (_sync)
        {
            _closing = true;
            _abortedByServer = true;
            source = _abortSource;
            _output.Release();
        }
        _abortTransport();
        source?.Cancel();
    }

    /// <summary>The endpoint is done with this connection: nothing more is queued or sent.</summary>
    internal void MarkEnded()
    {
        lock (_sync)
        {
            _closing = true;
            _queue.Clear();
            _output.Release();
        }
    }

    private bool TryStartSending()
    {
        if (_sending) return false;
        _sending = true;
        return true;
    }

    /// <summary>
    /// What the send loop does next, under the lock: the next queued frame; else, for a lagging
    /// connection, its catch-up (a frame, or the hub's catch-up to call); false when there is
    /// nothing to send, and the loop ends (no send in flight any more).
    /// </summary>
    private bool TryTakeNext(out OutboundFrame? next, out Action? subscriberCatchUp)
    {
        subscriberCatchUp = null;
        lock (_sync)
        {
            while (true)
            {
                if (_queue.Count > 0)
                {
                    next = _queue.Dequeue();
                    return true;
                }
                if (_lagging && !_closing && _subscriberCatchUp is not null)
                {
                    _lagging = false;
                    subscriberCatchUp = _subscriberCatchUp;
                    next = null;
                    return true;
                }
                if (_lagging && !_closing)
                {
                    _lagging = false;
                    next = _catchUp(_lastBatch);
                    if (next is null) continue;
                    _lastBatch = Math.Max(_lastBatch, next.Batch);
                    return true;
                }
                _sending = false;
                _sendStarted = 0;
                next = null;
                return false;
            }
        }
    }

    /// <param name="first">A frame to write before looking at the queue (<see cref="Offer"/>'s), or null.</param>
    /// <param name="firstOffset">How much of <paramref name="first"/> is already written.</param>
    private async Task SendLoop(OutboundFrame? first = null, int firstOffset = 0)
    {
        try
        {
            while (true)
            {
                var next = first;
                var offset = firstOffset;
                first = null;
                firstOffset = 0;
                Action? subscriberCatchUp = null;
                if (next is null && !TryTakeNext(out next, out subscriberCatchUp)) return;

                if (subscriberCatchUp is not null)
                {
                    subscriberCatchUp();
                    continue;
                }
                var write = _output.WriteAsync(next!.BytesFor(Deflate), offset, _time, CancellationToken.None);
                if (write.IsCompleted)
                {
                    write.GetAwaiter().GetResult();
                }
                else
                {
                    // The socket did not take it all at once: until it does, the sweep may find this send stuck.
                    Volatile.Write(ref _sendStarted, _time.GetTimestamp());
                    await write;
                    Volatile.Write(ref _sendStarted, 0);
                }
                if (next.IsClose)
                {
                    _metrics.ServerClose(next.CloseCode);
                    lock (_sync)
                    {
                        _queue.Clear();
                        _sendStarted = 0;
                    }
                    _closeSent?.TrySetResult();
                    return;
                }
                _metrics.FrameSent();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // The peer went away or was aborted; the receive loop sees it too and unregisters.
            lock (_sync)
            {
                _closing = true;
                _queue.Clear();
                _sendStarted = 0;
            }
            _closeSent?.TrySetResult();
        }
    }
}

/// <summary>What the heartbeat sweep should do with a connection.</summary>
public enum HeartbeatAction
{
    None,
    /// <summary>Silent for a heartbeat interval: send a ping.</summary>
    Ping,
    /// <summary>Silent past the heartbeat timeout: the peer is gone; abort.</summary>
    Dead,
}
