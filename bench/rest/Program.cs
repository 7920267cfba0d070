// GETs the signal list and prints one line of JSON: latency percentiles in microseconds and
// requests per second.
//   sequential (default): one request in flight, the latency of a lone client;
//   open loop (--connections N --rate R): N keep-alive connections, requests scheduled at R per
//     second whatever the answers do (as wrk2 does), each latency counted from its scheduled time,
//     so a stalled server is not hidden by a client that waits for it (no coordinated omission).
// wrk's closed loop (bench/rest/wrk-report.lua) shows the saturation throughput instead.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

var url = "http://127.0.0.1:8000/api/stocks/signal/buy";
var requests = 1000;
var warmup = 100;
var label = "";
var connections = 0;
var rate = 0.0;
// --gzip: accept gzip as app HTTP stacks do (Dart's http, OkHttp, NSURLSession).
var gzip = args.Contains("--gzip");
args = [.. args.Where(a => a != "--gzip")];
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--url": url = args[i + 1]; break;
        case "--requests": requests = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--label": label = args[i + 1]; break;
        case "--connections": connections = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--rate": rate = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine("usage: RestBench [--url URL] [--requests 1000] [--warmup 100] [--label TEXT] [--gzip] [--connections N --rate PER_SECOND]");
            return 2;
    }
}
if ((connections > 0) != (rate > 0))
{
    Console.Error.WriteLine("RestBench: --connections and --rate go together (open loop)");
    return 2;
}

var openLoop = connections > 0;
var latencies = new long[requests];
var bodies = new long[requests];
var codes = new int[requests];
var clients = Enumerable.Range(0, Math.Max(connections, 1)).Select(_ => new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = 1,
    UseProxy = false,
    AutomaticDecompression = gzip ? DecompressionMethods.GZip : DecompressionMethods.None,
})
{
    Timeout = TimeSpan.FromSeconds(10),
}).ToArray();

// One request; i < 0 is warm-up. Latency runs from `due` (the scheduled start in open loop).
async Task Fire(HttpClient client, int i, long due)
{
    int code;
    long length = 0;
    try
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseContentRead);
        length = (await response.Content.ReadAsByteArrayAsync()).Length;
        code = (int)response.StatusCode;
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
    {
        code = 0;
    }
    if (i >= 0)
    {
        latencies[i] = (long)Stopwatch.GetElapsedTime(due).TotalMicroseconds;
        bodies[i] = length;
        codes[i] = code;
    }
}

var wall = Stopwatch.StartNew();
if (!openLoop)
{
    for (var i = -warmup; i < requests; i++)
    {
        await Fire(clients[0], i, Stopwatch.GetTimestamp());
    }
}
else
{
    // Open every connection (and warm the server) before the clock starts.
    await Task.WhenAll(clients.Select(c => Fire(c, -1, 0)));
    for (var i = -warmup; i < 0; i++)
    {
        await Fire(clients[0], i, 0);
    }
    wall.Restart();
    var start = Stopwatch.GetTimestamp();
    var next = -1;
    var ticksPerRequest = Stopwatch.Frequency / rate;
    await Task.WhenAll(clients.Select(async client =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < requests)
        {
            var due = start + (long)(i * ticksPerRequest);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            await Fire(client, i, due);
        }
    }));
}
var elapsed = wall.Elapsed.TotalSeconds;

var errors = codes.Count(c => c != (int)HttpStatusCode.OK);
var sorted = latencies.Order().ToArray();
long Quantile(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
var result = new Dictionary<string, object>
{
    ["label"] = label,
    ["mode"] = openLoop ? "open-loop" : "sequential",
    ["url"] = url,
    ["gzip"] = gzip,
    ["connections"] = Math.Max(connections, 1),
    ["target_rate"] = rate,
    ["requests"] = requests,
    ["errors"] = errors,
    ["status"] = codes.GroupBy(c => c).ToDictionary(g => g.Key.ToString(CultureInfo.InvariantCulture), g => g.Count()),
    ["mean_body_bytes"] = requests > 0 ? bodies.Sum() / requests : 0,
    ["requests_per_s"] = Math.Round(requests / elapsed, 1),
    ["lat_us"] = new Dictionary<string, long>
    {
        ["p50"] = Quantile(0.50),
        ["p90"] = Quantile(0.90),
        ["p99"] = Quantile(0.99),
        ["p999"] = Quantile(0.999),
        ["max"] = sorted[^1],
    },
};
Console.WriteLine(JsonSerializer.Serialize(result));
return errors == requests ? 1 : 0;
