using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Grains;
using OrleansPrices.Market.Strategies;

namespace OrleansPrices.Gateway.Api;

/// <summary>
/// The encoded signal-list responses, one per strategy filter (all strategies, or one), each an
/// immutable body (JSON and its gzip copy, made once) that a request only reads. A body is rebuilt
/// in the background, off the request path: when a broadcast flush changed the price of one of its
/// stocks, and when one of its lists changed (a rebuild in progress takes every change that arrives
/// meanwhile). A request builds only the first body of its filter; one that finds a list newer than
/// its body (a change whose rebuild is under way) is answered from the body it finds. So a request
/// costs a lookup and a write whatever the ingest and the lists are doing, and answers at most one
/// rebuild behind the lists and the book (the body carries the list versions, each row its epoch
/// and seq). Built on the request instead, each list change (one to three a tick with 5,000 stocks)
/// cost the request that found it, and those that came meanwhile, a build of several milliseconds.
/// </summary>
public sealed partial class SignalListResponses : IPriceChangeListener, IDisposable
{
    public sealed record Body(byte[] Json, byte[] Gzip)
    {
        /// <summary>The plain answer, made once per body rather than once per request.</summary>
        internal IResult JsonAnswer { get; } = new JsonBytesResult(Json, contentEncoding: null);

        /// <summary>The gzip answer.</summary>
        internal IResult GzipAnswer { get; } = new JsonBytesResult(Gzip, "gzip");
    }

