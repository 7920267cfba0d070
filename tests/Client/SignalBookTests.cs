extern alias PriceClientLib;

using CsCheck;
using PriceClientLib::OrleansPrices.Client;
using Xunit;

namespace OrleansPrices.Tests.Clients;

public sealed class SignalBookTests
{
    private static SignalRow Signal(string tsCode) => new() { TsCode = tsCode, Code = tsCode[..6], Strategy = "volume_ratio", Signal = "BUY" };

    private static SignalUpdateEvent Update(long version, bool snapshot, string[] added, string[] removed) =>
        new("volume_ratio", version, snapshot, [.. added.Select(Signal)], removed);

    [Fact]
    public void A_snapshot_replaces_the_list_and_increments_add_and_remove()
    {
        var book = new SignalBook();
        Assert.True(book.Apply(Update(10, true, ["600000.SH", "000001.SZ"], [])));
        Assert.True(book.Apply(Update(11, false, ["300750.SZ"], ["600000.SH"])));
        Assert.Equal(["000001.SZ", "300750.SZ"], book.Lists["volume_ratio"].Rows.Keys.Order());
        Assert.Equal(11, book.Lists["volume_ratio"].Version);
        Assert.True(book.Contains("300750.SZ"));
        Assert.True(book.Apply(Update(5, true, ["601318.SH"], [])));
        Assert.Equal(["601318.SH"], book.Members());
    }

    [Fact]
    public void Increments_not_newer_than_the_list_are_ignored_and_skipped_versions_are_counted()
    {
        var book = new SignalBook();
        book.Apply(Update(10, true, ["600000.SH"], []));
        Assert.False(book.Apply(Update(10, false, [], ["600000.SH"])));
        Assert.False(book.Apply(Update(9, false, ["000001.SZ"], [])));
        Assert.Equal(["600000.SH"], book.Members());
        Assert.True(book.Apply(Update(13, false, ["000001.SZ"], [])));
        Assert.Equal(1, book.Gaps);
        book.Remove("volume_ratio");
        Assert.Empty(book.Lists);
    }

    /// <summary>Any sequence of entries and exits, delivered in order from a snapshot, ends as the server's list.</summary>
    [Fact]
    public void Increments_after_a_snapshot_reproduce_the_servers_list() =>
        Gen.Select(Gen.Int[0, 20].Array[0, 10], Gen.Select(Gen.Bool, Gen.Int[0, 20]).Array[0, 60], Gen.Int[0, 60]).Sample((start, changes, at) =>
        {
            static string Code(int i) => $"{600000 + i}.SH";
            var server = start.Select(Code).ToHashSet();
            var book = new SignalBook();
            var version = 1L;
            at = Math.Min(at, changes.Length);
            for (var i = 0; i < changes.Length; i++)
            {
                if (i == at) book.Apply(new SignalUpdateEvent("volume_ratio", version, true, [.. server.Select(Signal)], []));
                var (enter, n) = changes[i];
                var changed = enter ? server.Add(Code(n)) : server.Remove(Code(n));
                if (!changed) continue;
                version++;
                if (i >= at) book.Apply(Update(version, false, enter ? [Code(n)] : [], enter ? [] : [Code(n)]));
            }
            if (at == changes.Length) book.Apply(new SignalUpdateEvent("volume_ratio", version, true, [.. server.Select(Signal)], []));
            Assert.Equal(server.Order(), book.Members().Order());
            Assert.Equal(0, book.Gaps);
        });
}
