namespace OrleansPrices.Market.Simulation;

/// <summary>Deterministic random helpers of the simulator: seeds derived from names, normal draws.</summary>
internal static class SeededRandom
{
    /// <summary>
    /// A seed for <paramref name="key"/> under <paramref name="seed"/>: FNV-1a over the key's chars,
    /// mixed with the seed and finished with a 32-bit avalanche (string.GetHashCode is randomised per
    /// process, so it would break determinism).
    /// </summary>
    public static int Derive(int seed, string key)
    {
        unchecked
        {
            var hash = 2166136261u ^ (uint)seed;
            foreach (var c in key)
            {
                hash = (hash ^ c) * 16777619u;
            }
            hash ^= (uint)seed * 0x9E3779B9u;
            hash ^= hash >> 16;
            hash *= 0x85EBCA6Bu;
            hash ^= hash >> 13;
            hash *= 0xC2B2AE35u;
            hash ^= hash >> 16;
            return (int)(hash & 0x7FFFFFFF);
        }
    }

    /// <summary>A standard normal draw (Box–Muller, one value per call so the draw count stays simple).</summary>
    public static double NextGaussian(this Random random)
    {
        var u1 = 1.0 - random.NextDouble(); // (0, 1]: log is finite
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A uniform draw in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public static double NextDouble(this Random random, double min, double max) => min + (max - min) * random.NextDouble();
}
