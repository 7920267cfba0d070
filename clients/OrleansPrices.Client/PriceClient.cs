using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using OrleansPrices.Client.Protocol;

namespace OrleansPrices.Client;

/// <summary>
/// A client of the gateway's <c>/ws/stock/prices</c> socket. It connects, keeps a local
/// <see cref="Table"/> of current values and the followed <see cref="SignalLists"/>, hands every
/// message to <see cref="ReadAllAsync"/> as a typed event, sends a heartbeat <c>ping</c>, and when
/// the connection drops it reconnects (exponential backoff, full jitter), subscribes again and
/// sends <c>resume</c> with the last (epoch, seq) it applied per stock. It doesn't reconnect after
/// close 1008 or 1009. With no subscription it receives the brief's default stream.
/// </summary>
public sealed class PriceClient : IAsyncDisposable
{
    private static readonly byte[] PingMessage = ClientMessages.Ping();

    private readonly PriceClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ReconnectBackoff _backoff;
    private readonly PriceTable _table = new();
    private readonly SignalBook _signals = new();
    private readonly SubscriptionSet _subscriptions = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Channel<PriceEvent> _events;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstLive = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _run;
    private ClientWebSocket? _live;
    private ConnectionState _state = ConnectionState.Initial;
    private long _nextId;
    private volatile bool _closing;

    public PriceClient(PriceClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = options.TimeProvider;
        _backoff = new ReconnectBackoff(options.ReconnectInitialDelay, options.ReconnectMaxDelay, options.ReconnectMultiplier, options.Random);
        _events = Channel.CreateBounded<PriceEvent>(
            new BoundedChannelOptions(options.EventCapacity) { FullMode = BoundedChannelFullMode.DropOldest },
            _ => Statistics.Dropped());
    }

    /// <summary>Current values by ts_code, kept from snapshot, update and price_update rows.</summary>
    public IReadOnlyDictionary<string, StockRow> Table => _table.Rows;

    /// <summary>The followed signal lists by strategy, kept from signal_update messages.</summary>
    public IReadOnlyDictionary<string, SignalList> SignalLists => _signals.Lists;

    public ConnectionState State => Volatile.Read(ref _state);

    public PriceClientStatistics Statistics { get; } = new();

    /// <summary>
    /// Starts the connection loop and waits until the first connection is live. A first attempt
    /// that fails is retried with backoff like any reconnect; this throws only when the client
    /// closes for good (close 1008/1009, or disposed) or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closing, this);
        lock (_gate)
        {
            _run ??= Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        }
        await _firstLive.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Follows stocks (ts_code or six digits), at most <paramref name="maxRate"/> updates per second each (null: every change).</summary>
    public Task SubscribeAsync(IEnumerable<string> codes, double? maxRate = null, CancellationToken cancellationToken = default)
    {
        var list = codes.ToList();
        if (list.Count == 0) return Task.CompletedTask;
        lock (_gate) _subscriptions.AddCodes(list, maxRate);
        return SendIfLiveAsync(() => list.Chunk(SubscriptionSet.MaxCodesPerMessage).Select(c => ClientMessages.Subscribe(NextId(), c, maxRate)), cancellationToken);
    }

    /// <summary>Follows a signal list: its entries and exits, and the prices of its stocks. Null: every strategy.</summary>
    public Task SubscribeListAsync(string? strategy = null, CancellationToken cancellationToken = default)
    {
        lock (_gate) _subscriptions.AddList(strategy);
        return SendIfLiveAsync(() => [ClientMessages.SubscribeList(NextId(), strategy)], cancellationToken);
    }

    /// <summary>Stops following stocks and forgets their rows.</summary>
    public Task UnsubscribeAsync(IEnumerable<string> codes, CancellationToken cancellationToken = default)
    {
        var list = codes.ToList();
        if (list.Count == 0) return Task.CompletedTask;
        lock (_gate)
        {
            _subscriptions.RemoveCodes(list);
            var gone = new HashSet<string>(list, StringComparer.Ordinal);
            foreach (var key in _table.Rows.Keys.Where(k => gone.Contains(k) || gone.Contains(SubscriptionSet.Bare(k))).ToList())
            {
                _table.Remove(key);
            }
        }
        return SendIfLiveAsync(() => list.Chunk(SubscriptionSet.MaxCodesPerMessage).Select(c => ClientMessages.Unsubscribe(NextId(), c)), cancellationToken);
    }

