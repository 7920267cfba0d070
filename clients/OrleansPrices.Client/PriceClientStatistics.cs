using System.Collections.Concurrent;

namespace OrleansPrices.Client;

/// <summary>Counters of one <see cref="PriceClient"/>, safe to read at any time.</summary>
public sealed class PriceClientStatistics
{
    private readonly ConcurrentDictionary<string, long> _byType = new(StringComparer.Ordinal);
    private long _messages;
    private long _bytes;
    private long _connections;
    private long _pings;
    private long _dropped;
    private long _decodeErrors;

    /// <summary>Server messages received.</summary>
    public long MessagesReceived => Interlocked.Read(ref _messages);

    /// <summary>Payload bytes of those messages.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    /// <summary>Messages received by <c>type</c>.</summary>
    public IReadOnlyDictionary<string, long> MessagesByType => _byType;

    /// <summary>Connections that went live (the first one and every reconnect).</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Heartbeat pings sent (counted as each is handed to the socket).</summary>
    public long PingsSent => Interlocked.Read(ref _pings);

    /// <summary>Events dropped from the <see cref="PriceClient.ReadAllAsync"/> buffer because the reader lagged.</summary>
    public long EventsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Server messages that could not be decoded (skipped).</summary>
    public long DecodeErrors => Interlocked.Read(ref _decodeErrors);

    public long Count(string type) => _byType.TryGetValue(type, out var n) ? n : 0;

    internal void Received(string type, int bytes)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, bytes);
        _byType.AddOrUpdate(type, 1, (_, n) => n + 1);
    }

    internal void Connected() => Interlocked.Increment(ref _connections);

    internal void PingSent() => Interlocked.Increment(ref _pings);

    internal void Dropped() => Interlocked.Increment(ref _dropped);

    internal void DecodeError() => Interlocked.Increment(ref _decodeErrors);
}
