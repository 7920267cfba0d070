using System.Net.WebSockets;
using OrleansPrices.Gateway.Hosting;

namespace OrleansPrices.Gateway.Connections;

/// <summary>
/// The sending side of one WebSocket client. Frames are offered without waiting; each connection
/// keeps a bounded queue of shared frames and drains it with one send in flight. When the queue is
/// full the connection is <see cref="Lagging"/>: further price frames are skipped and, once the
/// queue drains, one catch-up frame carries the latest value of every stock that changed meanwhile
/// (latest wins). Memory per connection is therefore bounded by the queue length, whatever the
/// client does.
/// </summary>
public sealed class ClientConnection
{
    private readonly WebSocket _socket;
    private readonly Func<long, OutboundFrame?> _catchUp;
    private readonly int _maxQueued;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _abort = new();
    private readonly Queue<OutboundFrame> _queue = new(4);
    private readonly object _sync = new();
    private bool _sending;
    private bool _lagging;
    private bool _closing;
    private long _lastBatch;
    private long _sendStarted;
    private long _skipped;

    public ClientConnection(long id, WebSocket socket, Func<long, OutboundFrame?> catchUp, int maxQueued, long startBatch, GatewayMetrics metrics, TimeProvider time)
    {
        Id = id;
        _socket = socket;
        _catchUp = catchUp;
        _maxQueued = maxQueued;
        _lastBatch = startBatch;
        _metrics = metrics;
        _time = time;
    }

    public long Id { get; }

    /// <summary>Cancelled when the connection is aborted (stalled, or the server shuts down).</summary>
    public CancellationToken Aborted => _abort.Token;

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

    /// <summary>Offers a broadcast price frame. Never blocks on the socket.</summary>
    public void Offer(OutboundFrame frame)
    {
        bool start;
        lock (_sync)
        {
            if (_closing || frame.Batch <= _lastBatch) return;
            if (_lagging || _queue.Count >= _maxQueued)
            {
                _lagging = true;
                _skipped++;
                _metrics.Conflated();
                return;
            }
            _queue.Enqueue(frame);
            _lastBatch = frame.Batch;
            start = TryStartSending();
        }
        if (start) _ = SendLoop();
    }

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
            if (frame.IsClose) _closing = true;
            else if (_queue.Count >= _maxQueued) return;
            _queue.Enqueue(frame);
            start = TryStartSending();
        }
        if (start) _ = SendLoop();
    }

    /// <summary>True when a send has been waiting on the socket longer than <paramref name="limit"/>.</summary>
    public bool IsStalled(TimeSpan limit)
    {
        long started;
        lock (_sync) started = _sendStarted;
        return started != 0 && _time.GetElapsedTime(started) > limit;
    }

    /// <summary>Tears the connection down without a close handshake (stalled peer, shutdown).</summary>
    public void Abort()
    {
        lock (_sync) _closing = true;
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Abort();
    }

    private bool TryStartSending()
    {
        if (_sending) return false;
        _sending = true;
        return true;
    }

    private async Task SendLoop()
    {
        try
        {
            while (true)
            {
                OutboundFrame? next;
                lock (_sync)
                {
                    if (_queue.Count > 0)
                    {
                        next = _queue.Dequeue();
                    }
                    else if (_lagging && !_closing)
                    {
                        _lagging = false;
                        next = _catchUp(_lastBatch);
                        if (next is null) continue;
                        _lastBatch = Math.Max(_lastBatch, next.Batch);
                    }
                    else
                    {
                        _sending = false;
                        _sendStarted = 0;
                        return;
                    }
                    _sendStarted = _time.GetTimestamp();
                }

                if (next.IsClose)
                {
                    _metrics.ServerClose(next.CloseCode);
                    await _socket.CloseOutputAsync((WebSocketCloseStatus)next.CloseCode, next.CloseReason, _abort.Token);
                    lock (_sync)
                    {
                        _queue.Clear();
                        _sendStarted = 0;
                    }
                    return;
                }
                await _socket.SendAsync(next.Bytes, WebSocketMessageType.Text, endOfMessage: true, _abort.Token);
                _metrics.FrameSent();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The peer went away or was aborted; the receive loop sees it too and unregisters.
            lock (_sync)
            {
                _closing = true;
                _queue.Clear();
                _sendStarted = 0;
            }
        }
    }

    internal void DisposeAbortSource() => _abort.Dispose();
}
