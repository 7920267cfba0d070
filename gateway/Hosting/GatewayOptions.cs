using System.ComponentModel.DataAnnotations;
using System.IO.Compression;
using OrleansPrices.Gateway.Prices;

namespace OrleansPrices.Gateway.Hosting;

/// <summary>The gateway's WebSocket and REST behaviour, bound from <c>Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// How long a call from the gateway into the grid may take. Cluster mode: Orleans'
    /// <c>ResponseTimeout</c> for every grain call (30 s by default); a call that reached a silo just
    /// before it died gets no answer at all, and would otherwise hold up the stream watchdog's
    /// repairs and a shutdown for that long. Both modes: the bound on each price-stream subscribe,
    /// unsubscribe and watchdog probe (<see cref="PriceSubscriptions"/>; with Redis away a
    /// subscription fails only after the storage timeout, and one completing later is dropped).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00")]
    public TimeSpan GrainCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a stopping gateway (SIGTERM) waits for its services to stop, after closing every
    /// client with 1001, before it exits anyway (the .NET default is 30 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>WebSocket ping interval (the server's heartbeat), also announced in <c>connected</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A peer that answers no WebSocket ping for this long is closed as dead.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest client message; a bigger one closes the connection with 1009.</summary>
    [Range(256, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Frames a connection may have waiting; past it, price frames conflate (latest value per stock wins).</summary>
    [Range(2, 4096)]
    public int MaxQueuedFrames { get; set; } = 16;

    /// <summary>A connection whose send has not completed for this long is closed as a stalled consumer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SlowConsumerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Client messages per second a connection may send (token bucket rate).</summary>
    [Range(0.1, 10_000)]
    public double MessagesPerSecond { get; set; } = 10;

    /// <summary>Token bucket size: short bursts above the rate that are still accepted.</summary>
    [Range(1, 10_000)]
    public double MessageBurst { get; set; } = 20;

    /// <summary>Messages dropped with <c>rate_limited</c> before the server closes with 1008.</summary>
    [Range(1, 100_000)]
    public int MaxRateViolations { get; set; } = 20;

    /// <summary>Stock codes one connection may subscribe to (list members do not count).</summary>
    [Range(1, 100_000)]
    public int MaxCodesPerConnection { get; set; } = 500;

    /// <summary>Subscribe, unsubscribe and resume messages per second a connection may send (token bucket rate).</summary>
    [Range(0.1, 1000)]
    public double SubscribesPerSecond { get; set; } = 5;

    /// <summary>Token bucket size for subscribe-type messages.</summary>
    [Range(1, 1000)]
    public double SubscribeBurst { get; set; } = 10;

    /// <summary>During trading phases, no price change for this long marks the data stale in <c>status</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Open WebSocket connections at most; more are refused with HTTP 503 before the upgrade.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 20_000;

    /// <summary>
    /// Deltas arriving within this window go out in one <c>price_update</c>; while they keep coming
    /// (one within the last 1.5 windows) the message waits on, up to four windows after the first.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Accept permessage-deflate (RFC 7692) when a client offers it. Off by default: see
    /// docs/protocol.md, Compression, for the measured cost.
    /// </summary>
    public bool PerMessageDeflate { get; set; }

    /// <summary>Server messages shorter than this go uncompressed even to deflate clients (too small to gain).</summary>
    [Range(0, 16 * 1024 * 1024)]
    public int DeflateMinBytes { get; set; } = 256;

    /// <summary>zlib effort for server messages: Fastest (level 1) or Optimal (level 6) or SmallestSize (level 9).</summary>
    [AllowedValues(CompressionLevel.Fastest, CompressionLevel.Optimal, CompressionLevel.SmallestSize)]
    public CompressionLevel DeflateLevel { get; set; } = CompressionLevel.Fastest;

    /// <summary>
    /// What a connection that never subscribes receives: the stocks of the buy-signal lists (the
    /// brief's default) or every stock of the universe.
    /// </summary>
    public DefaultStreamScope DefaultStream { get; set; } = DefaultStreamScope.SignalLists;

    /// <summary>How often cached signal lists are checked against their grains (streams carry changes in between).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ListReconcileInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Run request and socket continuations on the socket I/O thread instead of queueing them to the
    /// thread pool (Kestrel's <c>SocketTransportOptions.UnsafePreferInlineScheduling</c>), so a REST
    /// request is not queued behind a tick's ingest work. Every handler then must not block. On by
    /// default, with at least four socket I/O threads: it takes the ticks out of the REST tail and
    /// costs the WebSocket fan-out nothing; on one socket thread, at 1,000 req/s of 220 KB answers,
    /// some requests stalled for up to 1.1 s (docs/architecture.md, REST latency).
    /// </summary>
    public bool InlineSocketScheduling { get; set; } = true;

    /// <summary>
    /// With <see cref="InlineSocketScheduling"/> on Linux 6.12 or later (EEVDF), the scheduler time
    /// slice asked for the socket I/O threads (<c>sched_setattr</c>; no privilege needed). A thread
    /// with a short slice gets the core soon after it wakes, so a request does not wait out the
    /// slice of a thread-pool worker that runs a tick's grain work (1.4 ms by default on two
    /// cores). Zero leaves the kernel's default. The kernel clamps it to 0.1–100 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.100")]
    public TimeSpan SocketThreadSlice { get; set; } = TimeSpan.FromMilliseconds(0.1);
}
