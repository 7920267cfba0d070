using System.Collections.Immutable;
using Orleans.Concurrency;
using OrleansPrices.Market.Strategies;

namespace OrleansPrices.Grains;

/// <summary>
/// The active buy signals of one strategy (keyed by the strategy's name). StockGrains call it only
/// when a signal starts or ends; every change is published to <see cref="StreamNames.Signals"/>
/// with the list's new version.
/// </summary>
[Alias("OrleansPrices.ISignalListGrain")]
public interface ISignalListGrain : IGrainWithStringKey
{
    [Alias("Upsert")]
    Task Upsert(SignalEntry entry);

    [Alias("Remove")]
    Task Remove(string tsCode);

    [ReadOnly, AlwaysInterleave, Alias("GetList")]
    Task<SignalListSnapshot> GetList();
}

/// <summary>One row of a signal list.</summary>
/// <param name="Market">Exchange: SH, SZ or BJ.</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.SignalEntry")]
public sealed record SignalEntry(
    [property: Id(0)] string TsCode,
    [property: Id(1)] string Name,
    [property: Id(2)] string Market,
    [property: Id(3)] Signal Signal)
{
    /// <summary>The bare six digits, the brief's <c>code</c>.</summary>
    public string Code => TsCode.Length > 6 ? TsCode[..6] : TsCode;
}

/// <param name="Version">Increases by one with every change; a change on the stream carries the version it produced.</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.SignalListSnapshot")]
public sealed record SignalListSnapshot(
    [property: Id(0)] string Strategy,
    [property: Id(1)] long Version,
    [property: Id(2)] ImmutableArray<SignalEntry> Entries);

/// <summary>A stock entered (<paramref name="Added"/>) or left (<paramref name="RemovedTsCode"/>) a list.</summary>
[GenerateSerializer, Immutable, Alias("OrleansPrices.SignalChange")]
public sealed record SignalChange(
    [property: Id(0)] string Strategy,
    [property: Id(1)] long Version,
    [property: Id(2)] SignalEntry? Added,
    [property: Id(3)] string? RemovedTsCode);