    /// <summary>
    /// A finished JSON body written as it is, with every header that belongs to it: status 200,
    /// type, length, encoding, and <c>Vary: Accept-Encoding</c> (both answers depend on it).
    /// <c>TypedResults.Bytes</c> allocated a result, its precondition state and the typed request
    /// and response headers on every request, for range and ETag handling this body never uses.
    /// </summary>
    private sealed class JsonBytesResult(byte[] bytes, string? contentEncoding) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = bytes.Length;
            response.Headers.Vary = "Accept-Encoding";
            if (contentEncoding is not null) response.Headers.ContentEncoding = contentEncoding;
            return response.Body.WriteAsync(bytes).AsTask();
        }
    }

    /// <summary>One filter's body, the list versions it was built at and the stocks it lists.</summary>
    private sealed record Cached(IStrategy? Only, long[] Versions, HashSet<string> Codes, Body Body);

    private readonly SignalLists _lists;
    private readonly StrategyCatalog _strategies;
    private readonly PriceBook _book;
    private readonly ILogger<SignalListResponses> _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, Cached> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IStrategy?> _stale = new(StringComparer.Ordinal);
    private int _rebuilding;
    private long _builtOnRequest;

    public SignalListResponses(SignalLists lists, StrategyCatalog strategies, PriceBook book, Broadcaster broadcaster, ILogger<SignalListResponses> logger)
    {
        _lists = lists;
        _strategies = strategies;
        _book = book;
        _logger = logger;
        broadcaster.AddListener(this);
        lists.ListChanged += OnListChanged;
    }

    /// <summary>Bodies built by a request (the first of each filter), for tests.</summary>
    internal long BuiltOnRequest => Interlocked.Read(ref _builtOnRequest);

    /// <summary>The body a request for this filter would read now, without building or queueing anything (for tests).</summary>
    internal Body? Peek(IStrategy? only) => Volatile.Read(ref _cache).TryGetValue(only?.Name ?? "", out var cached) ? cached.Body : null;

    /// <summary>
    /// The body for one strategy (or all with null). Only the first request of a filter builds it;
    /// one that finds a list newer than the body has it rebuilt in the background (normally already
    /// under way since the change) and is answered from the body it found.
    /// </summary>
    public Body Get(IStrategy? only)
    {
        var key = only?.Name ?? "";
        if (Volatile.Read(ref _cache).TryGetValue(key, out var cached))
        {
            if (!SameVersions(cached))
            {
                _stale[key] = cached.Only;
                StartRebuild();
            }
            return cached.Body;
        }
        Interlocked.Increment(ref _builtOnRequest);
        return Store(key, Build(only)).Body;
    }

    /// <summary>A flush changed these stocks in the book: bodies listing one of them are rebuilt in the background.</summary>
    public void OnChanged(IReadOnlyCollection<string> tsCodes) => RebuildInBackground(c => tsCodes.Any(c.Codes.Contains));

    /// <summary>A list changed: the bodies that include it (all strategies, and its own) are rebuilt in the background.</summary>
    private void OnListChanged(string strategy, IReadOnlyList<SignalEntry> added, IReadOnlyList<string> removed, long version) =>
        RebuildInBackground(c => c.Only is null || string.Equals(c.Only.Name, strategy, StringComparison.Ordinal));

    /// <summary>Marks the cached bodies <paramref name="stale"/> picks, and starts a rebuild unless one is running (it takes them).</summary>
    private void RebuildInBackground(Func<Cached, bool> stale)
    {
        foreach (var (key, cached) in Volatile.Read(ref _cache))
        {
            if (stale(cached)) _stale[key] = cached.Only;
        }
        StartRebuild();
    }

    private void StartRebuild()
    {
        if (!_stale.IsEmpty && Interlocked.Exchange(ref _rebuilding, 1) == 0) _ = Task.Run(RebuildStale);
    }

    private void RebuildStale()
    {
        do
        {
            // A key leaves the stale set before its rows are read: a change arriving during the
            // build puts it back, and it is built again.
            foreach (var key in _stale.Keys)
            {
                if (!_stale.TryRemove(key, out var only)) continue;
                try
                {
                    Store(key, Build(only));
                }
                catch (Exception ex)
                {
                    // Requests go on with the last body; the next change tries again.
                    LogRebuildFailed(_logger, key, ex);
                }
            }
            Volatile.Write(ref _rebuilding, 0);
        }
        while (!_stale.IsEmpty && Interlocked.Exchange(ref _rebuilding, 1) == 0);
    }

    public void Dispose() => _lists.ListChanged -= OnListChanged;

    private IReadOnlyList<IStrategy> Strategies(IStrategy? only) => only is null ? _strategies.All : [only];

    /// <summary>On every request: by index, as a <c>foreach</c> over the list allocated an enumerator.</summary>
    private bool SameVersions(Cached cached)
    {
        var strategies = Strategies(cached.Only);
        for (var i = 0; i < strategies.Count; i++)
        {
            var version = _lists.TryGet(strategies[i].Name, out var list) ? list.Version : -1;
            if (cached.Versions[i] != version) return false;
        }
        return true;
    }

    private Cached Build(IStrategy? only)
    {
        // Versions are read before the rows: a list changing meanwhile leaves a body that the next
        // request sees as older than the list, never one that claims a version it lacks.
        var strategies = Strategies(only).ToList();
        var versionOf = new long[strategies.Count];
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        var snapshots = new List<SignalListSnapshot>(strategies.Count);
        for (var i = 0; i < strategies.Count; i++)
        {
            if (_lists.TryGet(strategies[i].Name, out var list))
            {
                versionOf[i] = list.Version;
                versions[list.Strategy] = list.Version;
                snapshots.Add(list);
            }
            else
            {
                versionOf[i] = -1;
            }
        }
        var count = 0;
        foreach (var list in snapshots) count += list.Entries.Length;
        var rows = new List<SignalRow>(count);
        var codes = new HashSet<string>(count, StringComparer.Ordinal);
        foreach (var list in snapshots)
        {
            foreach (var e in list.Entries)
            {
                rows.Add(StocksApi.ToRow(e, _book));
                codes.Add(e.TsCode);
            }
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(
            new Envelope<SignalListData>(200, "buy signals fetched", new SignalListData(only?.Name, rows, rows.Count, versions)),
            ApiJsonContext.Web.EnvelopeSignalListData);
        return new Cached(only, versionOf, codes, new Body(json, Gzip(json)));
    }

    /// <summary>Swaps in a new body: the cache is copied on write, so requests read it without a lock.</summary>
    private Cached Store(string key, Cached built)
    {
        lock (_gate)
        {
            // A body built from older versions than the stored one (a slow rebuild racing a
            // request's) does not replace it.
            if (_cache.TryGetValue(key, out var current) && Older(built.Versions, current.Versions)) return current;
            Volatile.Write(ref _cache, new Dictionary<string, Cached>(_cache, StringComparer.Ordinal) { [key] = built });
        }
        return built;
    }

    private static bool Older(long[] a, long[] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] < b[i]) return true;
        }
        return false;
    }

    /// <summary>
    /// Compresses into a buffer kept between builds (taken by one build at a time; a build that
    /// finds it taken uses its own): the body is rebuilt several times a tick, and a stream grown
    /// from empty each time allocated about twice the compressed size on top of the result.
    /// </summary>
    private byte[] Gzip(byte[] json)
    {
        var output = Interlocked.Exchange(ref _gzipScratch, null) ?? new MemoryStream(json.Length / 4);
        output.SetLength(0);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(json);
        var gzipped = output.ToArray();
        Volatile.Write(ref _gzipScratch, output);
        return gzipped;
    }

    private MemoryStream? _gzipScratch;

    [LoggerMessage(EventId = 3901, Level = LogLevel.Error, Message = "Rebuilding the signal-list body '{Filter}' failed; requests get the previous one")]
    private static partial void LogRebuildFailed(ILogger logger, string filter, Exception exception);
}
