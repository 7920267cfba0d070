namespace OrleansPrices.Client;

/// <summary>
/// Exponential backoff with full jitter: attempt n (from 0) waits a uniformly random time in
/// [0, min(max, initial × multiplier^n)]. Pure apart from the injected <see cref="Random"/>.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly double _multiplier;
    private readonly Random _random;

    public ReconnectBackoff(TimeSpan initial, TimeSpan max, double multiplier, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        ArgumentOutOfRangeException.ThrowIfLessThan(multiplier, 1.0);
        ArgumentNullException.ThrowIfNull(random);
        _initial = initial;
        _max = max;
        _multiplier = multiplier;
        _random = random;
    }

    /// <summary>The upper bound of the delay before attempt <paramref name="attempt"/> (0-based).</summary>
    public TimeSpan Ceiling(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var ticks = _initial.Ticks * Math.Pow(_multiplier, attempt);
        return ticks >= _max.Ticks || double.IsInfinity(ticks) ? _max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The delay before attempt <paramref name="attempt"/>: random in [0, <see cref="Ceiling"/>].</summary>
    public TimeSpan Delay(int attempt) => TimeSpan.FromTicks((long)(Ceiling(attempt).Ticks * _random.NextDouble()));
}
