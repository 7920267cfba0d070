using Microsoft.Extensions.Time.Testing;
using OrleansPrices.Gateway.Subscriptions;
using Xunit;

namespace OrleansPrices.Tests.Subscriptions;

public sealed class ClientSubscriptionsTests
{
    [Fact]
    public void Codes_beyond_the_limit_are_rejected_by_name()
    {
        var subs = new ClientSubscriptions(maxCodes: 2);
        Assert.True(subs.IsDefaultStream);
        var (added, over) = subs.Add(["600000.SH", "000001.SZ", "300750.SZ"], null);
        Assert.False(subs.IsDefaultStream);
        Assert.Equal(["600000.SH", "000001.SZ"], added);
        Assert.Equal(["300750.SZ"], over);
        Assert.Equal(["000001.SZ"], subs.Remove(["000001.SZ", "688981.SH"]));
        Assert.Equal(["300750.SZ"], subs.Add(["300750.SZ"], null).Added);
    }

    [Fact]
    public void A_rate_limit_lets_one_change_through_per_interval_and_marks_the_rest_pending()
    {
        var time = new FakeTimeProvider();
        var follow = new StockFollow(TimeSpan.FromSeconds(1));
        Assert.True(follow.TryPass(time.GetTimestamp(), time));
        time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.False(follow.TryPass(time.GetTimestamp(), time));
        Assert.True(follow.Pending);
        time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.False(follow.TryPass(time.GetTimestamp(), time));
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.True(follow.TryPass(time.GetTimestamp(), time));
        Assert.False(follow.Pending);
    }

    [Fact]
    public void Without_a_rate_every_change_passes()
    {
        var time = new FakeTimeProvider();
        var follow = new StockFollow(TimeSpan.Zero);
        for (var i = 0; i < 10; i++) Assert.True(follow.TryPass(time.GetTimestamp(), time));
    }
}
