using System.Text.Json;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Subscriptions;
using OrleansPrices.Grains;
using OrleansPrices.Market.Quotes;
using Xunit;

namespace OrleansPrices.Tests.Subscriptions;

public sealed class SubscriptionMessagesTests
{
    private static readonly Quote Q = new()
    {
        TsCode = "600000.SH", Name = "浦发银行", Price = 10m, PreClose = 9.9m, Open = 9.95m, High = 10.1m, Low = 9.9m,
        Volume = 1000, Amount = 10000m, Bid = 9.99m, Ask = 10m, Time = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public void An_update_row_carries_only_the_changed_fields_and_its_position()
    {
        using var row = JsonDocument.Parse(SubscriptionMessages.UpdateRow("600000.SH", Q, 7, 42, QuoteFields.Volume | QuoteFields.Amount));
        var names = row.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["ts_code", "code", "epoch", "seq", "volume", "amount"], names);
        Assert.Equal(42, row.RootElement.GetProperty("seq").GetInt64());
    }

    [Fact]
    public void A_price_change_brings_the_change_percent_and_a_snapshot_row_has_everything()
    {
        using var update = JsonDocument.Parse(SubscriptionMessages.UpdateRow("600000.SH", Q, 7, 42, QuoteFields.Price));
        Assert.Equal("10.00", update.RootElement.GetProperty("price").GetRawText());
        Assert.Equal("1.01", update.RootElement.GetProperty("change_percent").GetRawText());

        using var full = JsonDocument.Parse(SubscriptionMessages.SnapshotRow("600000.SH", Q, 7, 42));
        foreach (var f in new[] { "name", "price", "change_percent", "volume", "amount", "open", "high", "low", "pre_close", "bid", "ask", "suspended", "time" })
        {
            Assert.True(full.RootElement.TryGetProperty(f, out _), f);
        }
    }

    [Fact]
    public void Update_and_snapshot_messages_splice_rows_into_valid_json()
    {
        var rows = new[] { SubscriptionMessages.UpdateRow("600000.SH", Q, 7, 1, QuoteFields.Price), SubscriptionMessages.UpdateRow("000001.SZ", Q with { TsCode = "000001.SZ" }, 8, 2, QuoteFields.Volume) };
        using var update = JsonDocument.Parse(SubscriptionMessages.Update(rows, 123));
        Assert.Equal("update", update.RootElement.GetProperty("type").GetString());
        Assert.Equal(2, update.RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal(123, update.RootElement.GetProperty("ts").GetInt64());

        using var empty = JsonDocument.Parse(SubscriptionMessages.Snapshot([], recovered: false, 5));
        Assert.False(empty.RootElement.GetProperty("recovered").GetBoolean());
        Assert.Equal(0, empty.RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public void The_price_book_keeps_an_unbroken_run_of_recent_deltas()
    {
        var book = new PriceBook();
        PriceDelta D(long seq) => new("600000.SH", 1, seq, QuoteFields.Price, Q with { Price = 10m + seq * 0.01m }, seq);
        for (var seq = 1; seq <= 100; seq++) book.TryApply(D(seq));
        Assert.True(book.TryGet("600000.SH", out var entry));
        Assert.Equal(PriceBook.RecentDeltas, entry.Recent.Length);
        Assert.True(entry.TryGetAfter(1, 90, out var after));
        Assert.Equal(Enumerable.Range(91, 10).Select(i => (long)i), after.ToArray().Select(d => d.Seq));
        Assert.False(entry.TryGetAfter(1, 10, out _));    // older than the run
        Assert.False(entry.TryGetAfter(2, 90, out _));    // another epoch

        // A snapshot value breaks the run: nothing to replay from the book.
        book.TryApply("600000.SH", Q, 1, 105, 0);
        Assert.True(book.TryGet("600000.SH", out entry));
        Assert.Empty(entry.Recent);
        Assert.False(entry.TryGetAfter(1, 100, out _));
    }
}
