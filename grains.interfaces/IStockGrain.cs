using System.Collections.Immutable;
using Orleans.Concurrency;
using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Grains;

/// <summary>
/// One stock, keyed by ts_code (<c>600000.SH</c>): its latest quote, today's bar and recent daily
/// bars. Publishes a <see cref="PriceDelta"/> to <see cref="StreamNames.Prices"/> whenever a new
/// snapshot changes anything while someone follows it (<see cref="Follow"/>), and tells the
/// strategies' SignalListGrains when its signals start or end.
/// </summary>
[Alias("OrleansPrices.IStockGrain")]
public interface IStockGrain : IGrainWithStringKey
{
    /// <summary>Applies a new snapshot; returns the published delta's seq, or null when nothing changed.</summary>
    [Alias("ApplyQuote")]
    Task<long?> ApplyQuote(Quote quote);

    [ReadOnly, Alias("GetSnapshot")]
    Task<StockSnapshot> GetSnapshot();

    /// <summary>The latest quote with its epoch and seq, without the bars: what a gateway's watchdog compares with its book.</summary>
    [ReadOnly, AlwaysInterleave, Alias("GetHead")]
    Task<StockHead> GetHead();

    /// <summary>
    /// A follower (a gateway that subscribed to the stock's stream) asks for its deltas for
    /// <paramref name="lease"/> more (at most <c>Grid:Stocks:MaxFollowLease</c>) and gets the head
    /// with the lease granted.
    /// A stock nobody has followed for that long stops publishing (the deltas still count: seq goes
    /// on, the resume history keeps them); a new activation publishes for the longest lease, so
    /// followers renewing in time see no gap when a grain moves to another silo.
    /// </summary>
    [AlwaysInterleave, Alias("Follow")]
    Task<StockHead> Follow(TimeSpan lease);

    /// <summary>
    /// For a reconnecting client at (<paramref name="epoch"/>, <paramref name="seq"/>): the deltas it
    /// missed, in order, when the grain still holds them all; otherwise not recovered, with the
    /// current quote for a fresh snapshot.
    /// </summary>
    [ReadOnly, AlwaysInterleave, Alias("GetSince")]
    Task<DeltaReplay> GetSince(long epoch, long seq);
}

/// <summary>
/// A StockGrain's latest published state, cheap to ask for; from <see cref="IStockGrain.Follow"/>
/// also the lease granted (the one asked for, or the grain's longest if that is shorter).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansPrices.StockHead")]
public sealed record StockHead(
    [property: Id(0)] string TsCode,
    [property: Id(1)] long Epoch,
    [property: Id(2)] long Seq,
    [property: Id(3)] Quote? Quote,
    [property: Id(4)] TimeSpan? Lease = null);

/// <summary>The state a StockGrain serves: everything needed to start following a stock.</summary>
[GenerateSerializer, Immutable, Alias("OrleansPrices.StockSnapshot")]
public sealed record StockSnapshot(
    [property: Id(0)] string TsCode,
    [property: Id(1)] long Epoch,
    [property: Id(2)] long Seq,
    [property: Id(3)] Quote? Quote,
    [property: Id(4)] DailyBar? Today,
    [property: Id(5)] ImmutableArray<DailyBar> History,
    [property: Id(6)] ImmutableArray<string> ActiveSignals);

/// <summary>The answer to <see cref="IStockGrain.GetSince"/>.</summary>
[GenerateSerializer, Immutable, Alias("OrleansPrices.DeltaReplay")]
public sealed record DeltaReplay(
    [property: Id(0)] bool Recovered,
    [property: Id(1)] ImmutableArray<PriceDelta> Deltas,
    [property: Id(2)] long Epoch,
    [property: Id(3)] long Seq,
    [property: Id(4)] Quote? Quote);
