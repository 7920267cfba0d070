using System.Diagnostics.Metrics;

namespace OrleansPrices.Gateway.Hosting;

/// <summary>Gateway counters on the <c>OrleansPrices.Gateway</c> meter (exported at /metrics).</summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "OrleansPrices.Gateway";
    private readonly Meter _meter = new(MeterName);
    private readonly UpDownCounter<long> _connections;
    private long _framesSent;
    private readonly Counter<long> _conflated;
    private readonly Counter<long> _broadcasts;
    private readonly Counter<long> _rows;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _closes;

    public GatewayMetrics()
    {
        _connections = _meter.CreateUpDownCounter<long>("orleansprices.gateway.connections", description: "Open WebSocket connections");
        // Observed, not added to: a broadcast to 10,000 sockets would otherwise pay the exporter's
        // aggregation 10,000 times per message; an uncontended increment is all the send path pays.
        _meter.CreateObservableCounter("orleansprices.gateway.frames_sent", () => Volatile.Read(ref _framesSent), description: "WebSocket messages sent");
        _conflated = _meter.CreateCounter<long>("orleansprices.gateway.frames_conflated", description: "Price frames a lagging connection skipped (its next frame carries the latest values)");
        _broadcasts = _meter.CreateCounter<long>("orleansprices.gateway.broadcasts", description: "price_update messages encoded");
        _rows = _meter.CreateCounter<long>("orleansprices.gateway.broadcast_rows", description: "Stock rows in broadcast price_update messages");
        _errors = _meter.CreateCounter<long>("orleansprices.gateway.protocol_errors", description: "Error messages sent to clients, by code");
        _closes = _meter.CreateCounter<long>("orleansprices.gateway.closes", description: "Connections closed by the server, by close code");
    }

    /// <summary>This instance's meter (tests listen to one gateway's counters among several in a process).</summary>
    internal Meter Meter => _meter;

    public void Connected() => _connections.Add(1);
    public void Disconnected() => _connections.Add(-1);
    public void FrameSent() => Interlocked.Increment(ref _framesSent);
    public void Conflated() => _conflated.Add(1);

    public void Broadcast(int rows)
    {
        _broadcasts.Add(1);
        _rows.Add(rows);
    }

    public void ProtocolError(string code) => _errors.Add(1, new KeyValuePair<string, object?>("code", code));
    public void ServerClose(int code) => _closes.Add(1, new KeyValuePair<string, object?>("code", code));

    public void Dispose() => _meter.Dispose();
}
