namespace OrleansPrices.Client;

/// <summary>Something the client received or a change of its connection; read with <see cref="PriceClient.ReadAllAsync"/>.</summary>
public abstract record PriceEvent;

/// <summary><c>connected</c>: the first message of every connection.</summary>
public sealed record ConnectedEvent(string? Message, int? HeartbeatIntervalSeconds, long? Ts) : PriceEvent;

/// <summary><c>pong</c>: the reply to the client's heartbeat <c>ping</c>.</summary>
public sealed record PongEvent(long? Ts) : PriceEvent;

/// <summary><c>status</c>: market phase and data freshness, on connect and on every change.</summary>
public sealed record StatusEvent(string Phase, string? TradingDay, string? NextOpen, bool Stale, long? Ts) : PriceEvent;

/// <summary><c>subscribed</c>: the full subscription set after a subscribe, unsubscribe or resume.</summary>
public sealed record SubscribedEvent(string? Id, IReadOnlyList<string> Codes, IReadOnlyList<string> Lists) : PriceEvent;

/// <summary><c>snapshot</c>: current full rows; <see cref="Recovered"/> false means history was lost and these replace what was held.</summary>
public sealed record SnapshotEvent(bool Recovered, IReadOnlyList<StockRow> Rows) : PriceEvent;

/// <summary><c>update</c>: per stock only the fields that changed, each row with its (epoch, seq).</summary>
public sealed record UpdateEvent(IReadOnlyList<StockRow> Rows, long? Ts) : PriceEvent;

/// <summary><c>price_update</c>: the brief's default stream (full rows of code, ts_code, name, price, change_percent, volume).</summary>
public sealed record PriceUpdateEvent(IReadOnlyList<StockRow> Rows, long? Seq, long? Ts, string? Timestamp) : PriceEvent;

/// <summary><c>signal_update</c>: stocks entering (<see cref="Added"/>) or leaving (<see cref="Removed"/>, ts_codes) a strategy's list.</summary>
public sealed record SignalUpdateEvent(
    string Strategy,
    long Version,
    bool IsSnapshot,
    IReadOnlyList<SignalRow> Added,
    IReadOnlyList<string> Removed) : PriceEvent;

/// <summary><c>error</c>: the connection stays open. <see cref="Codes"/> names unknown codes for <c>unknown_codes</c>.</summary>
public sealed record ErrorEvent(string? Id, string Code, string? Message, IReadOnlyList<string> Codes) : PriceEvent;

/// <summary>A message whose <c>type</c> this client doesn't know (a newer server); ignored otherwise.</summary>
public sealed record UnknownEvent(string Type) : PriceEvent;

/// <summary>The client's connection changed state.</summary>
public sealed record ConnectionStateChanged(ConnectionState State) : PriceEvent;
