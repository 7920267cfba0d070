using System.IO.Compression;

namespace OrleansPrices.Gateway.Api;

/// <summary>
/// Encoded signal-list responses, one per strategy filter, each valid for the list versions and
/// the broadcast seq it was built at, with a gzip copy made once for clients that accept it (apps'
/// HTTP stacks do). Thousands of app launches a second then cost a dictionary lookup, and the body
/// is re-encoded at most once per price tick.
/// </summary>
public sealed class SignalListResponses
{
    public sealed record Body(byte[] Json, byte[] Gzip);

    private sealed record Cached(IReadOnlyDictionary<string, long> Versions, long Batch, Body Body);

    private readonly Dictionary<string, Cached> _cache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Body GetOrBuild(string key, IReadOnlyDictionary<string, long> versions, long batch, Func<byte[]> build)
    {
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var c) && c.Batch == batch && SameVersions(c.Versions, versions)) return c.Body;
        }
        var json = build();
        var body = new Body(json, Gzip(json));
        lock (_gate)
        {
            _cache[key] = new Cached(versions, batch, body);
        }
        return body;
    }

    private static byte[] Gzip(byte[] json)
    {
        using var output = new MemoryStream(json.Length / 4);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(json);
        return output.ToArray();
    }

    private static bool SameVersions(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
