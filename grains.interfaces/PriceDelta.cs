using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Grains;

/// <summary>
/// What a StockGrain publishes when a new snapshot differs from the last one: the fields that
/// changed and the full new snapshot (receivers that want full rows, like the brief's clients,
/// need no second lookup).
/// </summary>
/// <param name="Epoch">Identifies the run of sequence numbers; changes when the grain lost its history.</param>
/// <param name="Seq">Per stock, per epoch, strictly increasing by one.</param>
/// <param name="PublishedAtMicros">Publish time, Unix epoch microseconds.</param>
[GenerateSerializer, Immutable, Alias("OrleansPrices.PriceDelta")]
public sealed record PriceDelta(
    [property: Id(0)] string TsCode,
    [property: Id(1)] long Epoch,
    [property: Id(2)] long Seq,
    [property: Id(3)] QuoteFields Changed,
    [property: Id(4)] Quote Quote,
    [property: Id(5)] long PublishedAtMicros);
