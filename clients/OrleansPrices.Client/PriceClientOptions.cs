namespace OrleansPrices.Client;

/// <summary>Settings of a <see cref="PriceClient"/>; every one has a default except <see cref="Uri"/>.</summary>
public sealed class PriceClientOptions
{
    /// <summary>The gateway's socket, e.g. <c>ws://127.0.0.1:8000/ws/stock/prices</c>.</summary>
    public required Uri Uri { get; init; }

    /// <summary>Upper bound of the first reconnect delay (full jitter: the delay is random below it).</summary>
    public TimeSpan ReconnectInitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of the reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Growth of the delay bound per failed attempt.</summary>
    public double ReconnectMultiplier { get; init; } = 2;

    /// <summary>A connection that stayed live this long resets the backoff to its first step.</summary>
    public TimeSpan BackoffResetAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the client sends <c>{"type":"ping"}</c>; a connection with no message at all for
    /// twice this long, and none for this long after a ping, is dead and is dropped (then
    /// reconnected). Null: the server's announced
    /// <c>heartbeat_interval</c> (30 s on the gateway's defaults).
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>Longest wait for the TCP + WebSocket handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest server message accepted (a full snapshot of thousands of stocks is a few MB).</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>
    /// Events buffered for <see cref="PriceClient.ReadAllAsync"/>. When the reader falls this far
    /// behind, the oldest events are dropped (counted in <see cref="PriceClientStatistics.EventsDropped"/>);
    /// <see cref="PriceClient.Table"/> is always current regardless.
    /// </summary>
    public int EventCapacity { get; init; } = 10_000;

    /// <summary>Offer permessage-deflate (the server may decline).</summary>
    public bool Compression { get; init; }

    /// <summary>Clock for delays and heartbeats (tests inject a fake).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Source of the reconnect jitter (tests inject a seeded one). Must be safe for one caller at a time.</summary>
    public Random Random { get; init; } = Random.Shared;
}
