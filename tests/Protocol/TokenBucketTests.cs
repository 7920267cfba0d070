using Microsoft.Extensions.Time.Testing;
using OrleansPrices.Gateway.Protocol;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

public sealed class TokenBucketTests
{
    [Fact]
    public void Allows_the_burst_then_the_rate()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 5, time);
        for (var i = 0; i < 5; i++) Assert.True(bucket.TryTake());
        Assert.False(bucket.TryTake());

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(bucket.TryTake());
        Assert.False(bucket.TryTake());

        // Idle time refills only up to the burst.
        time.Advance(TimeSpan.FromSeconds(60));
        for (var i = 0; i < 5; i++) Assert.True(bucket.TryTake());
        Assert.False(bucket.TryTake());
    }
}
