extern alias PriceClientLib;

using CsCheck;
using PriceClientLib::OrleansPrices.Client;
using Xunit;

namespace OrleansPrices.Tests.Clients;

public sealed class ReconnectPolicyTests
{
    /// <summary>A <see cref="Random"/> whose draws are fixed: 0.999… gives the ceiling, 0 gives no wait.</summary>
    internal sealed class FixedRandom(double value) : Random
    {
        protected override double Sample() => value;
    }

    private static ReconnectBackoff Backoff(Random random) =>
        new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 2, random);

    [Fact]
    public void The_ceiling_doubles_from_one_second_and_caps_at_thirty() =>
        Assert.Equal(
            new[] { 1, 2, 4, 8, 16, 30, 30, 30 }.Select(s => TimeSpan.FromSeconds(s)),
            Enumerable.Range(0, 8).Select(Backoff(new FixedRandom(0.5)).Ceiling));

    [Fact]
    public void Full_jitter_scales_the_ceiling_by_the_random_draw()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), Backoff(new FixedRandom(0.5)).Delay(2));
        Assert.Equal(TimeSpan.Zero, Backoff(new FixedRandom(0)).Delay(5));
        Assert.Equal(TimeSpan.FromSeconds(15), Backoff(new FixedRandom(0.5)).Delay(40));
    }

    /// <summary>For any seed and attempt: 0 ≤ delay ≤ min(30 s, 1 s × 2^attempt), and huge attempts don't overflow.</summary>
    [Fact]
    public void Every_delay_lies_within_zero_and_the_ceiling() =>
        Gen.Select(Gen.Int, Gen.Int[0, 100_000]).Sample((seed, attempt) =>
        {
            var backoff = Backoff(new Random(seed));
            var delay = backoff.Delay(attempt);
            var ceiling = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(attempt, 30))));
            Assert.Equal(ceiling, backoff.Ceiling(attempt));
            Assert.InRange(delay, TimeSpan.Zero, ceiling);
        });

    [Fact]
    public void Jitter_spreads_the_delays_of_one_attempt()
    {
        var backoff = Backoff(new Random(42));
        var delays = Enumerable.Range(0, 1000).Select(_ => backoff.Delay(4).TotalSeconds).ToList();
        Assert.InRange(delays.Average(), 7, 9); // uniform on [0, 16 s]
        Assert.True(delays.Min() < 1 && delays.Max() > 15);
    }

    [Theory]
    [InlineData(1000, true)]
    [InlineData(1001, true)]
    [InlineData(1006, true)]
    [InlineData(1011, true)]
    [InlineData(4008, true)]
    [InlineData(1008, false)]
    [InlineData(1009, false)]
    public void Reconnects_except_after_1008_and_1009(int code, bool reconnect) =>
        Assert.Equal(reconnect, CloseCodes.ShouldReconnect(code));

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.Zero, TimeSpan.FromSeconds(1), 2, Random.Shared));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 2, Random.Shared));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), 0.5, Random.Shared));
    }
}
