using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Protocol;

namespace OrleansPrices.Gateway.Connections;

/// <summary>
/// The open connections of this gateway: admission (the connection limit), broadcast, and a
/// once-a-second sweep that closes with 4008 connections whose send has been stuck longer than
/// <see cref="GatewayOptions.SlowConsumerTimeout"/> (the close goes out behind the stuck send, if
/// the socket takes it within <see cref="SlowCloseWait"/>; else the connection is aborted) and runs
/// every connection's heartbeat: a ping to
/// a peer silent for <see cref="GatewayOptions.HeartbeatInterval"/>, an abort for one silent past
/// <see cref="GatewayOptions.HeartbeatTimeout"/>. One loop for all connections, no timer per socket.
/// </summary>
public sealed partial class ConnectionRegistry(
    IOptions<GatewayOptions> options,
    TimeProvider time,
    GatewayMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<ConnectionRegistry> logger) : BackgroundService
{
    /// <summary>How long a stopping gateway waits for its close frames to go out.</summary>
    public static readonly TimeSpan GoingAwayWait = TimeSpan.FromSeconds(2);

    /// <summary>How long a slow consumer's 4008 close may wait behind its stuck send before the connection is aborted.</summary>
    public static readonly TimeSpan SlowCloseWait = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<long, ClientConnection> _connections = new();
    // What a broadcast walks: a plain array, rebuilt on the first walk after a connection came or went
    // (walking the dictionary itself costs an enumerator step per connection on every message).
    private Snapshot? _snapshot;
    private long _version;
    private long _reserved;
    private long _nextId;
    private int _deflating;

    public int Count => _connections.Count;

    /// <summary>Open connections that negotiated permessage-deflate: broadcasts are compressed only while there are some.</summary>
    public int DeflateCount => Volatile.Read(ref _deflating);

    public IEnumerable<ClientConnection> Connections => _connections.Values;

    /// <summary>Reserves a place before the upgrade; false when the gateway is full (answer 503).</summary>
    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _reserved) <= options.Value.MaxConnections) return true;
        Interlocked.Decrement(ref _reserved);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _reserved);

    public long NextId() => Interlocked.Increment(ref _nextId);

    public void Add(ClientConnection connection)
    {
        _connections[connection.Id] = connection;
        Interlocked.Increment(ref _version);
        if (connection.Deflate is not null) Interlocked.Increment(ref _deflating);
        metrics.Connected();
    }

    public void Remove(ClientConnection connection)
    {
        if (!_connections.TryRemove(connection.Id, out _)) return;
        Interlocked.Increment(ref _version);
        if (connection.Deflate is not null) Interlocked.Decrement(ref _deflating);
        metrics.Disconnected();
    }

    /// <summary>Offers a frame to every connection; returns how many were offered it.</summary>
    public int Broadcast(OutboundFrame frame)
    {
        var all = Current();
        foreach (var connection in all) connection.Offer(frame);
        return all.Length;
    }

    /// <summary>
    /// The open connections as an array. A snapshot is current while no connection came or went
    /// after its version was read (the version is read before the copy, so a change during the copy
    /// makes the next call copy again).
    /// </summary>
    private ClientConnection[] Current()
    {
        var version = Volatile.Read(ref _version);
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && snapshot.Version == version) return snapshot.Connections;
        snapshot = new Snapshot(version, [.. _connections.Values]);
        Volatile.Write(ref _snapshot, snapshot);
        return snapshot.Connections;
    }

    private sealed record Snapshot(long Version, ClientConnection[] Connections);

    /// <summary>
    /// On shutdown (SIGTERM), before Kestrel stops: every client gets close 1001 "going away", so it
    /// reconnects (to another gateway) at once instead of waiting for a dead socket.
    /// </summary>
    internal void GoAway()
    {
        var closes = new List<Task>();
        var goingAway = OutboundFrame.Close(CloseCodes.GoingAway, "going away"); // the same bytes for every socket
        foreach (var connection in Current())
        {
            connection.Send(goingAway);
            closes.Add(connection.CloseSent);
        }
        if (closes.Count == 0) return;
        LogGoingAway(logger, closes.Count);
        Task.WhenAll(closes).Wait(GoingAwayWait);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stopping = lifetime.ApplicationStopping.Register(GoAway);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal void Sweep()
    {
        var o = options.Value;
        var limit = o.SlowConsumerTimeout;
        var now = time.GetTimestamp();
        foreach (var connection in Current())
        {
            if (connection.IsStalled(limit, now))
            {
                if (connection.CloseSlow())
                {
                    LogStalled(logger, connection.Id, limit);
                }
                else if (connection.IsStalled(limit + SlowCloseWait + SlowCloseWait, now))
                {
                    // The receive loop should have aborted it by now; never leave a stuck socket behind.
                    connection.Abort();
                }
                continue;
            }
            switch (connection.CheckHeartbeat(o.HeartbeatInterval, o.HeartbeatTimeout, now))
            {
                case HeartbeatAction.Ping:
                    connection.Send(OutboundFrame.Ping);
                    break;
                case HeartbeatAction.Dead:
                    LogDead(logger, connection.Id, o.HeartbeatTimeout);
                    connection.Abort();
                    break;
            }
        }
    }

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Connection {ConnectionId} silent for {Timeout}: no pong, no data; aborted as dead")]
    private static partial void LogDead(ILogger logger, long connectionId, TimeSpan timeout);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "Shutting down: closing {Connections} connections with 1001 going away")]
    private static partial void LogGoingAway(ILogger logger, int connections);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Connection {ConnectionId} stalled: no send progress for {Limit}; closing with 4008 behind the stuck send")]
    private static partial void LogStalled(ILogger logger, long connectionId, TimeSpan limit);
}
