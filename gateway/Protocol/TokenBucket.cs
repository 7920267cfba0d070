namespace OrleansPrices.Gateway.Protocol;

/// <summary>
/// A token bucket: <paramref name="ratePerSecond"/> tokens a second, up to <paramref name="burst"/>.
/// Not thread-safe: one per connection, used by its receive loop.
/// </summary>
public sealed class TokenBucket(double ratePerSecond, double burst, TimeProvider time)
{
    private readonly double _burst = burst;
    private double _tokens = burst;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * ratePerSecond);
        _last = now;
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }
}