    /// <summary>Stops following a signal list (null: every list).</summary>
    public Task UnsubscribeListAsync(string? strategy = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _subscriptions.RemoveList(strategy);
            _signals.Remove(strategy);
        }
        return SendIfLiveAsync(() => [ClientMessages.UnsubscribeList(NextId(), strategy)], cancellationToken);
    }

    /// <summary>
    /// Every event in order of arrival (messages and connection changes), until the client closes.
    /// Meant for one reader; <see cref="Table"/> already reflects a message when its event is read.
    /// </summary>
    public IAsyncEnumerable<PriceEvent> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _events.Reader.ReadAllAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_closing) return;
        _closing = true;
        Task? run;
        lock (_gate) run = _run;
        if (Volatile.Read(ref _live) is { } live)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);
                await _sendLock.WaitAsync(timeout.Token);
                try
                {
                    await live.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
                }
                finally
                {
                    _sendLock.Release();
                }
                if (run is not null) await run.WaitAsync(TimeSpan.FromSeconds(1), _time);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
            {
            }
        }
        await _stop.CancelAsync();
        if (run is not null)
        {
            await run;
        }
        else
        {
            Finish(null, "disposed");
        }
        _firstLive.TrySetException(new ObjectDisposedException(nameof(PriceClient)));
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private string NextId() => Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task SendIfLiveAsync(Func<IEnumerable<byte[]>> messages, CancellationToken cancellationToken)
    {
        // Not live: the subscription is recorded and goes out when the next connection is.
        if (Volatile.Read(ref _live) is not { } socket) return;
        foreach (var m in messages())
        {
            try
            {
                await SendAsync(socket, m, cancellationToken);
            }
            catch (WebSocketException)
            {
                return; // the connection dropped; the reconnect sends the subscriptions again
            }
        }
    }

    private async Task SendAsync(WebSocket socket, byte[] message, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var attempt = 0;
        int? lastCode = null;
        string? lastReason = null;
        try
        {
            while (!stop.IsCancellationRequested && !_closing)
            {
                SetState(new ConnectionState(ConnectionPhase.Connecting, lastCode, lastReason, true, null, attempt));
                var outcome = await ConnectOnceAsync(stop);
                (lastCode, lastReason) = (outcome.Code, outcome.Reason);
                if (stop.IsCancellationRequested || _closing) break;
                if (!CloseCodes.ShouldReconnect(outcome.Code))
                {
                    Finish(outcome.Code, outcome.Reason);
                    return;
                }
                if (outcome.LiveFor >= _options.BackoffResetAfter) attempt = 0;
                var delay = _backoff.Delay(attempt);
                attempt++;
                SetState(new ConnectionState(ConnectionPhase.Reconnecting, outcome.Code, outcome.Reason, true, delay, attempt));
                await Task.Delay(delay, _time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A bug or a misconfiguration (e.g. a URI that isn't ws:// or wss://): close for good, visibly.
            lastReason = $"client failure: {ex.GetType().Name}: {ex.Message}";
        }
        Finish(lastCode, lastReason);
    }

    private void Finish(int? code, string? reason)
    {
        if (State.Phase == ConnectionPhase.Closed) return;
        SetState(new ConnectionState(ConnectionPhase.Closed, code, reason, WillReconnect: false));
        _firstLive.TrySetException(new WebSocketException($"the price client closed for good: close {code} {reason}".TrimEnd()));
        _ = _firstLive.Task.Exception; // observed: ConnectAsync may never have been awaited
        _events.Writer.TryComplete();
    }

    private void SetState(ConnectionState state)
    {
        state = state with { At = _time.GetUtcNow() };
        Volatile.Write(ref _state, state);
        _events.Writer.TryWrite(new ConnectionStateChanged(state));
    }

    private readonly record struct Outcome(int Code, string? Reason, TimeSpan LiveFor);

    private async Task<Outcome> ConnectOnceAsync(CancellationToken stop)
    {
        using var socket = new ClientWebSocket();
        if (_options.Compression) socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
            await socket.ConnectAsync(_options.Uri, linked.Token);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested && ex is WebSocketException or HttpRequestException or OperationCanceledException or IOException)
        {
            return new Outcome(CloseCodes.Abnormal, $"connect failed: {ex.Message}", TimeSpan.Zero);
        }

        using var connection = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        var lastReceived = _time.GetTimestamp();
        long liveSince = 0;
        var dead = false;
        Task heartbeat = Task.CompletedTask;
        string? failure = null;
        try
        {
            while (true)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await socket.ReceiveAsync(buffer.GetMemory(16 * 1024), connection.Token);
                    buffer.Advance(r.Count);
                    if (buffer.WrittenCount > _options.MaxMessageBytes)
                    {
                        failure = $"server message over {_options.MaxMessageBytes} bytes";
                        socket.Abort();
                        break;
                    }
                }
                while (!r.EndOfMessage);
                if (failure is not null || r.MessageType == WebSocketMessageType.Close) break;
                Volatile.Write(ref lastReceived, _time.GetTimestamp());
                if (r.MessageType != WebSocketMessageType.Text) continue;

                PriceEvent message;
                try
                {
                    message = MessageDecoder.Decode(buffer.WrittenMemory);
                }
                catch (MessageFormatException)
                {
                    Statistics.DecodeError();
                    continue;
                }
                Statistics.Received(WireType(message), buffer.WrittenCount);

                switch (message)
                {
                    case ConnectedEvent c:
                        liveSince = _time.GetTimestamp();
                        Statistics.Connected();
                        Volatile.Write(ref _live, socket);
                        SetState(new ConnectionState(ConnectionPhase.Live, State.LastCloseCode, State.LastCloseReason, true));
                        _events.Writer.TryWrite(message);
                        var interval = _options.HeartbeatInterval
                            ?? (c.HeartbeatIntervalSeconds is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(30));
                        heartbeat = HeartbeatAsync(socket, interval, () => Volatile.Read(ref lastReceived), () => dead = true, connection.Token);
                        await RestoreAsync(socket, connection.Token);
                        _firstLive.TrySetResult();
                        continue;
                    case SnapshotEvent or UpdateEvent or PriceUpdateEvent:
                        lock (_gate) _table.Apply(message);
                        break;
                    case SignalUpdateEvent s:
                        lock (_gate) _signals.Apply(s);
                        break;
                }
                _events.Writer.TryWrite(message);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException && !stop.IsCancellationRequested)
        {
            failure ??= ex.Message;
        }
        catch (OperationCanceledException)
        {
            // Disposed: the loop ends.
        }
        finally
        {
            Volatile.Write(ref _live, null);
            await connection.CancelAsync();
            await heartbeat;
        }

        var liveFor = liveSince == 0 ? TimeSpan.Zero : _time.GetElapsedTime(liveSince);
        if (socket.CloseStatus is { } status)
        {
            if (socket.State == WebSocketState.CloseReceived)
            {
                try
                {
                    using var t = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", t.Token);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                }
            }
            return new Outcome((int)status, socket.CloseStatusDescription, liveFor);
        }
        var reason = dead ? "heartbeat timeout: no message for twice the heartbeat interval" : failure ?? "connection lost";
        return new Outcome(CloseCodes.Abnormal, reason, liveFor);
    }

    private async Task RestoreAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        IReadOnlyList<byte[]> messages;
        lock (_gate) messages = _subscriptions.RestoreMessages(_table.Positions(), NextId);
        foreach (var m in messages) await SendAsync(socket, m, cancellationToken);
    }

    private async Task HeartbeatAsync(WebSocket socket, TimeSpan interval, Func<long> lastReceived, Action markDead, CancellationToken cancellationToken)
    {
        var tick = TimeSpan.FromTicks(Math.Max(interval.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks));
        var started = _time.GetTimestamp();
        var lastPing = 0L; // when the last ping went out; 0: none yet
        try
        {
            using var timer = new PeriodicTimer(tick, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                // Dead: no message for twice the interval, and a ping sent after the last message had a
                // whole interval to be answered. A tick that came late (a busy or paused machine) must
                // not drop a peer that was never asked.
                var received = lastReceived();
                if (_time.GetElapsedTime(received) >= interval * 2 && lastPing > received && _time.GetElapsedTime(lastPing) >= interval)
                {
                    markDead();
                    socket.Abort();
                    return;
                }
                if (_time.GetElapsedTime(lastPing == 0 ? started : lastPing) >= interval)
                {
                    lastPing = _time.GetTimestamp();
                    // Counted first: its pong can be read before this send's continuation runs.
                    Statistics.PingSent();
                    await SendAsync(socket, PingMessage, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    private static string WireType(PriceEvent e) => e switch
    {
        ConnectedEvent => "connected",
        PongEvent => "pong",
        StatusEvent => "status",
        SubscribedEvent => "subscribed",
        SnapshotEvent => "snapshot",
        UpdateEvent => "update",
        PriceUpdateEvent => "price_update",
        SignalUpdateEvent => "signal_update",
        ErrorEvent => "error",
        UnknownEvent u => u.Type,
        _ => "other",
    };
}
