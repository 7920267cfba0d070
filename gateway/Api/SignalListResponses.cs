namespace OrleansPrices.Gateway.Api;

/// <summary>
/// Encoded signal-list responses, one per strategy filter, each valid for the list versions and
/// the broadcast seq it was built at. Thousands of app launches a second then cost a dictionary
/// lookup, and the body is re-encoded at most once per price tick.
/// </summary>
public sealed class SignalListResponses
{
    private sealed record Cached(IReadOnlyDictionary<string, long> Versions, long Batch, byte[] Body);

    private readonly Dictionary<string, Cached> _cache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public byte[] GetOrBuild(string key, IReadOnlyDictionary<string, long> versions, long batch, Func<byte[]> build)
    {
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var c) && c.Batch == batch && SameVersions(c.Versions, versions)) return c.Body;
        }
        var body = build();
        lock (_gate)
        {
            _cache[key] = new Cached(versions, batch, body);
        }
        return body;
    }

    private static bool SameVersions(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
