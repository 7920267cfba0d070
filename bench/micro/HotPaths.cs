using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Time.Testing;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Gateway.Subscriptions;
using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;

namespace OrleansPrices.Bench.Micro;

/// <summary>The work done per stock per tick and per broadcast, without I/O.</summary>
[MemoryDiagnoser]
public class HotPaths
{
    private Quote _before = null!;
    private Quote _after = null!;
    private PriceRow[] _rows = null!;
    private PriceBook _book = null!;
    private long _seq;
    private StockFollow _follow = null!;
    private FakeTimeProvider _time = null!;
    private byte[][] _encodedRows = null!;

    [GlobalSetup]
    public void Setup()
    {
        _before = new Quote
        {
            TsCode = "600000.SH", Name = "浦发银行", Price = 10.23m, PreClose = 10.10m, Open = 10.12m, High = 10.30m, Low = 10.05m,
            Volume = 12_345_600, Amount = 126_000_000m, Bid = 10.22m, Ask = 10.23m, Time = DateTimeOffset.UnixEpoch,
        };
        _after = _before with { Price = 10.24m, Volume = 12_350_000, Amount = 126_045_000m, Bid = 10.23m, Ask = 10.24m, Time = DateTimeOffset.UnixEpoch.AddSeconds(3) };
        _rows = [.. Enumerable.Range(0, 50).Select(i => new PriceRow($"{600000 + i}.SH", _after with { TsCode = $"{600000 + i}.SH" }))];
        _encodedRows = [.. _rows.Select(r => SubscriptionMessages.UpdateRow(r.TsCode, r.Quote, 1, 1, QuoteFields.Price | QuoteFields.Volume))];
        _book = new PriceBook();
        _time = new FakeTimeProvider();
        _follow = new StockFollow(TimeSpan.FromSeconds(1));
    }

    /// <summary>StockGrain: which fields changed between two snapshots.</summary>
    [Benchmark]
    public QuoteFields DeltaComputation() => QuoteDiff.Compare(_before, _after);

    /// <summary>Gateway: one brief-style price_update of 50 stocks, encoded once per broadcast.</summary>
    [Benchmark]
    public byte[] EncodePriceUpdate50() => ServerMessages.PriceUpdate(_rows, 42, 1_795_000_000_000_000);

    /// <summary>Gateway: the same message framed for the wire (RFC 6455 header + payload), once per broadcast.</summary>
    [Benchmark]
    public OutboundFrameBytes FramePriceUpdate50() => new(WebSocketFrames.Text(ServerMessages.PriceUpdate(_rows, 42, 1_795_000_000_000_000)));

    /// <summary>Gateway, subscriptions: one stock's changed-fields row, encoded once per delta.</summary>
    [Benchmark]
    public byte[] EncodeUpdateRow() => SubscriptionMessages.UpdateRow("600000.SH", _after, 1, 1, QuoteFields.Price | QuoteFields.Volume | QuoteFields.Amount);

    /// <summary>Gateway, subscriptions: splicing 50 pre-encoded rows into one client's update message.</summary>
    [Benchmark]
    public byte[] SpliceUpdate50() => SubscriptionMessages.Update(_encodedRows, 1_795_000_000_000_000);

    /// <summary>Gateway: applying a delta to the price book (drop-if-not-newer, recent run kept).</summary>
    [Benchmark]
    public bool PriceBookApply() =>
        _book.TryApply(new PriceDelta("600000.SH", 1, ++_seq, QuoteFields.Price, _after, 1));

    /// <summary>Conflation: the per-client, per-stock rate decision.</summary>
    [Benchmark]
    public bool ConflationDecision()
    {
        _time.Advance(TimeSpan.FromMilliseconds(100));
        return _follow.TryPass(_time.GetTimestamp(), _time);
    }
}

/// <summary>Keeps the framed bytes alive so the benchmark measures the work.</summary>
public readonly record struct OutboundFrameBytes(byte[] Bytes);
