using CsCheck;
using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;
using Xunit;

namespace OrleansPrices.Tests.Subscriptions;

public sealed class DeltaHistoryTests
{
    private const long Epoch = 1_795_000_000_000_000;

    private static PriceDelta Delta(long epoch, long seq) => new(
        "600000.SH", epoch, seq, QuoteFields.Price,
        new Quote { TsCode = "600000.SH", Name = "浦发银行", Price = 10m + seq * 0.01m, Volume = seq * 100 }, seq);

    /// <summary>
    /// For any history size, any number of updates and any disconnect point: resume yields exactly
    /// the missing increments, in order, or says a snapshot is needed; replaying the increments
    /// onto what the client had reproduces the server's state.
    /// </summary>
    [Fact]
    public void Resume_yields_exactly_the_missing_increments_or_a_snapshot() =>
        Gen.Select(Gen.Int[1, 64], Gen.Int[0, 300], Gen.Double[0, 1]).Sample((capacity, updates, at) =>
        {
            var history = new DeltaHistory(capacity);
            var published = new List<PriceDelta>();
            for (var seq = 1; seq <= updates; seq++)
            {
                var d = Delta(Epoch, seq);
                history.Append(d);
                published.Add(d);
            }
            var disconnectedAt = (long)Math.Round(at * updates);
            Quote? client = disconnectedAt == 0 ? null : published[(int)disconnectedAt - 1].Quote;
            Quote? server = updates == 0 ? null : published[^1].Quote;

            var replayable = history.TryGetSince(Epoch, disconnectedAt, Epoch, updates, out var replay);
            var missed = updates - disconnectedAt;
            Assert.Equal(missed <= capacity, replayable);
            if (replayable)
            {
                Assert.Equal(Enumerable.Range((int)disconnectedAt + 1, (int)missed).Select(i => (long)i), replay.Select(d => d.Seq));
                foreach (var d in replay) client = d.Quote;
                Assert.Equal(server, client);
            }
        });

    [Fact]
    public void Another_epoch_or_a_position_ahead_of_the_server_needs_a_snapshot()
    {
        var history = new DeltaHistory(10);
        for (var seq = 1; seq <= 5; seq++) history.Append(Delta(Epoch, seq));
        Assert.False(history.TryGetSince(Epoch - 1, 3, Epoch, 5, out _));
        Assert.False(history.TryGetSince(Epoch, 6, Epoch, 5, out _));
        Assert.True(history.TryGetSince(Epoch, 5, Epoch, 5, out var none));
        Assert.Empty(none);
    }

    [Fact]
    public void A_new_epoch_restarts_the_history()
    {
        var history = new DeltaHistory(10);
        for (var seq = 1; seq <= 5; seq++) history.Append(Delta(Epoch, seq));
        history.Append(Delta(Epoch + 1, 1));
        Assert.Equal(1, history.Count);
        Assert.Equal(1, history.OldestSeq);
        Assert.True(history.TryGetSince(Epoch + 1, 0, Epoch + 1, 1, out var replay));
        Assert.Single(replay);
    }

    /// <summary>The history keeps quotes by value: what comes back is the quote that went in, every field of it.</summary>
    [Fact]
    public void A_replayed_delta_carries_every_field_of_the_quote()
    {
        var quote = new Quote
        {
            TsCode = "300750.SZ", Name = "宁德时代", Price = 201.5m, PreClose = 199.98m, Open = 200.1m, High = 203.33m, Low = 198.7m,
            Volume = 12_345_600, Amount = 2_480_000_123.45m, Bid = 201.49m, Ask = 201.51m, Suspended = true,
            Time = new DateTimeOffset(2026, 11, 26, 10, 31, 3, TimeSpan.FromHours(8)),
        };
        // A field added to Quote and not to the history's entry would come back as its default.
        var unset = typeof(Quote).GetProperties().Where(p => p.CanWrite)
            .Where(p => Equals(p.GetValue(quote), p.PropertyType.IsValueType ? Activator.CreateInstance(p.PropertyType) : null))
            .Select(p => p.Name);
        Assert.Empty(unset);
        var sent = new PriceDelta(quote.TsCode, Epoch, 1, QuoteFields.Price | QuoteFields.Volume, quote, 1_795_000_000_123_456);
        var history = new DeltaHistory(4);
        history.Append(sent);

        Assert.True(history.TryGetSince(Epoch, 0, Epoch, 1, out var replay));
        Assert.Equal(sent, Assert.Single(replay));
    }

    /// <summary>Names are kept by index: a rename (an ST designation) mid-history leaves the earlier deltas their own name.</summary>
    [Fact]
    public void A_rename_keeps_each_delta_its_own_name()
    {
        var history = new DeltaHistory(40);
        string[] names = ["浦发银行", "ST浦发", "浦发银行"];
        for (var seq = 1; seq <= 30; seq++)
        {
            var d = Delta(Epoch, seq);
            history.Append(d with { Quote = d.Quote with { Name = names[(seq - 1) / 10] } });
        }
        Assert.True(history.TryGetSince(Epoch, 0, Epoch, 30, out var replay));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => names[i / 10]), replay.Select(d => d.Quote.Name));
        Assert.Equal("浦发银行", history.NewestQuote?.Name);
    }

    [Fact]
    public void A_gap_in_seq_is_refused()
    {
        var history = new DeltaHistory(10);
        history.Append(Delta(Epoch, 1));
        Assert.Throws<ArgumentException>(() => history.Append(Delta(Epoch, 3)));
    }
}
